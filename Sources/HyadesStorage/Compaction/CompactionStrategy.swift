import HyadesCore

/// What a strategy needs to know about a live SSTable.
public struct CompactionCandidate: Hashable, Sendable {
    public var generation: Int64
    public var sizeBytes: Int64
    /// Byte-comparable first and last partition keys.
    public var firstKey: [UInt8]
    public var lastKey: [UInt8]
    /// Leveled compaction's level (0 for size-tiered and for fresh flushes).
    public var level: Int
    /// The tokens of the first and last partitions (the statistics'), which tell the
    /// shards the SSTable spans.
    public var minToken: Token
    public var maxToken: Token

    public init(generation: Int64, sizeBytes: Int64, firstKey: [UInt8], lastKey: [UInt8], level: Int,
                minToken: Token = .minimum, maxToken: Token = .maximum) {
        self.generation = generation
        self.sizeBytes = sizeBytes
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.level = level
        self.minToken = minToken
        self.maxToken = maxToken
    }

    /// The first and last shard this SSTable holds keys of.
    func shards(_ b: ShardBoundaries) -> ClosedRange<Int> {
        let lo = b.shard(of: minToken)
        return lo...max(lo, b.shard(of: maxToken))
    }

    func overlaps(_ other: CompactionCandidate) -> Bool {
        ByteOrder.compare(firstKey, other.lastKey) <= 0 && ByteOrder.compare(other.firstKey, lastKey) <= 0
    }
}

/// A chosen compaction: which inputs, and where the outputs go.
public struct CompactionPlan: Hashable, Sendable {
    public var inputs: [Int64]
    /// Level of the outputs (0 for size-tiered).
    public var outputLevel: Int
    /// Split outputs at this size (leveled); nil = one output.
    public var maxOutputBytes: Int64?
}

/// Picks the next compaction from the live SSTables not already compacting.
public enum CompactionStrategy {
    /// Cassandra's size-tiered defaults: a bucket holds SSTables within [0.5, 1.5] of
    /// its average size; everything under 50 MiB counts as one small bucket.
    static let bucketLow = 0.5
    static let bucketHigh = 1.5
    static let minSSTableSizeBytes: Int64 = 50 << 20
    /// Leveled: L0 compacts into L1 once it holds this many SSTables.
    static let level0Trigger = 4

    /// `boundaries`: the shards compaction outputs are cut at (`ShardBoundaries`), which
    /// size-tiered compaction works within and leveled counts level-0 depth by.
    public static func next(_ kind: CompactionStrategyKind, candidates: [CompactionCandidate],
                            boundaries: ShardBoundaries = .unsharded) -> CompactionPlan? {
        switch kind {
        case .sizeTiered(let minThreshold, let maxThreshold):
            return sizeTiered(candidates, minThreshold: minThreshold, maxThreshold: maxThreshold, boundaries: boundaries)
        case .leveled(let sstableSizeBytes, let fanout):
            return leveled(candidates, sstableSizeBytes: Int64(sstableSizeBytes), fanout: fanout, boundaries: boundaries)
        }
    }

    /// The most SSTables any one shard's keys may be in (UCS's "overlap"): what a read
    /// pays for. Without boundaries, the count.
    public static func depth(_ candidates: [CompactionCandidate], boundaries: ShardBoundaries) -> Int {
        if boundaries.isEmpty || candidates.count < 2 { return candidates.count }
        // Sweep over span starts (+1) and ends (-1, just after the last shard).
        var events: [(Int, Int)] = []
        events.reserveCapacity(candidates.count * 2)
        for c in candidates {
            let span = c.shards(boundaries)
            events.append((span.lowerBound, 1))
            events.append((span.upperBound + 1, -1))
        }
        events.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var depth = 0, deepest = 0
        for (_, d) in events {
            depth += d
            deepest = max(deepest, depth)
        }
        return deepest
    }

