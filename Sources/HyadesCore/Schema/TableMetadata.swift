/// What part of the primary key (if any) a column is; raw values are
/// `system_schema.columns.kind`.
public enum ColumnKind: String, Hashable, Sendable {
    case partitionKey = "partition_key"
    case clustering = "clustering"
    case regular = "regular"
    case staticColumn = "static"

    public var isPrimaryKey: Bool { self == .partitionKey || self == .clustering }
}

/// `system_schema.columns.clustering_order`: asc/desc for clustering columns, none otherwise.
public enum ClusteringOrder: String, Hashable, Sendable {
    case asc, desc, none
}

public struct ColumnMetadata: Hashable, Sendable {
    public var name: String
    public var type: CQLType
    public var kind: ColumnKind
    /// Position within the partition key or clustering; -1 for regular and static
    /// columns (as `system_schema.columns.position`).
    public var position: Int
    public var clusteringOrder: ClusteringOrder
    /// Stable storage id: assigned once, never reused after a drop.
    public var id: ColumnID

    public init(name: String, type: CQLType, kind: ColumnKind, position: Int = -1,
                clusteringOrder: ClusteringOrder = .none, id: ColumnID) {
        self.name = name
        self.type = type
        self.kind = kind
        self.position = position
        self.clusteringOrder = clusteringOrder
        self.id = id
    }

    public var isDescending: Bool { clusteringOrder == .desc }
    public var isStatic: Bool { kind == .staticColumn }
    /// A non-frozen collection or UDT: stored as one cell per element (complex column).
    public var isComplex: Bool {
        switch type {
        case .list, .set, .map, .udt: return true
        default: return false
        }
    }
}

/// A column removed by ALTER TABLE DROP: remembered so its id is never reused and data
/// written before `droppedAt` (µs) is skipped on read.
public struct DroppedColumn: Hashable, Sendable {
    public var name: String
    public var type: CQLType
    public var id: ColumnID
    public var droppedAt: Int64

    public init(name: String, type: CQLType, id: ColumnID, droppedAt: Int64) {
        self.name = name
        self.type = type
        self.id = id
        self.droppedAt = droppedAt
    }
}

/// A table's schema: columns with their stable ids, and its options.
public struct TableMetadata: Hashable, Sendable {
    public var keyspace: String
    public var name: String
    public var id: TableID
    public private(set) var columns: [ColumnMetadata]
    public var params: TableParams
    public private(set) var droppedColumns: [DroppedColumn]
    /// The id the next added column receives (ids are never reused).
    public private(set) var nextColumnID: ColumnID
    private var indexByName: [String: Int]

    public init(keyspace: String, name: String, id: TableID, columns: [ColumnMetadata],
                params: TableParams = TableParams(), droppedColumns: [DroppedColumn] = []) {
        self.keyspace = keyspace
        self.name = name
        self.id = id
        self.columns = columns
        self.params = params
        self.droppedColumns = droppedColumns
        let maxID = (columns.map(\.id) + droppedColumns.map(\.id)).max()
        self.nextColumnID = maxID.map { $0 &+ 1 } ?? 0
        self.indexByName = [:]
        rebuildIndex()
    }

    /// Builds a table from column declarations in primary-key order, assigning ids
    /// 0, 1, 2, ... in the order given (what CREATE TABLE does).
    public init(keyspace: String, name: String, id: TableID,
                partitionKey: [(String, CQLType)], clustering: [(String, CQLType, ClusteringOrder)] = [],
                regular: [(String, CQLType)] = [], static statics: [(String, CQLType)] = [],
                params: TableParams = TableParams()) {
        var cols: [ColumnMetadata] = []
        var next: ColumnID = 0
        for (i, c) in partitionKey.enumerated() {
            cols.append(ColumnMetadata(name: c.0, type: c.1, kind: .partitionKey, position: i, id: next)); next += 1
        }
        for (i, c) in clustering.enumerated() {
            cols.append(ColumnMetadata(name: c.0, type: c.1, kind: .clustering, position: i,
                                       clusteringOrder: c.2 == .none ? .asc : c.2, id: next)); next += 1
        }
        for c in statics { cols.append(ColumnMetadata(name: c.0, type: c.1, kind: .staticColumn, id: next)); next += 1 }
        for c in regular { cols.append(ColumnMetadata(name: c.0, type: c.1, kind: .regular, id: next)); next += 1 }
        self.init(keyspace: keyspace, name: name, id: id, columns: cols, params: params)
    }

