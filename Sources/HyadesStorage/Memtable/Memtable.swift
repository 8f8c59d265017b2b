import HyadesCore
import Synchronization

/// The in-memory, sorted write buffer of one table (Cassandra's `Memtable`): partitions
/// in a B+tree over byte-comparable keys, rows sorted by clustering, every write merged
/// in with Cassandra's reconciliation.
///
/// Thread safety: one lock guards the tree. Writers hold it for one partition update;
/// readers copy small batches (partitions, then rows) under it and release it between
/// batches, so a long scan never stalls writers and never sees a half-applied row.
public final class Memtable: @unchecked Sendable {
    /// What the lock guards besides the tree: kept in the mutex's value so updating it
    /// is plain inout access (no exclusivity checks on class properties per write).
    private struct Counters {
        var liveBytes = 0
        var minTimestamp = Int64.max
        var maxTimestamp = Int64.min
        var rowCount = 0
    }
    private let lock = Mutex(Counters())
    // Guarded by `lock`.
    private let tree = PartitionTree()

    private let bounds = Mutex<(lower: CommitLogPosition?, upper: CommitLogPosition?)>((nil, nil))

    /// `lower`: the commit-log position when this memtable became live (nil = the start);
    /// every mutation it holds lies after it.
    public init(commitLogLowerBound lower: CommitLogPosition? = nil) {
        bounds.withLock { $0.lower = lower }
    }

    /// The commit-log span this memtable covers: mutations after `lower` and up to `upper`
    /// (set when it is switched out for a flush; nil while live).
    public var commitLogBounds: (lower: CommitLogPosition?, upper: CommitLogPosition?) { bounds.withLock { $0 } }

    func seal(at upper: CommitLogPosition) { bounds.withLock { $0.upper = upper } }

    /// Applies one partition update. Returns the memtable's estimated size after it.
    @discardableResult
    public func apply(_ update: PartitionUpdate) -> Int {
        let keyBytes = update.key.comparableBytes
        let minTs = Reconcile.minTimestamp(update)
        // The max only bounds what the memtable may contain, a cheap upper bound suffices.
        let maxTs = minTs == Int64.max ? Int64.min : Self.maxTimestamp(update)
        let key = update.key
        return lock.withLock { c in
            var created = false
            // The closure captures the key only (not the whole update, copied per tree level).
            let p = tree.findOrInsert(keyBytes) {
                created = true
                return MemtablePartition(key: key, keyBytes: keyBytes)
            }
            let delta = p.apply(update)
            c.liveBytes += delta + (created ? MemtablePartition.baseSize(key) : 0)
            c.rowCount += update.rows.count
            if minTs < c.minTimestamp { c.minTimestamp = minTs }
            if maxTs > c.maxTimestamp { c.maxTimestamp = maxTs }
            return c.liveBytes
        }
    }

    /// Estimated heap bytes held.
    public var liveBytes: Int { lock.withLock { $0.liveBytes } }
    public var partitionCount: Int { lock.withLock { _ in tree.count } }
    public var isEmpty: Bool { lock.withLock { _ in tree.count == 0 } }
    /// The smallest write or deletion timestamp applied (`Int64.max` when empty).
    public var minTimestamp: Int64 { lock.withLock { $0.minTimestamp } }
    public var maxTimestamp: Int64 { lock.withLock { $0.maxTimestamp } }
    /// Rows applied, counting overwrites (an upper bound for sizing a flush's bloom filter).
    public var rowsApplied: Int { lock.withLock { $0.rowCount } }

    /// The partitions of `range`, in ring order.
    public func scan(_ range: PartitionRange, slices: Slices = .all, columns: ColumnFilter = .all)
        -> any UnfilteredPartitionIterator {
        MemtablePartitionIterator(memtable: self, range: range, singleKey: nil, slices: slices, columns: columns)
    }

    /// Every partition, read without locking: only for a memtable that no writer can
    /// reach any more (switched out for a flush under the write barrier).
    func frozenScan() -> any UnfilteredPartitionIterator {
        lock.withLock { _ in FrozenMemtableIterator(tree) }
    }

    /// One partition, or nil when the memtable has nothing for `key`.
    public func partition(_ key: DecoratedKey, slices: Slices = .all, columns: ColumnFilter = .all)
        -> (any UnfilteredPartitionIterator)? {
        partition(keyBytes: key.comparableBytes, slices: slices, columns: columns)
    }

    func partition(keyBytes bytes: [UInt8], slices: Slices, columns: ColumnFilter) -> (any UnfilteredPartitionIterator)? {
        let present = lock.withLock { _ in tree.find(bytes) != nil }
        guard present else { return nil }
        return MemtablePartitionIterator(memtable: self, range: PartitionRange(lower: bytes, upper: nil),
                                         singleKey: bytes, slices: slices, columns: columns)
    }

