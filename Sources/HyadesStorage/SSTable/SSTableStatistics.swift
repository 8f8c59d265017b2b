import HyadesCore

/// Cassandra's `EstimatedHistogram`: bucket i counts values in (offsets[i-1], offsets[i]];
/// offsets grow by ×1.2 (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 17, ...), the last bucket
/// counts everything larger. Partition sizes feed `system.size_estimates`.
public struct EstimatedHistogram: Hashable, Sendable {
    public let offsets: [Int64]
    public var counts: [Int64]

    public static func offsets(bucketCount: Int) -> [Int64] {
        var result: [Int64] = []
        var last: Int64 = 1
        result.append(last)
        for _ in 1..<bucketCount {
            var next = Int64((Double(last) * 1.2).rounded())
            if next == last { next += 1 }
            result.append(next)
            last = next
        }
        return result
    }

    /// 114 buckets reach ~2^40 bytes, as Cassandra's partition-size histogram with 150
    /// reaches far beyond any partition we will see.
    public init(bucketCount: Int = 114) {
        self.offsets = Self.offsets(bucketCount: bucketCount)
        self.counts = [Int64](repeating: 0, count: bucketCount + 1)
    }

    init(bucketCount: Int, counts: [Int64]) {
        self.offsets = Self.offsets(bucketCount: bucketCount)
        self.counts = counts
    }

    public mutating func add(_ value: Int64, count: Int64 = 1) {
        // Binary search for the first offset >= value.
        var lo = 0, hi = offsets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if offsets[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        counts[lo] += count
    }

    public var totalCount: Int64 { counts.reduce(0, +) }

    /// The mean of the bucket upper bounds weighted by count (as Cassandra's `mean()`).
    public var mean: Int64 {
        var sum: Int64 = 0, n: Int64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            sum &+= c &* (i < offsets.count ? offsets[i] : offsets.last! * 2)
            n += c
        }
        return n == 0 ? 0 : sum / n
    }

    /// The bucket upper bound at or below which `fraction` of the values fall.
    public func percentile(_ fraction: Double) -> Int64 {
        let total = totalCount
        guard total > 0 else { return 0 }
        let target = Int64((Double(total) * fraction).rounded(.up))
        var seen: Int64 = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= target { return i < offsets.count ? offsets[i] : Int64.max }
        }
        return Int64.max
    }
}

/// Everything known about an SSTable without reading its data: what `nodetool
/// tablestats`, compaction and `system.size_estimates` need.
public struct SSTableStatistics: Hashable, Sendable {
    public var partitionCount: Int64 = 0
    /// Rows (clustering rows, not counting static rows).
    public var rowCount: Int64 = 0
    public var minToken: Token = .maximum
    public var maxToken: Token = .minimum
    /// Byte-comparable form of the first and last decorated keys.
    public var firstKey: [UInt8] = []
    public var lastKey: [UInt8] = []
    public var minTimestamp: Int64 = Int64.max
    public var maxTimestamp: Int64 = Int64.min
    /// The largest local deletion time of any tombstone or expiring cell (`Int32.max` when
    /// nothing ever expires, as Cassandra).
    public var maxLocalDeletionTime: Int32 = Int32.min
    /// Cell, row, range and partition tombstones.
    public var tombstoneCount: Int64 = 0
    public var partitionSizeHistogram = EstimatedHistogram()
    /// Local deletion times of tombstones bucketed by `tombstoneDropTimeBucketSeconds`
    /// (time bucket start → count): estimates droppable tombstones for a gcBefore.
    public var tombstoneDropTimes: [Int32: Int64] = [:]
    public var compression: CompressionAlgorithm = .none
    public var chunkLengthBytes: Int = 0
    public var uncompressedDataBytes: Int64 = 0
    public var compressedDataBytes: Int64 = 0
    /// End of the last block in Data.db: the file must be exactly this long.
    public var dataEndOffset: Int64 = 0
    public var blockCount: Int64 = 0
    public var schema: SSTableSchemaHeader?

    public static let tombstoneDropTimeBucketSeconds: Int32 = 3600

    public init() {}

    /// Tombstones whose local deletion time is before `gcBefore` (compaction may drop them).
    public func estimatedDroppableTombstones(gcBefore: Int32) -> Int64 {
        var n: Int64 = 0
        for (t, c) in tombstoneDropTimes where t < gcBefore { n += c }
        return n
    }

    mutating func noteTimestamp(_ ts: Int64) {
        if ts < minTimestamp { minTimestamp = ts }
        if ts > maxTimestamp { maxTimestamp = ts }
    }

    mutating func noteTombstone(localDeletionTime: Int32) {
        tombstoneCount += 1
        noteLocalDeletionTime(localDeletionTime)
        let b = localDeletionTime - (localDeletionTime % Self.tombstoneDropTimeBucketSeconds + Self.tombstoneDropTimeBucketSeconds) % Self.tombstoneDropTimeBucketSeconds
        tombstoneDropTimes[b, default: 0] += 1
    }

    mutating func noteLocalDeletionTime(_ t: Int32) {
        if t > maxLocalDeletionTime { maxLocalDeletionTime = t }
    }

