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

    public init(generation: Int64, sizeBytes: Int64, firstKey: [UInt8], lastKey: [UInt8], level: Int) {
        self.generation = generation
        self.sizeBytes = sizeBytes
        self.firstKey = firstKey
        self.lastKey = lastKey
        self.level = level
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

    public static func next(_ kind: CompactionStrategyKind, candidates: [CompactionCandidate]) -> CompactionPlan? {
        switch kind {
        case .sizeTiered(let minThreshold, let maxThreshold):
            return sizeTiered(candidates, minThreshold: minThreshold, maxThreshold: maxThreshold)
        case .leveled(let sstableSizeBytes, let fanout):
            return leveled(candidates, sstableSizeBytes: Int64(sstableSizeBytes), fanout: fanout)
        }
    }

    /// Groups SSTables of similar size; compacts the bucket of smallest average size that
    /// has at least `minThreshold` members (smallest first: cheapest, and it keeps the
    /// read amplification of fresh flushes down), at most `maxThreshold` of them.
    static func sizeTiered(_ candidates: [CompactionCandidate], minThreshold: Int, maxThreshold: Int) -> CompactionPlan? {
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
        for bucket in buckets where bucket.count >= max(2, minThreshold) {
            let chosen = bucket.prefix(maxThreshold)
            return CompactionPlan(inputs: chosen.map(\.generation).sorted(), outputLevel: 0, maxOutputBytes: nil)
        }
        return nil
    }

    /// L0 (overlapping flushes) goes into L1 with the L1 SSTables it overlaps; a level
    /// over its budget (`sstableSizeBytes * fanout^level`) pushes one SSTable (the one
    /// with the smallest first key: a round robin over the key space would be fairer,
    /// this is deterministic) into the next level with those it overlaps there.
    static func leveled(_ candidates: [CompactionCandidate], sstableSizeBytes: Int64, fanout: Int) -> CompactionPlan? {
        let byLevel = Dictionary(grouping: candidates, by: \.level)
        let l0 = byLevel[0] ?? []
        if l0.count >= level0Trigger {
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
