import HyadesCore

/// What `system.size_estimates` / `system.table_estimates` report for a token range, the
/// source the Spark Cassandra Connector (and our compute path) size their splits from.
public struct SizeEstimate: Hashable, Sendable {
    /// Estimated partitions whose token lies in the range.
    public var partitions: Int64
    /// Mean partition size in bytes (uncompressed), over the whole table.
    public var meanPartitionBytes: Int64
}

extension TableStore {
    /// Estimated partitions of this table in the token range `(start, end]` (`start` may
    /// equal `Token.minimum` for the range from the ring's start; the range must not wrap),
    /// memtables counted. Like Cassandra's estimate from index summaries, not a count:
    /// Murmur3 spreads keys evenly, so each SSTable contributes its partition count in
    /// proportion to how much of its own token span (first to last key) the range covers,
    /// and each memtable in proportion to the range's share of the ring.
    public func sizeEstimate(start: Token, end: Token) -> SizeEstimate {
        let (memtables, sstables) = snapshot()
        var partitions = 0.0
        var partitionTotal: Int64 = 0, byteTotal: Int64 = 0
        for t in sstables {
            let s = t.reader.statistics
            partitionTotal += s.partitionCount
            byteTotal += s.uncompressedDataBytes
            guard let first = DecoratedKey(byteComparable: t.firstKey)?.token,
                  let last = DecoratedKey(byteComparable: t.lastKey)?.token else { continue }
            partitions += Double(s.partitionCount) * Self.overlap(start: start, end: end, first: first, last: last)
        }
        let ringShare = Self.width(start, end) / Self.width(.minimum, .maximum)
        for m in memtables {
            let n = m.partitionCount
            partitions += Double(n) * ringShare
            partitionTotal += Int64(n)
            byteTotal += Int64(m.liveBytes)
        }
        let mean = partitionTotal > 0 ? byteTotal / partitionTotal : 0
        return SizeEstimate(partitions: Int64(partitions.rounded()), meanPartitionBytes: mean)
    }

    static func width(_ a: Token, _ b: Token) -> Double { Double(b.value) - Double(a.value) }

    /// The share of the closed span `[first, last]` that `(start, end]` covers.
    static func overlap(start: Token, end: Token, first: Token, last: Token) -> Double {
        if first == last { return (first > start && first <= end) ? 1 : 0 }
        let lo = max(Double(start.value), Double(first.value)), hi = min(Double(end.value), Double(last.value))
        guard hi > lo else { return 0 }
        return (hi - lo) / width(first, last)
    }
}
