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
        var lo = 0, hi = summary.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let cmp = summary[mid].firstKey.withUnsafeBytes { ByteOrder.compare($0, key) }
            if cmp <= 0 { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
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
                    return try group.bytes.withUnsafeBytes { raw throws(DecodeFailure) -> IndexPosition? in
                        var lo = 0, hi = group.entryOffsets.count
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            var c = ByteCursor(raw, at: Int(group.entryOffsets[mid]))
                            let len = try c.length()
                            let cmp = ByteOrder.compare(UnsafeRawBufferPointer(rebasing: raw[c.pos..<(c.pos + len)]), key)
                            if cmp == 0 {
                                c.pos += len
                                return try Self.position(&c)
                            }
                            if cmp < 0 { lo = mid + 1 } else { hi = mid }
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
                for _ in 0..<count {
                    let len = try c.length()
                    let cmp = ByteOrder.compare(UnsafeRawBufferPointer(rebasing: c.bytes[c.pos..<(c.pos + len)]), key)
                    c.pos += len
                    if cmp == 0 { return try Self.position(&c) }
                    if cmp > 0 { return nil }
                    _ = try c.varint(); _ = try c.varint(); _ = try c.varint(); _ = try c.varint()
                    for _ in 0..<(try c.count()) { try c.skipLengthPrefixed(); _ = try c.varint() }
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
