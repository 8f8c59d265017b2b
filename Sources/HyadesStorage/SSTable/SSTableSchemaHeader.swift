/// The serialization header (Cassandra's `SerializationHeader` + enough of the schema for
/// offline tools): which keyspace and table wrote the SSTable and how to print its keys,
/// clustering and columns. Optional; the engine itself never needs it.
public struct SSTableSchemaHeader: Hashable, Sendable {
    public struct KeyColumn: Hashable, Sendable {
        public var name: String
        /// CQL type text (`CQLType.parse`), e.g. `bigint`, `frozen<list<int>>`.
        public var type: String
        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    public enum ClusteringOrder: UInt8, Hashable, Sendable {
        // On-disk values: never change.
        case ascending = 0
        case descending = 1
    }

    public struct ClusteringColumn: Hashable, Sendable {
        public var name: String
        public var type: String
        public var order: ClusteringOrder
        public init(name: String, type: String, order: ClusteringOrder = .ascending) {
            self.name = name
            self.type = type
            self.order = order
        }
    }

    public enum ColumnKind: UInt8, Hashable, Sendable {
        // On-disk values: never change.
        case regular = 0
        case `static` = 1
    }

    public struct Column: Hashable, Sendable {
        public var id: UInt16
        public var name: String
        public var type: String
        public var kind: ColumnKind
        public init(id: UInt16, name: String, type: String, kind: ColumnKind = .regular) {
            self.id = id
            self.name = name
            self.type = type
            self.kind = kind
        }
    }

    public var keyspace: String
    public var table: String
    public var partitionKeyColumns: [KeyColumn]
    public var clusteringColumns: [ClusteringColumn]
    /// Regular and static columns, sorted by id.
    public var columns: [Column]

    public init(keyspace: String, table: String, partitionKeyColumns: [KeyColumn],
                clusteringColumns: [ClusteringColumn] = [], columns: [Column] = []) {
        self.keyspace = keyspace
        self.table = table
        self.partitionKeyColumns = partitionKeyColumns
        self.clusteringColumns = clusteringColumns
        self.columns = columns.sorted { $0.id < $1.id }
    }

    public func column(_ id: UInt16) -> Column? { columns.first { $0.id == id } }

    func encode(into out: inout [UInt8]) {
        out.putString(keyspace)
        out.putString(table)
        out.putVarint(UInt64(partitionKeyColumns.count))
        for c in partitionKeyColumns { out.putString(c.name); out.putString(c.type) }
        out.putVarint(UInt64(clusteringColumns.count))
        for c in clusteringColumns { out.putString(c.name); out.putString(c.type); out.append(c.order.rawValue) }
        out.putVarint(UInt64(columns.count))
        for c in columns { out.putU16(c.id); out.putString(c.name); out.putString(c.type); out.append(c.kind.rawValue) }
    }

    static func decode(_ c: inout ByteCursor) throws(DecodeFailure) -> SSTableSchemaHeader {
        let ks = try c.string()
        let table = try c.string()
        var pk: [KeyColumn] = []
        for _ in 0..<(try c.count()) { pk.append(KeyColumn(name: try c.string(), type: try c.string())) }
        var ck: [ClusteringColumn] = []
        for _ in 0..<(try c.count()) {
            let name = try c.string(), type = try c.string()
            guard let order = ClusteringOrder(rawValue: try c.u8()) else { throw DecodeFailure("bad clustering order") }
            ck.append(ClusteringColumn(name: name, type: type, order: order))
        }
        var cols: [Column] = []
        for _ in 0..<(try c.count()) {
            let id = try c.u16()
            let name = try c.string(), type = try c.string()
            guard let kind = ColumnKind(rawValue: try c.u8()) else { throw DecodeFailure("bad column kind") }
            cols.append(Column(id: id, name: name, type: type, kind: kind))
        }
        return SSTableSchemaHeader(keyspace: ks, table: table, partitionKeyColumns: pk, clusteringColumns: ck, columns: cols)
    }
}
