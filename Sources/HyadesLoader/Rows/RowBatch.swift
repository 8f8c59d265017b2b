import HyadesCore

/// Where one parsed row lies: its token (the sort key) and its place in a batch's arena.
/// Batches are numbered in input order, so (batch, offset) is also input order, which
/// decides between two rows with the same primary key (the later one wins).
public struct RowRef: Sendable {
    public var token: Int64
    /// The 8 clustering bytes after the first component separator, big-endian, zero
    /// padded: most rows of one partition differ there, so the sort compares integers
    /// and reaches into the arena only on ties.
    public var clusteringPrefix: UInt64
    /// The batch's position among the batches of one flush (at most `RowRef.maxBatches`).
    public var batch: UInt16
    /// The record's bytes in the arena, or `RowRef.longRecord` when 65535 or more (then
    /// its length is found by walking it). Known up front, the writer copies records in
    /// ring order without first reading each one's lengths: those reads were dependent
    /// cache misses, a fifth of the write phase's CPU.
    public var length: UInt16
    public var offset: UInt32

    public init(token: Int64, clusteringPrefix: UInt64, batch: UInt16, length: UInt16 = RowRef.longRecord, offset: UInt32) {
        self.token = token
        self.clusteringPrefix = clusteringPrefix
        self.batch = batch
        self.length = length
        self.offset = offset
    }

    public static let longRecord = UInt16.max
    /// Batches one flush can hold (the loader flushes before it would hold more).
    public static let maxBatches = Int(UInt16.max) + 1
}

/// A row that could not be loaded, with why.
public struct RejectedRow: Sendable {
    /// 0-based physical line within the chunk until the batch is placed in its file;
    /// then 1-based within the file.
    public var line: Int
    public var reason: String
    public var raw: [UInt8]
}

/// The rows parsed from one chunk of input, encoded back to back in one arena:
///
///     u16 keyLength, key (serialized partition key, what Murmur3 hashes)
///     u16 clusteringLength, clustering (byte-comparable, ClusteringEncoding)
///     per regular/static column of the plan, by column id:
///         u32 length (0xFFFF_FFFF = null: no cell), value bytes
///
/// (lengths in host order: the arena never leaves the process.)
public final class RowBatch: @unchecked Sendable {
    public var arena: ByteArena
    public var refs: [RowRef] = []
    /// `refs` grouped by these token buckets (the builder's): bucket b's refs are
    /// `refs[bucketStarts[b]..<bucketStarts[b + 1]]`, each in input order.
    var buckets = TokenBuckets(ends: [])
    var bucketStarts: [Int] = []
    public var rowsRead = 0
    public var rejects: [RejectedRow] = []
    /// Physical lines in the chunk: places the next chunk's line numbers.
    public var newlines = 0
    /// The plan the rows were built with (its regular slots give the column ids).
    public let plan: LoadPlan

    init(plan: LoadPlan, capacity: Int) {
        self.plan = plan
        arena = ByteArena(capacity: capacity)
    }

    public var rowsLoaded: Int { refs.count }
    public var memoryBytes: Int { arena.capacity + refs.capacity * MemoryLayout<RowRef>.stride }
}
