import HyadesCore

/// Merges N ordered sources (memtables, SSTables) into one ordered stream (Cassandra's
/// `UnfilteredPartitionIterators.merge`): partitions by key, rows by clustering, equal
/// rows reconciled, and everything a partition deletion, range tombstone or row deletion
/// shadows removed. Streams row by row; holds one row per source.
public final class MergingPartitionIterator: UnfilteredPartitionIterator {
    /// All mutable state in one struct: each call is one exclusive access to it, not one
    /// exclusivity-checked access per field touched.
    private var state: MergeState

    public init(_ sources: [any UnfilteredPartitionIterator]) { state = MergeState(sources) }

    public func nextPartition() throws -> PartitionHeader? { try state.nextPartition() }

    public func nextRow() throws -> Row? { try state.nextRow() }
}

/// The merge itself (see `MergingPartitionIterator`).
struct MergeState {
    let sources: [any UnfilteredPartitionIterator]
    /// The next partition header of each source, nil once the source is exhausted.
    var heads: [PartitionHeader?]
    /// The token of each head (nil once exhausted), compared without copying headers.
    var headTokens: [Int64?]
    var started = false
    /// Sources contributing to the current partition.
    var active: [Int] = []
    /// The next row of each active source; `needsFetch` when it must be read.
    var rowHeads: [Row?]
    var needsFetch: [Bool]
    var partitionDeletion = DeletionTime.live
    var rangeTombstones: [RangeTombstone] = []

    @inline(__always)
    mutating func setHead(_ i: Int, _ h: PartitionHeader?) {
        headTokens[i] = h?.key.token.value
        heads[i] = h
    }

    init(_ sources: [any UnfilteredPartitionIterator]) {
        self.sources = sources
        self.heads = Array(repeating: nil, count: sources.count)
        self.headTokens = Array(repeating: nil, count: sources.count)
        self.rowHeads = Array(repeating: nil, count: sources.count)
        self.needsFetch = Array(repeating: false, count: sources.count)
    }

    mutating func nextPartition() throws -> PartitionHeader? {
        if sources.count == 1 { return try singleNextPartition() }
        if !started {
            started = true
            for i in sources.indices { setHead(i, try sources[i].nextPartition()) }
        } else {
            for i in active { setHead(i, try sources[i].nextPartition()) }
        }
        active.removeAll(keepingCapacity: true)
        // The smallest key: tokens first (plain integers, no header copies), the key
        // bytes only on a token tie.
        var best = -1
        for i in sources.indices where headTokens[i] != nil {
            if best < 0 { best = i; active.append(i); continue }
            let t = headTokens[i]!, bt = headTokens[best]!
            var c = t < bt ? -1 : (t > bt ? 1 : 0)
            if c == 0 { c = ByteOrder.compare(heads[i]!.key.key, heads[best]!.key.key) }
            if c < 0 {
                best = i
                active.removeAll(keepingCapacity: true)
                active.append(i)
            } else if c == 0 {
                active.append(i)
            }
        }
        guard best >= 0 else { return nil }
        let key = heads[best]!.key
        if active.count == 1 {
            // Only one source has this partition (most partitions when the sources hold
            // different keys): its rows pass through with only its own shadowing.
            return passThrough(heads[active[0]]!)
        }
        var deletion = DeletionTime.live
        var rts: [RangeTombstone] = []
        var staticRow: Row?
        for i in active {
            let h = heads[i]!
            if h.deletion > deletion { deletion = h.deletion }
            rts.append(contentsOf: h.rangeTombstones)
            if let s = h.staticRow { staticRow = staticRow.map { Reconcile.mergeRows($0, s) } ?? s }
            rowHeads[i] = nil
            needsFetch[i] = true
        }
        if !rts.isEmpty {
            if !deletion.isLive { rts.removeAll { $0.deletion <= deletion } }
            if active.count > 1 {
                rts.sort { ByteOrder.compare($0.start, $1.start) < 0 }
                var seen = Set<RangeTombstone>()
                rts = rts.filter { seen.insert($0).inserted }
            }
        }
        partitionDeletion = deletion
        rangeTombstones = rts
        if let s = staticRow { staticRow = Reconcile.shadow(s, by: deletion) }
        return PartitionHeader(key: key, deletion: deletion, rangeTombstones: rts, staticRow: staticRow)
    }

    mutating func nextRow() throws -> Row? {
        if active.count == 1 || sources.count == 1 { return try singleNextRow() }
        while true {
            var best: Int = -1
            for i in active {
                if needsFetch[i] {
                    rowHeads[i] = try sources[i].nextRow()
                    needsFetch[i] = false
                }
                guard let r = rowHeads[i] else { continue }
                if best < 0 || ByteOrder.compare(r.clustering, rowHeads[best]!.clustering) < 0 { best = i }
            }
            guard best >= 0 else { return nil }
            var row = rowHeads[best]!
            needsFetch[best] = true
            for i in active where i != best {
                if let r = rowHeads[i], ByteOrder.compare(r.clustering, row.clustering) == 0 {
                    row = Reconcile.mergeRows(row, r)
                    needsFetch[i] = true
                }
            }
            if let shadowed = Reconcile.shadow(row, by: activeDeletion(row.clustering)) { return shadowed }
        }
    }

    /// The partition deletion or the latest range tombstone covering `clustering`.
    @inline(__always)
    func activeDeletion(_ clustering: [UInt8]) -> DeletionTime {
        Reconcile.activeDeletion(partitionDeletion, rangeTombstones, clustering)
    }

    // MARK: one source (a flush, a read of one SSTable): nothing to reconcile, only the
    // shadowing inside the source, without the per-source head bookkeeping.

    mutating func singleNextPartition() throws -> PartitionHeader? {
        guard let h = try sources[0].nextPartition() else { return nil }
        return passThrough(h)
    }

    mutating func passThrough(_ header: PartitionHeader) -> PartitionHeader {
        var h = header
        if !h.rangeTombstones.isEmpty && !h.deletion.isLive {
            let deletion = h.deletion
            h.rangeTombstones.removeAll { $0.deletion <= deletion }
        }
        if let s = h.staticRow { h.staticRow = Reconcile.shadow(s, by: h.deletion) }
        partitionDeletion = h.deletion
        rangeTombstones = h.rangeTombstones
        return h
    }

    func singleNextRow() throws -> Row? {
        let source = sources.count == 1 ? sources[0] : sources[active[0]]
        if partitionDeletion.isLive && rangeTombstones.isEmpty {
            while let row = try source.nextRow() {
                if let shadowed = Reconcile.shadow(row, by: .live) { return shadowed }
            }
            return nil
        }
        while let row = try source.nextRow() {
            if let shadowed = Reconcile.shadow(row, by: activeDeletion(row.clustering)) { return shadowed }
        }
        return nil
    }
}

/// Yields nothing: stands in for a source with no data.
final class EmptyPartitionIterator: UnfilteredPartitionIterator {
    func nextPartition() throws -> PartitionHeader? { nil }
    func nextRow() throws -> Row? { nil }
}
