import HyadesCore

/// A half-open interval of partitions in ring order, over the byte-comparable form of
/// decorated keys (`DecoratedKey.byteComparable`): `lower <= k < upper`; `upper == nil`
/// means the end of the ring. Token bounds and key bounds (paging) both map onto it.
public struct PartitionRange: Hashable, Sendable {
    public var lower: [UInt8]
    public var upper: [UInt8]?

    public init(lower: [UInt8], upper: [UInt8]?) {
        self.lower = lower
        self.upper = upper
    }

    /// Every partition.
    public static let all = PartitionRange(lower: [], upper: nil)

    /// Partitions with `start < token <= end` (the CQL `token(pk) > a AND token(pk) <= b`
    /// form, Cassandra's `Range`); no wrap-around: callers split a wrapping range.
    public static func tokens(after start: Token, upTo end: Token) -> PartitionRange {
        PartitionRange(lower: tokenPrefix(start, inclusive: false), upper: tokenUpper(end, inclusive: true))
    }

    /// Partitions with a token between the two bounds.
    public static func tokens(from start: Token, inclusive startInclusive: Bool,
                              to end: Token?, inclusive endInclusive: Bool) -> PartitionRange {
        PartitionRange(lower: tokenPrefix(start, inclusive: startInclusive),
                       upper: end.flatMap { tokenUpper($0, inclusive: endInclusive) })
    }

    /// Partitions strictly after `key` (paging resumes here), up to `upper`.
    public static func after(_ key: DecoratedKey, upper: [UInt8]?) -> PartitionRange {
        PartitionRange(lower: key.byteComparable + [0], upper: upper)
    }

    @inlinable public func contains(_ keyBytes: [UInt8]) -> Bool {
        if ByteOrder.compare(keyBytes, lower) < 0 { return false }
        if let upper, ByteOrder.compare(keyBytes, upper) >= 0 { return false }
        return true
    }

    static func bytes(_ t: Token) -> [UInt8] {
        let v = t.byteComparable
        return (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) }
    }

    static func tokenPrefix(_ t: Token, inclusive: Bool) -> [UInt8] {
        if inclusive { return bytes(t) }
        // After every key of token t: the first key of token t+1, or nothing past max.
        if t == .maximum { return [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] }
        return bytes(Token(t.value + 1))
    }

    static func tokenUpper(_ t: Token, inclusive: Bool) -> [UInt8]? {
        if !inclusive { return bytes(t) }
        if t == .maximum { return nil }
        return bytes(Token(t.value + 1))
    }
}

/// A clustering slice: rows with `start <= clustering < end` in byte order (bounds from
/// `ClusteringEncoding`).
public struct ClusteringSlice: Hashable, Sendable {
    public var start: [UInt8]
    public var end: [UInt8]

    public init(start: [UInt8], end: [UInt8]) {
        self.start = start
        self.end = end
    }

    public static let all = ClusteringSlice(start: ClusteringEncoding.bottom, end: ClusteringEncoding.top)

    @inlinable public func contains(_ clustering: [UInt8]) -> Bool {
        ByteOrder.compare(start, clustering) <= 0 && ByteOrder.compare(clustering, end) < 0
    }
}

/// Which rows of a partition to read: sorted, non-overlapping slices.
public struct Slices: Hashable, Sendable {
    public var slices: [ClusteringSlice]

    public init(_ slices: [ClusteringSlice]) { self.slices = slices }

    public static let all = Slices([.all])

    @inlinable public func contains(_ clustering: [UInt8]) -> Bool {
        for s in slices where s.contains(clustering) { return true }
        return false
    }

    public var isAll: Bool { slices == [.all] }
}

/// Which regular and static columns to read (the projection pushed down from CQL);
/// `nil` = all. Sorted ids.
public struct ColumnFilter: Hashable, Sendable {
    public var columns: [ColumnID]?

    public init(_ columns: [ColumnID]?) { self.columns = columns?.sorted() }

    public static let all = ColumnFilter(nil)

    @inlinable public func includes(_ id: ColumnID) -> Bool {
        guard let columns else { return true }
        return columns.contains(id)
    }
}

/// The partition-level part of a partition as a source yields it, before its rows.
public struct PartitionHeader: Hashable, Sendable {
    public var key: DecoratedKey
    public var deletion: DeletionTime
    /// Sorted by start; may overlap (sources are merged, not normalised).
    public var rangeTombstones: [RangeTombstone]
    public var staticRow: Row?

    public init(key: DecoratedKey, deletion: DeletionTime = .live, rangeTombstones: [RangeTombstone] = [],
                staticRow: Row? = nil) {
        self.key = key
        self.deletion = deletion
        self.rangeTombstones = rangeTombstones
        self.staticRow = staticRow
    }
}

/// An ordered stream of partitions with their tombstones (Cassandra's
/// `UnfilteredPartitionIterator`): what memtables and SSTables yield, what the merge
/// combines, what compaction and flush write. Rows stream one at a time; nothing forces
/// a whole partition into memory.
public protocol UnfilteredPartitionIterator: AnyObject {
    /// Advances to the next partition in ring order; rows of the previous partition that
    /// were not read are skipped. `nil` at the end.
    func nextPartition() throws -> PartitionHeader?
    /// The next row of the current partition in clustering order (rows may carry row
    /// tombstones and cell tombstones), or `nil` at the end of the partition.
    func nextRow() throws -> Row?
}