    // Statistics.db after the file header: payloadLength u32, payload, crc32c u32 of payload.
    func serialized(generation: Int64) -> [UInt8] {
        var p: [UInt8] = []
        p.putVarint(UInt64(partitionCount))
        p.putVarint(UInt64(rowCount))
        p.putU64(UInt64(bitPattern: minToken.value))
        p.putU64(UInt64(bitPattern: maxToken.value))
        p.putLengthPrefixed(firstKey)
        p.putLengthPrefixed(lastKey)
        p.putU64(UInt64(bitPattern: minTimestamp))
        p.putU64(UInt64(bitPattern: maxTimestamp))
        p.putU32(UInt32(bitPattern: maxLocalDeletionTime))
        p.putVarint(UInt64(tombstoneCount))
        p.putVarint(UInt64(partitionSizeHistogram.offsets.count))
        for c in partitionSizeHistogram.counts { p.putVarint(UInt64(c)) }
        let drops = tombstoneDropTimes.sorted { $0.key < $1.key }
        p.putVarint(UInt64(drops.count))
        for (t, c) in drops { p.putInt32(t); p.putVarint(UInt64(c)) }
        p.append(compression.rawValue)
        p.putVarint(UInt64(chunkLengthBytes))
        p.putVarint(UInt64(uncompressedDataBytes))
        p.putVarint(UInt64(compressedDataBytes))
        p.putVarint(UInt64(dataEndOffset))
        p.putVarint(UInt64(blockCount))
        if let schema {
            p.append(1)
            schema.encode(into: &p)
        } else {
            p.append(0)
        }
        var out = SSTableFileHeader(component: .statistics, version: SSTableFormat.currentVersion, flags: 0, generation: generation).encoded()
        out.putU32(UInt32(p.count))
        out.append(contentsOf: p)
        out.putU32(CRC32C.checksum(p))
        return out
    }

    static func read(_ file: any ReadableFile, generation: Int64) throws -> SSTableStatistics {
        _ = try SSTableFileHeader.read(file, component: .statistics, generation: generation)
        let h = Int64(SSTableFormat.fileHeaderSize)
        let body = Int(file.size - h)
        guard body >= 8 else { throw SSTableCorruptionError(path: file.path, offset: h, what: "statistics truncated") }
        return try file.withBytes(at: h, count: body) { raw in
            var c = ByteCursor(raw)
            let length = Int((try? c.u32()) ?? 0)
            guard length + 8 == body else {
                throw SSTableCorruptionError(path: file.path, offset: h, what: "statistics length \(length) does not match file size")
            }
            let payload = UnsafeRawBufferPointer(rebasing: raw[4..<(4 + length)])
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 + length, as: UInt32.self))
            guard CRC32C.checksum(payload) == stored else {
                throw SSTableCorruptionError(path: file.path, offset: h + 4, what: "statistics checksum mismatch")
            }
            do {
                return try decode(payload)
            } catch {
                throw SSTableCorruptionError(path: file.path, offset: h + 4, what: "statistics: \(describe(error))")
            }
        }
    }

    static func decode(_ payload: UnsafeRawBufferPointer) throws(DecodeFailure) -> SSTableStatistics {
        var c = ByteCursor(payload)
        var s = SSTableStatistics()
        s.partitionCount = Int64(bitPattern: try c.varint())
        s.rowCount = Int64(bitPattern: try c.varint())
        s.minToken = Token(Int64(bitPattern: try c.u64()))
        s.maxToken = Token(Int64(bitPattern: try c.u64()))
        s.firstKey = try c.lengthPrefixed()
        s.lastKey = try c.lengthPrefixed()
        s.minTimestamp = Int64(bitPattern: try c.u64())
        s.maxTimestamp = Int64(bitPattern: try c.u64())
        s.maxLocalDeletionTime = Int32(bitPattern: try c.u32())
        s.tombstoneCount = Int64(bitPattern: try c.varint())
        let buckets = try c.length(limit: 10_000)
        guard buckets >= 1 else { throw DecodeFailure("empty histogram") }
        var counts: [Int64] = []
        for _ in 0...buckets { counts.append(Int64(bitPattern: try c.varint())) }
        s.partitionSizeHistogram = EstimatedHistogram(bucketCount: buckets, counts: counts)
        for _ in 0..<(try c.count()) {
            let t = try c.int32()
            s.tombstoneDropTimes[t] = Int64(bitPattern: try c.varint())
        }
        guard let algo = CompressionAlgorithm(rawValue: try c.u8()) else { throw DecodeFailure("unknown compression") }
        s.compression = algo
        s.chunkLengthBytes = Int(truncatingIfNeeded: try c.varint())
        s.uncompressedDataBytes = Int64(bitPattern: try c.varint())
        s.compressedDataBytes = Int64(bitPattern: try c.varint())
        s.dataEndOffset = Int64(bitPattern: try c.varint())
        s.blockCount = Int64(bitPattern: try c.varint())
        switch try c.u8() {
        case 0: s.schema = nil
        case 1: s.schema = try SSTableSchemaHeader.decode(&c)
        default: throw DecodeFailure("bad schema flag")
        }
        guard c.atEnd else { throw DecodeFailure("trailing bytes") }
        return s
    }
}
