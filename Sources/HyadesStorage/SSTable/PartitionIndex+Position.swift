import HyadesCore

/// Where a partition starts in Data.db, without its key or block list: all a whole-partition
/// read needs, decoded from the index group in place (nothing allocated).
struct IndexPosition {
    var blockOffset: Int64
    var entry: BlockEntryPosition
}

extension PartitionIndexReader {
    /// The last group whose first key is <= `key` (raw bytes), or nil.
    func groupIndex(for key: UnsafeRawBufferPointer) -> Int? {
        let k = Self.prefix64(key)
        return summaryPrefixes.withUnsafeBufferPointer { prefixes in
            var lo = 0, hi = prefixes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                let p = prefixes[mid]
                let lessOrEqual = p != k ? p < k : summary[mid].firstKey.withUnsafeBytes { ByteOrder.compare($0, key) } <= 0
                if lessOrEqual { lo = mid + 1 } else { hi = mid }
            }
            return lo == 0 ? nil : lo - 1
        }
    }

    /// The position of exactly `key` (byte-comparable), or nil. A cached group is
    /// binary-searched; otherwise the group is CRC-checked and scanned in place in the
    /// mmapped file, and enters the cache only through its admission window.
    func findPosition(_ key: UnsafeRawBufferPointer, cache: SSTableBlockCache?, owner: UInt64) throws -> IndexPosition? {
        guard let gi = groupIndex(for: key) else { return nil }
        let g = summary[gi]
        let cacheOffset = -1 - g.groupOffset
        do {
            if let cache {
                var group = cache.get(owner: owner, offset: cacheOffset)?.group
                if group == nil, cache.admit(owner: owner, offset: cacheOffset) {
                    let checked = try checkedGroup(gi)
                    cache.put(owner: owner, offset: cacheOffset, SSTableBlockCache.Entry(group: checked))
                    group = checked
                }
                if let group {
                    let wanted = Self.prefix64(key)
                    // The run of entries whose prefix equals the key's: usually one or none.
                    let (lo, hi) = group.prefixes.withUnsafeBufferPointer { p -> (Int, Int) in
                        var lo = 0, hi = p.count
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            if p[mid] < wanted { lo = mid + 1 } else { hi = mid }
                        }
                        var end = lo
                        while end < p.count && p[end] == wanted { end += 1 }
                        return (lo, end)
                    }
                    guard lo < hi else { return nil }
                    return try group.bytes.withUnsafeBytes { raw throws(DecodeFailure) -> IndexPosition? in
                        for i in lo..<hi {
                            var c = ByteCursor(raw, at: Int(group.entryOffsets[i]))
                            let len = try c.length()
                            if ByteOrder.compare(UnsafeRawBufferPointer(rebasing: raw[c.pos..<(c.pos + len)]), key) == 0 {
                                c.pos += len
                                return try Self.position(&c)
                            }
                        }
                        return nil
                    }
                }
            }
            let path = file.path
            return try file.withBytes(at: g.groupOffset, count: g.groupLength) { raw throws -> IndexPosition? in
                let n = g.groupLength
                let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
                guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(n - 4)])) == stored else {
                    throw SSTableCorruptionError(path: path, offset: g.groupOffset, what: "index group \(gi) checksum mismatch")
                }
                var c = ByteCursor(UnsafeRawBufferPointer(rebasing: raw[0..<(n - 4)]))
                guard Int(try c.u32()) == n - 8 else { throw DecodeFailure("group length mismatch") }
                let count = try c.count()
                // Entries are in key order: compare 8-byte prefixes, whole keys only on a
                // tie; skip the other fields without decoding them.
                let wanted = Self.prefix64(key)
                for _ in 0..<count {
                    let len = try c.length()
                    let entryKey = UnsafeRawBufferPointer(rebasing: c.bytes[c.pos..<(c.pos + len)])
                    let p = Self.prefix64(entryKey)
                    c.pos += len
                    if p >= wanted {
                        let cmp = p > wanted ? 1 : ByteOrder.compare(entryKey, key)
                        if cmp == 0 { return try Self.position(&c) }
                        if cmp > 0 { return nil }
                    }
                    try c.skipVarint(); try c.skipVarint(); try c.skipVarint(); try c.skipVarint()
                    let blocks = try c.count()
                    for _ in 0..<blocks { try c.skipLengthPrefixed(); try c.skipVarint() }
                }
                return nil
            }
        } catch let e as SSTableCorruptionError {
            throw e
        } catch {
            throw SSTableCorruptionError(path: file.path, offset: g.groupOffset, what: "index group \(gi): \(describe(error))")
        }
    }

    /// Decodes an entry's position fields (the cursor just past its key).
    @inline(__always) static func position(_ c: inout ByteCursor) throws(DecodeFailure) -> IndexPosition {
        let offset = try c.varint()
        let entryIndex = try c.varint()
        let byteOffset = try c.varint()
        let rowOrdinal = try c.varint()
        guard offset <= UInt64(Int64.max), entryIndex <= UInt64(UInt32.max), byteOffset <= UInt64(UInt32.max),
              rowOrdinal <= UInt64(UInt32.max) else { throw DecodeFailure("bad index entry position") }
        return IndexPosition(blockOffset: Int64(offset),
                             entry: BlockEntryPosition(entryIndex: Int(entryIndex), byteOffset: Int(byteOffset), rowOrdinal: Int(rowOrdinal)))
    }

    /// The position of the first partition with a key >= `key`, or nil past the end.
    func lowerBoundPosition(_ key: [UInt8]) throws -> IndexPosition? {
        guard let e = try lowerBound(key) else { return nil }
        return IndexPosition(blockOffset: e.blockOffset,
                             entry: BlockEntryPosition(entryIndex: e.entryIndex, byteOffset: e.entryByteOffset, rowOrdinal: e.rowOrdinal))
    }
}
