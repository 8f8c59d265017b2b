import HyadesCore

/// One SSTable's partitions in a range, walked a run of partitions at a time: each walk
/// hands rows to the callback as `forEachRow` does and stops BEFORE the first partition
/// at or past a bound, keeping its place — the block stays decoded and the column cursors
/// stay where they are — so the next walk goes on from there at the cost of a call.
/// `MergedScan` merges overlapping SSTables with these: a partition only one SSTable holds
/// streams straight from it, with no point read and no copy.
struct SSTablePartitionCursor: ~Copyable {
    let reader: SSTableReader
    var walker: RowWalker
    /// The block being walked, and where in it the next walk starts (nil: its first entry).
    var blockOffset: Int64
    var position: BlockEntryPosition?
    /// `blockOffset`'s block is decoded in the walker (`holdBlock`).
    var held = false
    /// Blocks loaded while set are decoded with every column (a partition being copied
    /// for a merge: liveness after the merge needs them all).
    var forceWide = false
    /// No partition left in the range.
    private(set) var exhausted = false

    /// Positions the cursor on the first partition of `range` (one index lookup and one
    /// block: what a page of a paged scan pays to start). `livenessAt`: see `forEachRow`.
    init(reader: SSTableReader, range: PartitionRange, columns: ColumnFilter, livenessAt: Int32?) throws {
        self.reader = reader
        walker = RowWalker(path: reader.data.path, filter: columns, lower: range.lower, upper: range.upper, livenessNow: livenessAt)
        blockOffset = reader.dataStart
        if reader.statistics.partitionCount == 0 || reader.dataEnd <= reader.dataStart {
            exhausted = true
            return
        }
        if !range.lower.isEmpty {
            guard let p = try reader.index.lowerBoundPosition(range.lower) else {
                exhausted = true
                return
            }
            blockOffset = p.blockOffset
            position = p.entry
        }
        // Up to the first partition start (every key is at or past the empty bound).
        _ = try walk(until: UnsafeRawBufferPointer(start: nil, count: 0)) { _ in true }
    }

    /// The byte-comparable key of the next partition, nil when exhausted. Valid until the
    /// cursor moves.
    var head: UnsafeRawBufferPointer? {
        exhausted ? nil : UnsafeRawBufferPointer(start: walker.keyBuffer, count: walker.keyCount)
    }

    /// Hands `body` the rows of the partitions before `bound` (nil: to the end of the
    /// range), starting with `head`'s, and stops before the first partition at or past
    /// `bound`, which becomes `head`. Returns false when `body` did.
    mutating func walk(until bound: UnsafeRawBufferPointer?, _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        walker.pauseBound = bound
        defer { walker.pauseBound = nil }
        while !exhausted {
            if !held { try load(wide: forceWide) }
            let go = try walker.walkEntriesChecked(walker.heldHeader!, cursorCount: walker.heldCursorCount, start: position, body)
            if let r = walker.restart {
                // A row needs every column to decide its liveness: the rest of this block
                // again, wide, from that row (the rows before it were delivered already).
                walker.restart = nil
                position = r
                try load(wide: true)
                continue
            }
            if go {
                // The block is done; its last partition may go on in the next one.
                held = false
                position = nil
                blockOffset = walker.nextOffset
                if blockOffset >= reader.dataEnd { exhausted = true }
                continue
            }
            if let p = walker.pausedAt {
                walker.pausedAt = nil
                position = p
                return true
            }
            if walker.reachedUpper {
                exhausted = true
                return true
            }
            return false
        }
        return true
    }

    /// Copies `head`'s partition with every column into `copy` (the partition is in
    /// other sources too and must be merged) and moves past it. `past` is a key just past
    /// `head` (head + [0]).
    mutating func copyPartition(past: UnsafeRawBufferPointer, into copy: CopiedPartition) throws {
        if walker.filter.columns != nil {
            // A projection: the block from this partition on again with every column
            // (unless the projection names every column the block has).
            forceWide = true
            if held && !walker.blockComplete { try load(wide: true) }
        }
        defer { forceWide = false }
        _ = try walk(until: past) { v in
            copy.append(v)
            return true
        }
    }

    private mutating func load(wide: Bool) throws {
        walker.wideBlock = wide
        held = false
        try walker.holdBlock(file: reader.data, offset: blockOffset, dataEnd: reader.dataEnd, cache: reader.blockCache,
                             owner: reader.cacheOwner)
        held = true
    }
}

extension RowWalker {
    /// Decodes the needed segments of the block at `offset` so that they stay readable
    /// after this call (cursor walks resume in the block): from a block cache entry (kept
    /// referenced) or into the arena — stored segments copied too, since the file's bytes
    /// are only valid inside `withBytes`. Every CRC is checked. Never fills the cache (a
    /// scan must not evict the point reads' working set).
    mutating func holdBlock(file: any ReadableFile, offset: Int64, dataEnd: Int64, cache: SSTableBlockCache?, owner: UInt64) throws {
        heldEntry = nil
        heldHeader = nil
        if let cached = cache?.get(owner: owner, offset: offset), cached.group == nil, hasAllNeeded(cached) {
            let h = cached.header
            try ensureSegmentSlots(h.segments.count)
            for i in 0..<h.segments.count { segmentBytes[i] = cached.segments[i]?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0) }
            heldEntry = cached
            nextOffset = offset + Int64(h.length)
            heldCursorCount = try initCursors(h)
            heldHeader = h
            return
        }
        let (fixed, limit) = try BlockHeader.storedLength(file, at: offset, dataEnd: dataEnd)
        let h = try file.withBytes(at: offset, count: fixed) { raw throws -> BlockHeader in
            let h = try BlockHeader.parse(raw, offset: offset, limit: limit, path: path)
            try ensureSegmentSlots(h.segments.count)
            reserveArena(for: h)
            var at = 0
            for i in 0..<h.segments.count where needs(i, h.segments[i].columnID) {
                let s = h.segments[i]
                let stored = try h.checkedSegment(i, in: raw, path: path)
                let out = UnsafeMutableRawBufferPointer(start: arena + at, count: s.rawLength)
                if s.codec == .none {
                    guard s.storedLength == s.rawLength else {
                        throw SSTableCorruptionError(path: path, offset: offset + Int64(s.offset), what: "segment \(i) does not decompress")
                    }
                    if s.rawLength > 0 { out.baseAddress!.copyMemory(from: stored.baseAddress!, byteCount: s.rawLength) }
                } else {
                    guard BlockCompressor.decompress(stored, s.codec, into: out) else {
                        throw SSTableCorruptionError(path: path, offset: offset + Int64(s.offset), what: "segment \(i) does not decompress")
                    }
                }
                segmentBytes[i] = UnsafeRawBufferPointer(out)
                at += (s.rawLength + 7) & ~7
            }
            return h
        }
        nextOffset = offset + Int64(h.length)
        heldCursorCount = try initCursors(h)
        heldHeader = h
    }
}
