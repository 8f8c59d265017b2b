import HyadesCore

/// Where a partition lives in Data.db: the block holding its partition-start entry and
/// that entry's index in the block; for a partition spanning several blocks, every block
/// it touches with the first clustering of its rows there (the first block's is empty),
/// so a slice of a wide partition reads only the blocks it needs.
public struct PartitionIndexEntry: Hashable, Sendable {
    public var key: [UInt8]
    public var blockOffset: Int64
    public var entryIndex: Int
    /// Byte offset of the partition start within segment 0 (after its base timestamp) and
    /// the row ordinal of its first row: a point read seeks straight to it.
    var entryByteOffset: Int
    var rowOrdinal: Int
    public var blocks: [(firstClustering: [UInt8], offset: Int64)] {
        get { blockList.map { ($0.firstClustering, $0.offset) } }
        set { blockList = newValue.map { BlockRef(firstClustering: $0.firstClustering, offset: $0.offset) } }
    }
    var blockList: [BlockRef]

    struct BlockRef: Hashable, Sendable {
        var firstClustering: [UInt8]
        var offset: Int64
    }

    func encode(into out: inout [UInt8]) {
        out.putLengthPrefixed(key)
        out.putVarint(UInt64(blockOffset))
        out.putVarint(UInt64(entryIndex))
        out.putVarint(UInt64(entryByteOffset))
        out.putVarint(UInt64(rowOrdinal))
        out.putVarint(UInt64(blockList.count))
        for b in blockList {
            out.putLengthPrefixed(b.firstClustering)
            out.putVarint(UInt64(b.offset))
        }
    }

    static func decode(_ c: inout ByteCursor) throws(DecodeFailure) -> PartitionIndexEntry {
        let key = try c.lengthPrefixed()
        let offset = try c.varint()
        let entryIndex = try c.varint()
        let byteOffset = try c.varint()
        let rowOrdinal = try c.varint()
        guard offset <= UInt64(Int64.max), entryIndex <= UInt64(UInt32.max), byteOffset <= UInt64(UInt32.max),
              rowOrdinal <= UInt64(UInt32.max) else { throw DecodeFailure("bad index entry position") }
        let n = try c.count()
        var blocks: [BlockRef] = []
        blocks.reserveCapacity(n)
        for _ in 0..<n {
            let first = try c.lengthPrefixed()
            let o = try c.varint()
            guard o <= UInt64(Int64.max) else { throw DecodeFailure("bad block offset") }
            blocks.append(BlockRef(firstClustering: first, offset: Int64(o)))
        }
        return PartitionIndexEntry(key: key, blockOffset: Int64(offset), entryIndex: Int(entryIndex),
                                   entryByteOffset: Int(byteOffset), rowOrdinal: Int(rowOrdinal), blockList: blocks)
    }

    /// The offset of the last block whose first clustering is <= `clustering` (where a slice
    /// starting there must begin reading), or nil without a block list.
    func blockOffset(forSliceStart clustering: [UInt8]) -> Int64? {
        guard blockList.count > 1 else { return nil }
        var lo = 0, hi = blockList.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ByteOrder.compare(blockList[mid].firstClustering, clustering) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : blockList[lo - 1].offset
    }
}

/// One entry of the in-memory summary: the first key of an index group and where it is.
struct IndexSummaryEntry: Sendable {
    var firstKey: [UInt8]
    var groupOffset: Int64
    var groupLength: Int
}

/// Writes Index.db as it goes: groups of `interval` entries, each checksummed, then the
/// summary (first key + position of every group) and a fixed footer.
struct PartitionIndexWriter {
    let file: any WritableFile
    let interval: Int
    var group: [UInt8] = []
    var groupCount = 0
    var groupFirstKey: [UInt8] = []
    var summary: [IndexSummaryEntry] = []
    var partitionCount: Int64 = 0

    init(file: any WritableFile, interval: Int, generation: Int64) throws {
        self.file = file
        self.interval = max(1, interval)
        try file.append(SSTableFileHeader(component: .index, version: SSTableFormat.currentVersion, flags: 0, generation: generation).encoded())
    }

    mutating func add(_ entry: PartitionIndexEntry) throws {
        if groupCount == 0 { groupFirstKey = entry.key }
        entry.encode(into: &group)
        groupCount += 1
        partitionCount += 1
        if groupCount >= interval { try flushGroup() }
    }

