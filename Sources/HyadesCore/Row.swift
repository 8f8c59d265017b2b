/// A CQL row inside a partition (or the partition's static row), as the engine stores it:
/// tombstones and expired data included until compaction purges them.
public struct Row: Hashable, Sendable {
    /// Byte-comparable clustering (`ClusteringEncoding`); empty for the static row and for
    /// tables without clustering columns.
    public var clustering: [UInt8]
    /// Primary-key liveness: written by INSERT, not by UPDATE.
    public var liveness: LivenessInfo
    /// Row tombstone (`DELETE FROM t WHERE <full primary key>`).
    public var deletion: DeletionTime
    /// Sorted by column id, at most one entry per column.
    public var columns: [ColumnData]

    @inlinable
    public init(clustering: [UInt8], liveness: LivenessInfo = .empty, deletion: DeletionTime = .live,
                columns: [ColumnData] = []) {
        self.clustering = clustering
        self.liveness = liveness
        self.deletion = deletion
        self.columns = columns
    }

    /// A row with nothing in it: nothing to store.
    @inlinable public var isEmpty: Bool { liveness.isEmpty && deletion.isLive && columns.isEmpty }
}

/// Deletes every row whose clustering `c` satisfies `start <= c < end` in byte order
/// (bounds from `ClusteringEncoding`), written at or before the deletion's timestamp.
public struct RangeTombstone: Hashable, Sendable {
    public var start: [UInt8]
    public var end: [UInt8]
    public var deletion: DeletionTime

    public init(start: [UInt8], end: [UInt8], deletion: DeletionTime) {
        self.start = start
        self.end = end
        self.deletion = deletion
    }

    @inlinable public func covers(_ clustering: [UInt8]) -> Bool {
        ByteOrder.compare(start, clustering) <= 0 && ByteOrder.compare(clustering, end) < 0
    }
}

/// A stable 128-bit table id (Cassandra's table UUID).
public struct TableID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public static func < (a: TableID, b: TableID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// The canonical 8-4-4-4-12 hex form.
    public var description: String {
        let h = String(high, radix: 16), l = String(low, radix: 16)
        let hs = String(repeating: "0", count: 16 - h.count) + h
        let ls = String(repeating: "0", count: 16 - l.count) + l
        let s = Array(hs + ls)
        return String(s[0..<8]) + "-" + String(s[8..<12]) + "-" + String(s[12..<16]) + "-" + String(s[16..<20]) + "-" + String(s[20..<32])
    }
}

/// All changes to one partition of one table in one write: the unit of a commit-log
/// entry and of a memtable apply.
public struct PartitionUpdate: Hashable, Sendable {
    public var table: TableID
    public var key: DecoratedKey
    public var partitionDeletion: DeletionTime
    public var staticRow: Row?
    public var rangeTombstones: [RangeTombstone]
    /// Sorted by clustering, at most one row per clustering.
    public var rows: [Row]

    public init(table: TableID, key: DecoratedKey, partitionDeletion: DeletionTime = .live,
                staticRow: Row? = nil, rangeTombstones: [RangeTombstone] = [], rows: [Row] = []) {
        self.table = table
        self.key = key
        self.partitionDeletion = partitionDeletion
        self.staticRow = staticRow
        self.rangeTombstones = rangeTombstones
        self.rows = rows
    }
}

/// What one client write changes, possibly in several tables (a batch): applied and
/// replayed as a whole.
public struct Mutation: Hashable, Sendable {
    public var updates: [PartitionUpdate]

    public init(_ updates: [PartitionUpdate]) { self.updates = updates }
}
