import HyadesCore

/// What `nodetool tablestats` shows of one table, read from the live SSTable set and the
/// memtables in one snapshot. Only what the engine really tracks: there are no read/write
/// counters or latencies here (Cassandra's metrics), so nodetool does not print them.
public struct TableStatistics: Hashable, Sendable {
    public var sstableCount: Int
    /// Live SSTables per level (leveled compaction: level 0 ... highest; size-tiered: all 0).
    public var sstablesPerLevel: [Int]
    /// Bytes of every live SSTable's files (Cassandra's "Space used (live)").
    public var liveDiskBytes: Int64
    /// Data bytes before and after compression, over the live SSTables; compressed equals
    /// uncompressed for SSTables written without compression.
    public var uncompressedDataBytes: Int64
    public var compressedDataBytes: Int64
    /// Whether any live SSTable is compressed.
    public var isCompressed: Bool
    /// Partitions of every SSTable plus those of the memtables: overlapping keys count once
    /// per SSTable they are in (Cassandra merges HyperLogLog sketches; we do not keep them).
    public var estimatedPartitions: Int64
    /// Bytes held by the live memtable and any being flushed.
    public var memtableDataBytes: Int64
    /// Memtables sealed and being written out.
    public var pendingFlushes: Int
    /// Partition sizes over the live SSTables (bucket bounds of their histograms, as
    /// Cassandra's "Compacted partition minimum/maximum/mean bytes"); 0 when there are none.
    public var partitionMinimumBytes: Int64
    public var partitionMaximumBytes: Int64
    public var partitionMeanBytes: Int64
    /// Bytes of the bloom filters held in memory.
    public var bloomFilterBytes: Int64
    /// Tombstones written in the live SSTables.
    public var tombstones: Int64
}

extension TableStore {
    public var statistics: TableStatistics {
        let (memtables, sstables, flushing) = state.withLock { s in ([s.live] + s.flushing, s.sstables, s.flushing.count) }
        var histogram = EstimatedHistogram()
        var levels: [Int] = []
        var stats = TableStatistics(sstableCount: sstables.count, sstablesPerLevel: [], liveDiskBytes: 0,
                                    uncompressedDataBytes: 0, compressedDataBytes: 0, isCompressed: false,
                                    estimatedPartitions: 0, memtableDataBytes: 0, pendingFlushes: flushing,
                                    partitionMinimumBytes: 0, partitionMaximumBytes: 0, partitionMeanBytes: 0,
                                    bloomFilterBytes: 0, tombstones: 0)
        for t in sstables {
            let s = t.reader.statistics
            if levels.count <= t.level { levels += [Int](repeating: 0, count: t.level + 1 - levels.count) }
            levels[t.level] += 1
            stats.liveDiskBytes += t.reader.onDiskSizeBytes
            stats.uncompressedDataBytes += s.uncompressedDataBytes
            stats.compressedDataBytes += s.compression == .none ? s.uncompressedDataBytes : s.compressedDataBytes
            if s.compression != .none { stats.isCompressed = true }
            stats.estimatedPartitions += s.partitionCount
            stats.bloomFilterBytes += Int64(t.reader.filter.words.count * 8)
            stats.tombstones += s.tombstoneCount
            if s.partitionSizeHistogram.counts.count == histogram.counts.count {
                for (i, c) in s.partitionSizeHistogram.counts.enumerated() { histogram.counts[i] += c }
            }
        }
        for m in memtables {
            stats.estimatedPartitions += Int64(m.partitionCount)
            stats.memtableDataBytes += Int64(m.liveBytes)
        }
        stats.sstablesPerLevel = levels
        if let first = histogram.counts.firstIndex(where: { $0 > 0 }), let last = histogram.counts.lastIndex(where: { $0 > 0 }) {
            // Cassandra's min() is the lower bound of the first bucket used, max() the upper
            // bound of the last (Long.MAX_VALUE past the histogram's end).
            stats.partitionMinimumBytes = first == 0 ? 0 : histogram.offsets[first - 1] + 1
            stats.partitionMaximumBytes = last < histogram.offsets.count ? histogram.offsets[last] : Int64.max
            stats.partitionMeanBytes = histogram.mean
        }
        return stats
    }
}