    /// Whether a partition of `range` is in the memtable now.
    func hasPartitions(in range: PartitionRange) -> Bool {
        lock.withLock { _ in
            guard tree.count > 0, let first = tree.batch(from: range.lower, exclusive: false, limit: 1).first else { return false }
            guard let upper = range.upper else { return true }
            return first.keyBytes.withUnsafeBytes { k in upper.withUnsafeBytes { ByteOrder.compare(k, $0) } } < 0
        }
    }

    /// Whether the memtable holds partition `keyBytes` (byte-comparable form).
    func contains(keyBytes: [UInt8]) -> Bool { lock.withLock { _ in tree.find(keyBytes) != nil } }

    // MARK: batched access for the iterator

    /// Copies up to `limit` partitions at or after `lower` (after it when `exclusive`) as
    /// they are now into `batch`, one lock for the batch (the merged scan's memtable
    /// cursors, `MemtableScanCursor`). The leaves are walked in place; only references
    /// are taken under the lock, the bytes are copied after it.
    func copyPartitions(from lower: [UInt8], exclusive: Bool, limit: Int, into batch: MemtableBatch) {
        batch.reset()
        lock.withLock { _ in
            var (leaf, i) = tree.seek(lower, exclusive: exclusive)
            // Plain loads of the batch's partitions first (see `MemtableBatch.touched`).
            var touched = 0
            do {
                var l = leaf, j = i, m = 0
                while m < limit {
                    l.values.withUnsafeBufferPointer { values in
                        while j < values.count && m < limit {
                            touched &+= values[j].rows.count
                            j += 1
                            m += 1
                        }
                    }
                    guard m < limit, let next = l.next else { break }
                    l = next
                    j = 0
                }
            }
            batch.touchedUnderLock = touched
            var n = 0
            while n < limit {
                let done = leaf.values.withUnsafeBufferPointer { values in
                    while i < values.count && n < limit {
                        batch.reference(values[i])
                        i += 1
                        n += 1
                    }
                    return n >= limit
                }
                guard !done, let next = leaf.next else { break }
                leaf = next
                i = 0
            }
        }
        batch.copyReferences()
    }

    /// A copy of the headers of up to `limit` partitions at or after `lower`.
    func partitionBatch(from lower: [UInt8], exclusive: Bool, limit: Int, columns: ColumnFilter)
        -> [(keyBytes: [UInt8], header: PartitionHeader, partition: MemtablePartition)] {
        lock.withLock { _ in
            tree.batch(from: lower, exclusive: exclusive, limit: limit).map { p in
                let h = PartitionHeader(key: p.key, deletion: p.deletion, rangeTombstones: p.rangeTombstones,
                                        staticRow: p.staticRow.map { Reconcile.project($0, columns) })
                return (p.keyBytes, h, p)
            }
        }
    }

    /// Copies up to `limit` rows of `p` in `slice` after `after` (exclusive; nil = from
    /// the slice start).
    func rowBatch(_ p: MemtablePartition, slice: ClusteringSlice, after: [UInt8]?, limit: Int,
                  columns: ColumnFilter) -> [Row] {
        lock.withLock { _ in
            var i: Int
            if let after {
                i = p.lowerBoundRow(after)
                if i < p.rows.count && ByteOrder.compare(p.rows[i].clustering, after) == 0 { i += 1 }
            } else {
                i = p.lowerBoundRow(slice.start)
            }
            var out: [Row] = []
            while i < p.rows.count && out.count < limit {
                let r = p.rows[i]
                if ByteOrder.compare(r.clustering, slice.end) >= 0 { break }
                out.append(Reconcile.project(r, columns))
                i += 1
            }
            return out
        }
    }

    private static func maxTimestamp(_ u: PartitionUpdate) -> Int64 {
        var m = u.partitionDeletion.isLive ? Int64.min : u.partitionDeletion.markedForDeleteAt
        for rt in u.rangeTombstones { m = max(m, rt.deletion.markedForDeleteAt) }
        func row(_ r: Row) {
            m = max(m, r.liveness.timestamp, r.deletion.markedForDeleteAt)
            for c in r.columns {
                switch c {
                case .simple(_, let cell): m = max(m, cell.timestamp)
                case .complex(_, let d):
                    m = max(m, d.deletion.markedForDeleteAt)
                    for cell in d.cells { m = max(m, cell.timestamp) }
                }
            }
        }
        if let s = u.staticRow { row(s) }
        for r in u.rows { row(r) }
        return m
    }
}
