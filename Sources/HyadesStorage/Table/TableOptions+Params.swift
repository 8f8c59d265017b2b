import HyadesCore

extension TableOptions {
    /// The engine settings for a table's CQL options. One function for the node (which
    /// opens its TableStore with it) and for offline writers such as `hyades load`, so an
    /// SSTable written outside the node has the same compression and block size as one
    /// the node flushes itself.
    public init(params p: TableParams, memtableLimitBytes: Int = 64 << 20) {
        self.init()
        let cls = p.compression["class"] ?? ""
        if p.compression["enabled"] == "false" {
            compression = .none
        } else if cls.hasSuffix("SnappyCompressor") {
            compression = .snappy
        } else {
            compression = .lz4
        }
        if let kb = p.compression["chunk_length_in_kb"].flatMap({ Int($0) }), kb > 0 { chunkLengthBytes = kb * 1024 }
        if let r = p.compression["min_compress_ratio"].flatMap({ Double($0) }), r.isFinite, r >= 0 { minCompressRatio = r }
        bloomFilterFpChance = p.bloomFilterFpChance
        gcGraceSeconds = p.gcGraceSeconds
        if (p.compaction["class"] ?? "").hasSuffix("LeveledCompactionStrategy") {
            let mb = p.compaction["sstable_size_in_mb"].flatMap { Int($0) } ?? 160
            compaction = .leveled(sstableSizeBytes: mb << 20)
        } else {
            compaction = .sizeTiered(minThreshold: p.compaction["min_threshold"].flatMap { Int($0) } ?? 4,
                                     maxThreshold: p.compaction["max_threshold"].flatMap { Int($0) } ?? 32)
        }
        self.memtableLimitBytes = memtableLimitBytes
    }
}
