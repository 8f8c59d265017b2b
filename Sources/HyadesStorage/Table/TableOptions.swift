/// Block compression of SSTables (CQL `compression = {'class': ...}`).
public enum CompressionAlgorithm: UInt8, Sendable, Hashable, CaseIterable {
    // On-disk values: never change.
    case none = 0
    case lz4 = 1
    case snappy = 2
}

public enum CompactionStrategyKind: Sendable, Hashable {
    /// Size-tiered (Cassandra's default): merge `minThreshold` SSTables of similar size.
    case sizeTiered(minThreshold: Int = 4, maxThreshold: Int = 32)
    /// Leveled: L0 then levels of non-overlapping SSTables, each `fanout` times larger.
    case leveled(sstableSizeBytes: Int = 160 << 20, fanout: Int = 10)
}

/// The per-table engine settings (CQL table options and cassandra.yaml limits).
public struct TableOptions: Sendable, Hashable {
    public var compression: CompressionAlgorithm = .lz4
    /// Uncompressed size of a data block (CQL `chunk_length_in_kb`), default 16 KiB.
    public var chunkLengthBytes: Int = 16 * 1024
    /// CQL `compression = {..., 'min_compress_ratio': r}`: a column segment is stored
    /// compressed only when that makes it at least r times smaller, and a column whose
    /// recent segments did not is written without trying the codec for a while (see
    /// `SegmentCodecPolicy`). At most 1 (e.g. 0) keeps every segment that shrinks at all.
    public var minCompressRatio: Double = TableOptions.defaultMinCompressRatio
    /// 8/7: a segment must save at least an eighth of its bytes.
    public static let defaultMinCompressRatio = 8.0 / 7.0
    public var bloomFilterFpChance: Double = 0.01
    /// One index summary entry per this many index entries.
    public var indexSummaryInterval: Int = 128
    public var compaction: CompactionStrategyKind = .sizeTiered()
    public var gcGraceSeconds: Int32 = 864_000
    /// Memtable bound in bytes: a flush starts at half, writers wait only at the bound.
    public var memtableLimitBytes: Int = 64 << 20
    /// A flush cuts its output at a shard boundary only when the pieces on both sides hold
    /// at least this much (memtable-size estimate), so small flushes do not make a file
    /// per shard (`ShardBoundaries`; compaction cuts at every boundary). 0: cut at every
    /// boundary.
    public var flushShardMinBytes: Int = 4 << 20

    public init() {}
}