    /// Size-tiered per shard (as UCS compacts each shard on its own): each shard buckets
    /// the SSTables holding its keys, an SSTable spanning several shards (a piece of a
    /// small flush, a file written before the boundaries or under others) counted in each
    /// with its size spread over them (UCS's density). The pieces of one flush never share
    /// a shard, so a shard counts flushes, as unsharded STCS does. Of all shards, the
    /// bucket of smallest average size wins; its compaction writes aligned outputs, one
    /// per shard (a spanning input is rewritten whole: that is how old files get
    /// aligned). Every such compaction lowers the count of some shard and raises none, so
    /// it never loops. Without boundaries: Cassandra's STCS over all SSTables.
    static func sizeTiered(_ candidates: [CompactionCandidate], minThreshold: Int, maxThreshold: Int,
                           boundaries: ShardBoundaries) -> CompactionPlan? {
        var best: (inputs: [CompactionCandidate], average: Double)?
        if boundaries.isEmpty {
            best = sizeTieredBucket(candidates, minThreshold: minThreshold, maxThreshold: maxThreshold)
        } else {
            var shards: [Int: [CompactionCandidate]] = [:]
            for c in candidates {
                let span = c.shards(boundaries)
                var share = c
                share.sizeBytes = c.sizeBytes / Int64(span.count)
                for shard in span { shards[shard, default: []].append(share) }
            }
            for shard in shards.keys.sorted() {
                let members = shards[shard]!
                guard members.count >= max(2, minThreshold),
                      let b = sizeTieredBucket(members, minThreshold: minThreshold, maxThreshold: maxThreshold) else { continue }
                if best == nil || b.average < best!.average { best = b }
            }
        }
        guard let best else { return nil }
        return CompactionPlan(inputs: best.inputs.map(\.generation).sorted(), outputLevel: 0, maxOutputBytes: nil)
    }

    /// Groups SSTables of similar size; picks the bucket of smallest average size that
    /// has at least `minThreshold` members (smallest first: cheapest, and it keeps the
    /// read amplification of fresh flushes down), at most `maxThreshold` of them.
    static func sizeTieredBucket(_ candidates: [CompactionCandidate], minThreshold: Int, maxThreshold: Int)
        -> (inputs: [CompactionCandidate], average: Double)? {
        let sorted = candidates.sorted { ($0.sizeBytes, $0.generation) < ($1.sizeBytes, $1.generation) }
        var buckets: [[CompactionCandidate]] = []
        var averages: [Double] = []
        for c in sorted {
            let size = Double(c.sizeBytes)
            if let last = averages.last,
               (size >= last * bucketLow && size <= last * bucketHigh)
                || (c.sizeBytes < minSSTableSizeBytes && last < Double(minSSTableSizeBytes)) {
                buckets[buckets.count - 1].append(c)
                let n = Double(buckets[buckets.count - 1].count)
                averages[averages.count - 1] = (last * (n - 1) + size) / n
            } else {
                buckets.append([c])
                averages.append(size)
            }
        }
        for (i, bucket) in buckets.enumerated() where bucket.count >= max(2, minThreshold) {
            return (Array(bucket.prefix(maxThreshold)), averages[i])
        }
        return nil
    }

    /// L0 (overlapping flushes) goes into L1 with the L1 SSTables it overlaps; a level
    /// over its budget (`sstableSizeBytes * fanout^level`) pushes one SSTable (the one
    /// with the smallest first key: a round robin over the key space would be fairer,
    /// this is deterministic) into the next level with those it overlaps there.
    /// With shard boundaries, a flush cut into pieces adds one to L0's depth, not one per
    /// piece: the trigger counts the deepest shard (`depth`), so L0 still compacts every
    /// `level0Trigger` flushes.
    static func leveled(_ candidates: [CompactionCandidate], sstableSizeBytes: Int64, fanout: Int,
                        boundaries: ShardBoundaries) -> CompactionPlan? {
        let byLevel = Dictionary(grouping: candidates, by: \.level)
        let l0 = byLevel[0] ?? []
        if l0.count >= level0Trigger && depth(l0, boundaries: boundaries) >= level0Trigger {
            // Outputs span the whole key range of L0, so every L1 SSTable inside that
            // range joins, or an output would overlap it.
            var span = l0[0]
            for c in l0 {
                if ByteOrder.compare(c.firstKey, span.firstKey) < 0 { span.firstKey = c.firstKey }
                if ByteOrder.compare(c.lastKey, span.lastKey) > 0 { span.lastKey = c.lastKey }
            }
            let inputs = l0 + (byLevel[1] ?? []).filter { $0.overlaps(span) }
            return CompactionPlan(inputs: inputs.map(\.generation).sorted(), outputLevel: 1, maxOutputBytes: sstableSizeBytes)
        }
        let maxLevel = byLevel.keys.max() ?? 0
        if maxLevel >= 1 {
            for level in 1...maxLevel {
                let members = byLevel[level] ?? []
                var budget = sstableSizeBytes
                for _ in 0..<level { budget = budget.multipliedReportingOverflow(by: Int64(fanout)).overflow ? Int64.max : budget * Int64(fanout) }
                let total = members.reduce(Int64(0)) { $0 + $1.sizeBytes }
                guard total > budget, let pick = members.min(by: { ByteOrder.compare($0.firstKey, $1.firstKey) < 0 }) else { continue }
                let next = (byLevel[level + 1] ?? []).filter { $0.overlaps(pick) }
                return CompactionPlan(inputs: ([pick] + next).map(\.generation).sorted(), outputLevel: level + 1,
                                      maxOutputBytes: sstableSizeBytes)
            }
        }
        return nil
    }
}