    // Group: payloadLength u32, entryCount varint + entries, crc32c u32 of the length and payload.
    mutating func flushGroup() throws {
        guard groupCount > 0 else { return }
        var payload: [UInt8] = []
        payload.putVarint(UInt64(groupCount))
        payload.append(contentsOf: group)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 8)
        out.putU32(UInt32(payload.count))
        out.append(contentsOf: payload)
        out.putU32(CRC32C.checksum(out))
        summary.append(IndexSummaryEntry(firstKey: groupFirstKey, groupOffset: file.size, groupLength: out.count))
        try file.append(out)
        group.removeAll(keepingCapacity: true)
        groupCount = 0
    }

    // Summary: count varint, per group (firstKey, groupOffset varint, groupLength varint),
    // crc32c u32. Footer: summaryOffset u64, summaryLength u64, partitionCount u64, "HYIX",
    // crc32c u32 of the footer's first 28 bytes.
    mutating func finish() throws {
        try flushGroup()
        var s: [UInt8] = []
        s.putVarint(UInt64(summary.count))
        for e in summary {
            s.putLengthPrefixed(e.firstKey)
            s.putVarint(UInt64(e.groupOffset))
            s.putVarint(UInt64(e.groupLength))
        }
        s.putU32(CRC32C.checksum(s))
        let summaryOffset = file.size
        try file.append(s)
        var footer: [UInt8] = []
        footer.putU64(UInt64(summaryOffset))
        footer.putU64(UInt64(s.count))
        footer.putU64(UInt64(partitionCount))
        footer.append(contentsOf: SSTableFormat.Component.index.magic)
        footer.putU32(CRC32C.checksum(footer))
        try file.append(footer)
    }
}

/// The read side of Index.db: the summary in memory, groups read on demand.
struct PartitionIndexReader: Sendable {
    let file: any ReadableFile
    let summary: [IndexSummaryEntry]
    /// The first 8 bytes (big-endian, zero-padded) of each group's first key: a point
    /// lookup binary-searches these inline integers and compares whole keys only on a tie.
    let summaryPrefixes: [UInt64]
    let partitionCount: Int64
    let summaryOffset: Int64

