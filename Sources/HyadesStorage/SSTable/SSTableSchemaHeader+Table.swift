import HyadesCore

extension SSTableSchemaHeader {
    /// The header an SSTable of `table` carries: what `importSSTables` checks streamed
    /// SSTables against, and what a bulk loader passes to `SSTableWriter`.
    public init(table t: TableMetadata) {
        self.init(keyspace: t.keyspace, table: t.name,
                  partitionKeyColumns: t.partitionKeyColumns.map { KeyColumn(name: $0.name, type: $0.type.cqlName) },
                  clusteringColumns: t.clusteringColumns.map {
                      ClusteringColumn(name: $0.name, type: $0.type.cqlName, order: $0.isDescending ? .descending : .ascending)
                  },
                  columns: t.columns.filter { !$0.kind.isPrimaryKey }.map {
                      Column(id: $0.id, name: $0.name, type: $0.type.cqlName, kind: $0.isStatic ? .static : .regular)
                  })
    }

    /// Why an SSTable written with this header cannot be adopted by a table whose header is
    /// `table`; nil when it can. Key columns must match exactly (names, types, order);
    /// every column the SSTable has must exist in the table with the same id, name, type
    /// and kind. The table may have more columns (added after the SSTable was written).
    /// Keyspace and table names are not compared: a snapshot may be imported under another name.
    public func incompatibility(with table: SSTableSchemaHeader) -> String? {
        func sameType(_ a: String, _ b: String) -> Bool {
            if let x = try? CQLType.parse(a), let y = try? CQLType.parse(b) { return x == y }
            return a.lowercased() == b.lowercased()
        }
        func keys(_ cs: [KeyColumn]) -> String { cs.map { "\($0.name) \($0.type)" }.joined(separator: ", ") }
        if partitionKeyColumns.count != table.partitionKeyColumns.count
            || zip(partitionKeyColumns, table.partitionKeyColumns).contains(where: { $0.name != $1.name || !sameType($0.type, $1.type) }) {
            return "partition key (\(keys(partitionKeyColumns))) differs from the table's (\(keys(table.partitionKeyColumns)))"
        }
        func clustering(_ cs: [ClusteringColumn]) -> String {
            cs.map { "\($0.name) \($0.type) \($0.order == .descending ? "DESC" : "ASC")" }.joined(separator: ", ")
        }
        if clusteringColumns.count != table.clusteringColumns.count
            || zip(clusteringColumns, table.clusteringColumns).contains(where: {
                $0.name != $1.name || !sameType($0.type, $1.type) || $0.order != $1.order }) {
            return "clustering columns (\(clustering(clusteringColumns))) differ from the table's (\(clustering(table.clusteringColumns)))"
        }
        for c in columns {
            guard let t = table.column(c.id) else {
                return "column \(c.name) (id \(c.id)) does not exist in the table"
            }
            if t.name != c.name { return "column id \(c.id) is \(c.name) in the SSTable but \(t.name) in the table" }
            if !sameType(t.type, c.type) { return "column \(c.name) is \(c.type) in the SSTable but \(t.type) in the table" }
            if t.kind != c.kind {
                return "column \(c.name) is \(c.kind == .static ? "static" : "regular") in the SSTable but \(t.kind == .static ? "static" : "regular") in the table"
            }
        }
        return nil
    }
}