    private mutating func rebuildIndex() {
        indexByName = Dictionary(columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        // Cached: every write and read asks for the key columns.
        partitionKeyColumns = columns.filter { $0.kind == .partitionKey }.sorted { $0.position < $1.position }
        clusteringColumns = columns.filter { $0.kind == .clustering }.sorted { $0.position < $1.position }
        clusteringTypes = clusteringColumns.map(\.type)
        clusteringDescending = clusteringColumns.map(\.isDescending)
    }

    public func column(named n: String) -> ColumnMetadata? { indexByName[n].map { columns[$0] } }

    public func column(id: ColumnID) -> ColumnMetadata? { columns.first { $0.id == id } }

    /// In key order.
    public private(set) var partitionKeyColumns: [ColumnMetadata] = []
    /// In clustering order.
    public private(set) var clusteringColumns: [ColumnMetadata] = []
    public private(set) var clusteringTypes: [CQLType] = []
    public private(set) var clusteringDescending: [Bool] = []

    /// Regular columns, by name (Cassandra's `SELECT *` order after the key columns).
    public var regularColumns: [ColumnMetadata] {
        columns.filter { $0.kind == .regular }.sorted { $0.name < $1.name }
    }

    public var staticColumns: [ColumnMetadata] {
        columns.filter { $0.kind == .staticColumn }.sorted { $0.name < $1.name }
    }

    /// Partition key, clustering, then static and regular columns by name: `SELECT *`'s order.
    public var selectStarColumns: [ColumnMetadata] {
        partitionKeyColumns + clusteringColumns
            + columns.filter { !$0.kind.isPrimaryKey }.sorted { $0.name < $1.name }
    }

    public var hasStaticColumns: Bool { columns.contains { $0.kind == .staticColumn } }

    /// The serialized partition key Cassandra hashes: the single component's bytes, or
    /// the composite form for a multi-column key.
    /// Components over 65535 bytes cannot be encoded in a composite key: check first.
    public func serializePartitionKey(_ components: [[UInt8]]) -> [UInt8] {
        components.count == 1 ? components[0] : Murmur3Partitioner.compositeKey(components)
    }

    public func decoratedKey(_ components: [[UInt8]]) -> DecoratedKey {
        DecoratedKey(key: serializePartitionKey(components))
    }

    /// The byte-comparable clustering (or prefix) of serialized values.
    public func encodeClustering(_ values: [[UInt8]]) throws -> [UInt8] {
        try ClusteringEncoding.encode(values, types: clusteringTypes, descending: clusteringDescending)
    }

    // MARK: ALTER TABLE

    /// Adds a regular or static column with a fresh id; returns it.
    @discardableResult
    public mutating func addColumn(name: String, type: CQLType, kind: ColumnKind) -> ColumnMetadata {
        let c = ColumnMetadata(name: name, type: type, kind: kind, id: nextColumnID)
        nextColumnID &+= 1
        columns.append(c)
        rebuildIndex()
        return c
    }

    /// Drops a non-key column, remembering it (its id is never reused).
    public mutating func dropColumn(named n: String, at timestamp: Int64) {
        guard let i = indexByName[n] else { return }
        let c = columns.remove(at: i)
        droppedColumns.removeAll { $0.name == n }
        droppedColumns.append(DroppedColumn(name: c.name, type: c.type, id: c.id, droppedAt: timestamp))
        rebuildIndex()
    }

    /// Renames a primary-key column (Cassandra allows renaming only those).
    public mutating func renameColumn(_ from: String, to: String) {
        guard let i = indexByName[from] else { return }
        columns[i].name = to
        rebuildIndex()
    }
}