    init(file: any ReadableFile, generation: Int64) throws {
        self.file = file
        _ = try SSTableFileHeader.read(file, component: .index, generation: generation)
        let path = file.path
        let footerAt = file.size - Int64(SSTableFormat.indexFooterSize)
        guard footerAt >= Int64(SSTableFormat.fileHeaderSize) else {
            throw SSTableCorruptionError(path: path, offset: 0, what: "index file too short for its footer")
        }
        let (so, sl, pc) = try file.withBytes(at: footerAt, count: SSTableFormat.indexFooterSize) { raw in
            var c = ByteCursor(raw)
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<28]))
            let so = (try? c.u64()) ?? 0, sl = (try? c.u64()) ?? 0, pc = (try? c.u64()) ?? 0
            let magic = Array(raw[24..<28])
            c.pos = 28
            guard (try? c.u32()) == crc, magic == SSTableFormat.Component.index.magic else {
                throw SSTableCorruptionError(path: path, offset: footerAt, what: "index footer checksum mismatch")
            }
            guard so >= UInt64(SSTableFormat.fileHeaderSize), sl >= 4, so + sl == UInt64(footerAt) else {
                throw SSTableCorruptionError(path: path, offset: footerAt, what: "index footer points outside the file")
            }
            return (Int64(so), Int(sl), Int64(bitPattern: pc))
        }
        self.summaryOffset = so
        self.partitionCount = pc
        self.summary = try file.withBytes(at: so, count: sl) { raw in
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: sl - 4, as: UInt32.self))
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(sl - 4)])) == stored else {
                throw SSTableCorruptionError(path: path, offset: so, what: "index summary checksum mismatch")
            }
            var c = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[0..<(sl - 4)]))
            do {
                var out: [IndexSummaryEntry] = []
                let n = try c.count()
                out.reserveCapacity(n)
                var expected = Int64(SSTableFormat.fileHeaderSize)
                for _ in 0..<n {
                    let key = try c.lengthPrefixed()
                    let off = try c.varint(), len = try c.varint()
                    guard off == UInt64(expected), len >= 8, off + len <= UInt64(so) else { throw DecodeFailure("summary entry points outside the index") }
                    out.append(IndexSummaryEntry(firstKey: key, groupOffset: Int64(off), groupLength: Int(len)))
                    expected = Int64(off + len)
                }
                guard expected == so else { throw DecodeFailure("summary does not cover the index") }
                return out
            } catch {
                throw SSTableCorruptionError(path: path, offset: so, what: "index summary: \(describe(error))")
            }
        }
        self.summaryPrefixes = summary.map { k in k.firstKey.withUnsafeBytes { Self.prefix64($0) } }
    }

    /// The first 8 bytes of `key` as a big-endian integer, zero-padded: a strict `<` of two
    /// prefixes implies the same order of the whole keys.
    @inline(__always) static func prefix64(_ key: UnsafeRawBufferPointer) -> UInt64 {
        if key.count >= 8 { return UInt64(bigEndian: key.loadUnaligned(as: UInt64.self)) }
        var v: UInt64 = 0
        for i in 0..<8 { v = (v << 8) | UInt64(i < key.count ? key[i] : 0) }
        return v
    }

    /// Reads and checks group `i`.
    func group(_ i: Int) throws -> [PartitionIndexEntry] {
        let g = summary[i]
        let path = file.path
        return try file.withBytes(at: g.groupOffset, count: g.groupLength) { raw in
            let n = g.groupLength
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(n - 4)])) == stored else {
                throw SSTableCorruptionError(path: path, offset: g.groupOffset, what: "index group \(i) checksum mismatch")
            }
            do {
                var c = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[0..<(n - 4)]))
                guard Int(try c.u32()) == n - 8 else { throw DecodeFailure("group length mismatch") }
                let count = try c.count()
                var out: [PartitionIndexEntry] = []
                out.reserveCapacity(count)
                for _ in 0..<count { out.append(try PartitionIndexEntry.decode(&c)) }
                guard c.atEnd, out.first?.key == g.firstKey else { throw DecodeFailure("group contents disagree with the summary") }
                return out
            } catch let e as SSTableCorruptionError {
                throw e
            } catch {
                throw SSTableCorruptionError(path: path, offset: g.groupOffset, what: "index group \(i): \(describe(error))")
            }
        }
    }

    /// The last group whose first key is <= `key`, or nil when `key` sorts before all.
    func groupIndex(for key: [UInt8]) -> Int? {
        var lo = 0, hi = summary.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ByteOrder.compare(summary[mid].firstKey, key) <= 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// The entry of exactly `key`, or nil. With a cache, the group is checked and split into
    /// entries once and then binary-searched; without, it is checked and scanned in place.
    func find(_ key: [UInt8], cache: SSTableBlockCache? = nil, owner: UInt64 = 0) throws -> PartitionIndexEntry? {
        guard let gi = groupIndex(for: key) else { return nil }
        let g = summary[gi]
        let cacheOffset = -1 - g.groupOffset
        let group: SSTableBlockCache.IndexGroup
        if let cached = cache?.get(owner: owner, offset: cacheOffset)?.group {
            group = cached
        } else {
            group = try checkedGroup(gi)
            if let cache, cache.admit(owner: owner, offset: cacheOffset) {
                cache.put(owner: owner, offset: cacheOffset, SSTableBlockCache.Entry(group: group))
            }
        }
        do {
            return try group.bytes.withUnsafeBytes { raw throws -> PartitionIndexEntry? in
                try key.withUnsafeBytes { k throws -> PartitionIndexEntry? in
                    var lo = 0, hi = group.entryOffsets.count
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        var c = ByteCursor(raw, at: Int(group.entryOffsets[mid]))
                        let len = try c.length()
                        let cmp = ByteOrder.compare(UnsafeRawBufferPointer(rebasing: raw[c.pos..<(c.pos + len)]), k)
                        if cmp == 0 {
                            var d = ByteCursor(raw, at: Int(group.entryOffsets[mid]))
                            return try PartitionIndexEntry.decode(&d)
                        }
                        if cmp < 0 { lo = mid + 1 } else { hi = mid }
                    }
                    return nil
                }
            }
        } catch {
            throw SSTableCorruptionError(path: file.path, offset: g.groupOffset, what: "index group \(gi): \(describe(error))")
        }
    }

    /// Reads group `i`, checks its CRC and finds where each entry starts.
    func checkedGroup(_ i: Int) throws -> SSTableBlockCache.IndexGroup {
        let g = summary[i]
        let path = file.path
        return try file.withBytes(at: g.groupOffset, count: g.groupLength) { raw in
            let n = g.groupLength
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(n - 4)])) == stored else {
                throw SSTableCorruptionError(path: path, offset: g.groupOffset, what: "index group \(i) checksum mismatch")
            }
            do {
                let body = UnsafeRawBufferPointer(rebasing: raw[0..<(n - 4)])
                var c = ByteCursor(body)
                guard Int(try c.u32()) == n - 8 else { throw DecodeFailure("group length mismatch") }
                let count = try c.count()
                var offsets: [Int32] = []
                offsets.reserveCapacity(count)
                var prefixes: [UInt64] = []
                prefixes.reserveCapacity(count)
                var previous: UnsafeRawBufferPointer? = nil
                for _ in 0..<count {
                    offsets.append(Int32(c.pos))
                    let len = try c.length()
                    let key = UnsafeRawBufferPointer(rebasing: body[c.pos..<(c.pos + len)])
                    if let previous {
                        if ByteOrder.compare(previous, key) >= 0 { throw DecodeFailure("keys out of order") }
                    } else if !g.firstKey.elementsEqual(key) {
                        throw DecodeFailure("group contents disagree with the summary")
                    }
                    previous = key
                    prefixes.append(Self.prefix64(key))
                    try c.skip(len)
                    _ = try c.varint(); _ = try c.varint(); _ = try c.varint(); _ = try c.varint()
                    for _ in 0..<(try c.count()) { try c.skipLengthPrefixed(); _ = try c.varint() }
                }
                guard c.atEnd else { throw DecodeFailure("trailing bytes in group") }
                return SSTableBlockCache.IndexGroup(bytes: Array(body), entryOffsets: offsets, prefixes: prefixes)
            } catch let e as SSTableCorruptionError {
                throw e
            } catch {
                throw SSTableCorruptionError(path: path, offset: g.groupOffset, what: "index group \(i): \(describe(error))")
            }
        }
    }

    /// The first entry with a key >= `key`, or nil past the end.
    func lowerBound(_ key: [UInt8]) throws -> PartitionIndexEntry? {
        var gi = groupIndex(for: key) ?? 0
        while gi < summary.count {
            for e in try group(gi) where ByteOrder.compare(e.key, key) >= 0 { return e }
            gi += 1
        }
        return nil
    }
}
