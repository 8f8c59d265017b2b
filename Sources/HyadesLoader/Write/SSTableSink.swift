import HyadesCore

/// One SSTable the loader wrote: its files are `directory/hy-<generation>-*.db`.
public struct WrittenSSTable: Sendable, Equatable {
    public var directory: String
    public var generation: Int64
    public var rows: Int
    public var partitions: Int
    public var minToken: Int64
    public var maxToken: Int64
    /// Bytes of all its component files.
    public var bytes: Int64

    public init(directory: String, generation: Int64, rows: Int, partitions: Int, minToken: Int64, maxToken: Int64, bytes: Int64) {
        self.directory = directory
        self.generation = generation
        self.rows = rows
        self.partitions = partitions
        self.minToken = minToken
        self.maxToken = maxToken
        self.bytes = bytes
    }
}

/// Where finished SSTables go. Called from the loader's thread, one SSTable at a time,
/// after the SSTable is complete and durable. A sink may move or delete the files.
public protocol SSTableSink: AnyObject {
    /// Token boundaries SSTables must not straddle (the ends of the ring's owner
    /// ranges, Cassandra's `(start, end]`), so each SSTable belongs to one replica set.
    /// Empty for a single node.
    var splitTokens: [Int64] { get }
    func accept(_ sstable: WrittenSSTable) throws
    /// The SSTables of one flush (disjoint token ranges), at once: a sink may send them
    /// together. The default accepts them one by one.
    func accept(_ sstables: [WrittenSSTable]) throws
    /// After the last SSTable: wait for outstanding transfers.
    func finish() throws
    /// True when `accept(_ sstable:)` may be called for each SSTable as soon as it is
    /// written, from several threads at once (each SSTable its own transfer).
    var acceptsEachSSTable: Bool { get }
}

extension SSTableSink {
    public var acceptsEachSSTable: Bool { false }

    public func accept(_ sstables: [WrittenSSTable]) throws {
        for s in sstables { try accept(s) }
    }
}

/// Keeps the SSTables in a local directory (`hyades load --output-dir`), like
/// Cassandra's CQLSSTableWriter: for copying to a node's data directory by hand, or for
/// inspecting with `hyades sstable dump`.
public final class LocalDirectorySink: SSTableSink {
    public let directory: String
    public private(set) var accepted: [WrittenSSTable] = []
    public var splitTokens: [Int64] { [] }

    public init(directory: String) { self.directory = directory }

    public func accept(_ sstable: WrittenSSTable) throws { accepted.append(sstable) }
    public func finish() throws {}
}
