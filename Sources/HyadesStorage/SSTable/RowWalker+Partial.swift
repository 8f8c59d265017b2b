import HyadesCore

/// Point reads of a block that is not cached decompress only what the partition needs:
/// segment 0 up to the end of the partition's entries, and each projected lz4 column
/// segment up to the checkpoint after the partition's last row. On average that is about
/// half of the block, and lz4 decompression was most of an uncached point read. Every
/// CRC is still checked over the whole stored segment before any byte is decoded.
extension RowWalker {
    /// Decodes the needed prefixes of the block's needed segments into the arena (which
    /// has room for their whole raw lengths) and points `segmentBytes` at them. False when
    /// the partial path does not apply or does not work out: nothing was delivered, the
    /// caller decodes the block fully.
    mutating func decodePartial(_ h: BlockHeader, raw: UnsafeRawBufferPointer, start: BlockEntryPosition) -> Bool {
        let s0 = h.segments[0]
        guard s0.codec == .lz4 else { return false }
        let stored0 = UnsafeRawBufferPointer(rebasing: raw[s0.offset..<(s0.offset + s0.storedLength)])
        let out0 = UnsafeMutableRawBufferPointer(start: arena, count: s0.rawLength)
        var target = min(s0.rawLength, start.byteOffset + 10 + 512)
        var endOrdinal = 0
        while true {
            guard BlockCompressor.decompressPrefix(stored0, .lz4, count: target, into: out0) else { return false }
            if let o = Self.partitionEndOrdinal(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out0)[0..<target]),
                                                h, start: start, complete: target == s0.rawLength) {
                endOrdinal = o
                break
            }
            if target == s0.rawLength { return false }
            target = min(s0.rawLength, target * 4)
        }
        segmentBytes[0] = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out0)[0..<target])
        var at = (s0.rawLength + 7) & ~7
        for i in 1..<h.segments.count where filter.includes(h.segments[i].columnID) {
            let s = h.segments[i]
            let stored = UnsafeRawBufferPointer(rebasing: raw[s.offset..<(s.offset + s.storedLength)])
            if s.codec == .none {
                segmentBytes[i] = stored
                continue
            }
            let out = UnsafeMutableRawBufferPointer(start: arena + at, count: s.rawLength)
            at += (s.rawLength + 7) & ~7
            if s.codec != .lz4 {
                guard BlockCompressor.decompress(stored, s.codec, into: out) else { return false }
                segmentBytes[i] = UnsafeRawBufferPointer(out)
                continue
            }
            guard let n = Self.columnPrefixLength(stored, s, out, rowCount: h.rowCount, endOrdinal: endOrdinal) else { return false }
            segmentBytes[i] = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<n])
        }
        return true
    }

    /// The row ordinal just past the partition that starts at `start`, if its entries are
    /// all within `prefix` (ended by the next partition start, or by the end of a complete
    /// segment); nil when more bytes are needed or they do not parse.
    static func partitionEndOrdinal(_ prefix: UnsafeRawBufferPointer, _ h: BlockHeader, start: BlockEntryPosition,
                                    complete: Bool) -> Int? {
        var c = ByteCursor(prefix)
        do {
            _ = try c.signedVarint()
            try c.skip(start.byteOffset)
            var entryIndex = start.entryIndex
            var ordinal = start.rowOrdinal
            var first = true
            while entryIndex < h.entryCount {
                guard c.pos < prefix.count else { return nil }
                let kind = prefix[c.pos]
                if kind == SSTableFormat.entryPartitionStart {
                    if !first { return ordinal }
                    first = false
                    c.pos += 1
                    try c.skipLengthPrefixed()
                    let flags = try c.u8()
                    if flags & SSTableFormat.partitionHasDeletion != 0 { try c.skipVarint(); try c.skipVarint() }
                    if flags & SSTableFormat.partitionHasRangeTombstones != 0 {
                        for _ in 0..<(try c.count()) {
                            try c.skipLengthPrefixed(); try c.skipLengthPrefixed(); try c.skipVarint(); try c.skipVarint()
                        }
                    }
                } else {
                    c.pos += 1
                    if kind == SSTableFormat.entryRow { try c.skipLengthPrefixed() }
                    let flags = try c.u8()
                    if flags & SSTableFormat.rowHasLiveness != 0 {
                        try c.skipVarint()
                        if flags & SSTableFormat.rowLivenessExpiring != 0 { try c.skipVarint(); try c.skipVarint() }
                    }
                    if flags & SSTableFormat.rowHasDeletion != 0 { try c.skipVarint(); try c.skipVarint() }
                    ordinal += 1
                }
                entryIndex += 1
            }
            // The partition runs to the end of the block: the walker checks the segment's
            // end, so it needs all of it.
            return complete ? ordinal : nil
        } catch {
            return nil
        }
    }

    /// Decodes a column segment's header (base, presence bitmap, checkpoints) and its
    /// cells up to the checkpoint at or after the cells of rows `< endOrdinal` (of a
    /// fixed-width segment: bitmap, width and the values of those rows); returns
    /// how many bytes are decoded, nil when it does not work out.
    static func columnPrefixLength(_ stored: UnsafeRawBufferPointer, _ s: SegmentDescriptor, _ out: UnsafeMutableRawBufferPointer,
                                   rowCount: Int, endOrdinal: Int) -> Int? {
        let raw = s.rawLength
        let bitmapBytes = (rowCount + 7) / 8
        var decoded = min(raw, 10 + bitmapBytes + 5)
        guard BlockCompressor.decompressPrefix(stored, s.codec, count: decoded, into: out) else { return nil }
        if s.layout == SSTableFormat.layoutFixedWidth {
            // Bitmap, width, then the values of the cells before endOrdinal.
            var c = ByteCursor(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<decoded]), at: bitmapBytes)
            guard let w = try? c.varint(), w <= UInt64(raw) else { return nil }
            let bitmap = UnsafeRawBufferPointer(out)
            var k = 0
            for o in 0..<min(endOrdinal, rowCount) where bitmap[o >> 3] & (1 << UInt8(o & 7)) != 0 { k += 1 }
            let end = c.pos + k * Int(w)
            guard end <= raw else { return nil }
            if end > decoded {
                guard BlockCompressor.decompressPrefix(stored, s.codec, count: end, into: out) else { return nil }
                decoded = end
            }
            return decoded
        }
        var c = ByteCursor(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<decoded]))
        guard (try? c.signedVarint()) != nil else { return nil }
        let bitmapStart = c.pos
        guard (try? c.skip(bitmapBytes)) != nil, let n = try? c.varint(), n <= UInt64(raw) else { return nil }
        let cellsStart = c.pos + Int(n) * 4
        guard cellsStart <= raw else { return nil }
        if cellsStart > decoded {
            decoded = cellsStart
            guard BlockCompressor.decompressPrefix(stored, s.codec, count: decoded, into: out) else { return nil }
        }
        // Cells before endOrdinal, then the first checkpoint at or past them.
        let bitmap = UnsafeRawBufferPointer(out)
        var k = 0
        for o in 0..<min(endOrdinal, rowCount) where bitmap[bitmapStart + o >> 3] & (1 << UInt8(o & 7)) != 0 { k += 1 }
        var end = raw
        let j = (k + SSTableFormat.cellCheckpointInterval - 1) / SSTableFormat.cellCheckpointInterval
        if k == 0 {
            end = cellsStart
        } else if j <= Int(n) {
            let offset = Int(UInt32(littleEndian: bitmap.loadUnaligned(fromByteOffset: c.pos + (j - 1) * 4, as: UInt32.self)))
            guard offset <= raw - cellsStart else { return nil }
            end = cellsStart + offset
        }
        if end > decoded {
            guard BlockCompressor.decompressPrefix(stored, s.codec, count: end, into: out) else { return nil }
            decoded = end
        }
        return decoded
    }
}
