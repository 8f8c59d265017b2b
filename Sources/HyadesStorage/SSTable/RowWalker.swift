import HyadesCore

/// Where a walk enters a block: at its first entry, or at an entry the index located.
struct BlockEntryPosition {
    var entryIndex: Int
    var byteOffset: Int
    var rowOrdinal: Int
}

/// The engine of the zero-allocation read paths (`forEachRow`, `readPartition`): walks
/// the entries of one block after another straight from segment memory — the mmapped
/// file for uncompressed segments, a reused decompression arena otherwise, or a block
/// cache entry — and hands each row to the caller as an `SSTableRowView`. Scratch memory
/// is allocated once per walk and reused for every block and row.
struct RowWalker: ~Copyable {
    let path: String
    let filter: ColumnFilter
    /// Range scans: partitions at or past `upper` end the walk; the first partition must
    /// not sort before `lower` (the index placed us there).
    let lower: [UInt8]
    let upper: [UInt8]?
    /// Point reads: the byte-comparable key the partition must carry; the next partition
    /// start ends the walk.
    let expectedKey: UnsafeRawBufferPointer?
    /// Cassandra's fetched-vs-queried columns: when set (the read's `nowInSeconds`) and
    /// `filter` is a projection, a regular row that neither its primary-key liveness nor a
    /// projected cell keeps certainly alive makes the walk re-read the rest of its block
    /// with every column, so that liveness can be decided from all of them (a row written
    /// only by `UPDATE t SET b = ...` lives for `SELECT a`). Rows with a live row marker,
    /// what INSERTs and the loader write, never pay for it.
    let livenessNow: Int32?
    /// The current block is decoded with every column (see `livenessNow`): views may carry
    /// columns outside `filter` (`SSTableRowView.hasUnqueriedColumns`).
    var wideBlock = false
    /// Set by `walkEntries` to ask `walkBlock` for a wide re-walk from this entry.
    var restart: BlockEntryPosition?
    /// Every column segment of the current block is decoded: it is wide, or `filter`
    /// selects every column it has (`SELECT` naming every column), so rows carry all their
    /// columns and never need a wide re-walk for liveness.
    var blockComplete = false
    /// The current block's decoded columns include some outside `filter` (wide block).
    var blockHasUnqueried = false

    var rows: RowScratch
    var cursors: UnsafeMutablePointer<RawColumnCursor>
    var cursorCapacity: Int
    /// Decompression target for the segments of the current block.
    var arena: UnsafeMutableRawPointer
    var arenaCapacity: Int
    /// Per segment of the current block: where its decoded bytes are.
    var segmentBytes: UnsafeMutablePointer<UnsafeRawBufferPointer>
    var segmentCapacity: Int
    /// The current partition (it may continue into later blocks, whose memory replaces
    /// the one it started in): key copied into `keyBuffer`.
    var keyBuffer: UnsafeMutableRawPointer
    var keyCapacity: Int
    var keyCount = 0
    var inPartition = false
    var partitionDeletion = DeletionTime.live
    var rangeTombstones: [RangeTombstone] = []
    var partitionsSeen = 0
    /// Where the block after the last one walked starts.
    var nextOffset: Int64 = 0

    /// Cursor walks (`SSTablePartitionCursor`): a partition start at or past this key
    /// (byte-comparable) ends the walk BEFORE the partition — its key copied to
    /// `keyBuffer`, its position in `pausedAt` — so the next walk resumes there.
    var pauseBound: UnsafeRawBufferPointer?
    var pausedAt: BlockEntryPosition?
    /// The walk met a partition at or past `upper`.
    var reachedUpper = false
    /// Cursor walks keep the current block decoded between walks (see `holdBlock`).
    var heldHeader: BlockHeader?
    var heldEntry: SSTableBlockCache.Entry?
    var heldCursorCount = 0

    let scratch: WalkScratch

    init(path: String, filter: ColumnFilter, lower: [UInt8] = [], upper: [UInt8]? = nil,
         expectedKey: UnsafeRawBufferPointer? = nil, livenessNow: Int32? = nil) {
        self.path = path
        self.filter = filter
        self.livenessNow = filter.columns == nil ? nil : livenessNow
        self.lower = lower
        self.upper = upper
        self.expectedKey = expectedKey
        scratch = WalkScratch.take()
        let s = scratch.buffers
        rows = RowScratch(columns: s.columns, columnCapacity: s.columnCapacity, cells: s.cells, cellCapacity: s.cellCapacity)
        cursors = s.cursors
        cursorCapacity = s.cursorCapacity
        arena = s.arena
        arenaCapacity = s.arenaCapacity
        segmentBytes = s.segmentBytes
        segmentCapacity = s.segmentCapacity
        keyBuffer = s.keyBuffer
        keyCapacity = s.keyCapacity
    }

    deinit {
        // Hand the (possibly grown) buffers back to the scratch and the scratch to the thread.
        var s = WalkBuffers(columns: rows.columns, cells: rows.cells, cursors: cursors, arena: arena,
                            segmentBytes: segmentBytes, keyBuffer: keyBuffer)
        s.columnCapacity = rows.columnCapacity
        s.cellCapacity = rows.cellCapacity
        s.cursorCapacity = cursorCapacity
        s.arenaCapacity = arenaCapacity
        s.segmentCapacity = segmentCapacity
        s.keyCapacity = keyCapacity
        scratch.buffers = s
        WalkScratch.giveBack(scratch)
    }

    /// Reads the block at `offset` (from the cache when it holds every segment needed,
    /// else from the file, checking every CRC) and walks it from `start` (its first entry
    /// when nil). Returns false when the walk is over (callback said stop, upper bound or
    /// next partition reached).
    mutating func walkBlock(file: any ReadableFile, offset: Int64, dataEnd: Int64, start: BlockEntryPosition?,
                            cache: SSTableBlockCache?, owner: UInt64, populate: Bool,
                            _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        var from = start
        while true {
            let go = try walkBlockOnce(file: file, offset: offset, dataEnd: dataEnd, start: from, cache: cache, owner: owner,
                                       populate: populate, body)
            guard let r = restart else {
                wideBlock = false
                return go
            }
            // A row needs every column to decide its liveness: the rest of this block
            // again, wide, from that row (the rows before it were delivered already).
            restart = nil
            wideBlock = true
            from = r
        }
    }

    /// Whether the current block's segment `i` (column `id`) must be decoded.
    @inline(__always) func needs(_ i: Int, _ id: ColumnID) -> Bool {
        i == 0 || wideBlock || filter.includes(id)
    }

    /// Room in the arena for the raw bytes of every segment this walk needs (8-byte
    /// aligned each; whole raw lengths, as the partial path decodes prefixes in place).
    mutating func reserveArena(for h: BlockHeader) {
        var needed = 0
        for i in 0..<h.segments.count where needs(i, h.segments[i].columnID) {
            needed += (h.segments[i].rawLength + 7) & ~7
        }
        if needed > arenaCapacity {
            arena.deallocate()
            arenaCapacity = max(needed, arenaCapacity * 2)
            arena = .allocate(byteCount: arenaCapacity, alignment: 8)
        }
    }

    mutating func walkBlockOnce(file: any ReadableFile, offset: Int64, dataEnd: Int64, start: BlockEntryPosition?,
                                cache: SSTableBlockCache?, owner: UInt64, populate: Bool,
                                _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        let cached = cache?.get(owner: owner, offset: offset)
        if let cached, cached.group == nil, hasAllNeeded(cached) {
            return try withExtendedLifetime(cached) {
                let h = cached.header
                nextOffset = offset + Int64(h.length)
                try ensureSegmentSlots(h.segments.count)
                for i in 0..<h.segments.count { segmentBytes[i] = cached.segments[i]?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0) }
                return try walkSegments(h, start: start, body)
            }
        }
        let (fixed, limit) = try BlockHeader.storedLength(file, at: offset, dataEnd: dataEnd)
        let admit = populate && (cache?.admit(owner: owner, offset: offset) ?? false)
        return try file.withBytes(at: offset, count: fixed) { raw throws -> Bool in
            let h = try BlockHeader.parse(raw, offset: offset, limit: limit, path: path)
            nextOffset = offset + Int64(h.length)
            try ensureSegmentSlots(h.segments.count)
            if admit {
                // Decode into buffers the cache keeps (it holds only checked segments).
                var segments = (cached?.header.segments.count == h.segments.count ? cached?.segments : nil)
                    ?? [SegmentBuffer?](repeating: nil, count: h.segments.count)
                for i in 0..<h.segments.count where needs(i, h.segments[i].columnID) {
                    if segments[i] == nil { segments[i] = try h.decode(segment: i, block: raw, path: path) }
                    segmentBytes[i] = segments[i]!.bytes
                }
                cache!.put(owner: owner, offset: offset, SSTableBlockCache.Entry(header: h, segments: segments))
                return try withExtendedLifetime(segments) { try walkSegments(h, start: start, body) }
            }
            // Size the arena for the needed segments (whole raw lengths: the partial path
            // decodes prefixes in place), check every CRC, then decode.
            reserveArena(for: h)
            for i in 0..<h.segments.count where needs(i, h.segments[i].columnID) {
                _ = try h.checkedSegment(i, in: raw, path: path)
            }
            if expectedKey != nil, !wideBlock, let start, decodePartial(h, raw: raw, start: start) {
                return try walkSegments(h, start: start, body)
            }
            var at = 0
            for i in 0..<h.segments.count where needs(i, h.segments[i].columnID) {
                let s = h.segments[i]
                let stored = UnsafeRawBufferPointer(rebasing: raw[s.offset..<(s.offset + s.storedLength)])
                if s.codec == .none {
                    guard s.storedLength == s.rawLength else {
                        throw SSTableCorruptionError(path: path, offset: offset + Int64(s.offset), what: "segment \(i) does not decompress")
                    }
                    segmentBytes[i] = stored
                } else {
                    let out = UnsafeMutableRawBufferPointer(start: arena + at, count: s.rawLength)
                    guard BlockCompressor.decompress(stored, s.codec, into: out) else {
                        throw SSTableCorruptionError(path: path, offset: offset + Int64(s.offset), what: "segment \(i) does not decompress")
                    }
                    segmentBytes[i] = UnsafeRawBufferPointer(out)
                }
                at += (s.rawLength + 7) & ~7
            }
            return try walkSegments(h, start: start, body)
        }
    }

    func hasAllNeeded(_ e: SSTableBlockCache.Entry) -> Bool {
        guard e.segments.count == e.header.segments.count, e.segments.first??.bytes != nil else { return false }
        for i in 1..<e.segments.count where e.segments[i] == nil && needs(i, e.header.segments[i].columnID) { return false }
        return true
    }

    mutating func ensureSegmentSlots(_ n: Int) throws {
        if n > segmentCapacity {
            segmentBytes.deallocate()
            segmentCapacity = n
            segmentBytes = .allocate(capacity: n)
        }
        if n - 1 > cursorCapacity {
            cursors.deallocate()
            cursorCapacity = n - 1
            cursors = .allocate(capacity: cursorCapacity)
        }
    }

    /// Walks the entries of a block whose needed segments are in `segmentBytes`.
    mutating func walkSegments(_ h: BlockHeader, start: BlockEntryPosition?,
                               _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        let cursorCount = try initCursors(h)
        return try walkEntriesChecked(h, cursorCount: cursorCount, start: start, body)
    }

    /// Column cursors of the projected columns present in this block; returns how many.
    mutating func initCursors(_ h: BlockHeader) throws -> Int {
        var complete = true, unqueried = false
        for i in 1..<h.segments.count where !filter.includes(h.segments[i].columnID) {
            if wideBlock { unqueried = true } else { complete = false }
        }
        blockComplete = complete
        blockHasUnqueried = unqueried
        var cursorCount = 0
        for i in 1..<h.segments.count where needs(i, h.segments[i].columnID) {
            do {
                (cursors + cursorCount).initialize(to: try RawColumnCursor(columnID: h.segments[i].columnID, segment: i,
                                                                           bytes: segmentBytes[i], rowCount: h.rowCount,
                                                                           layout: h.segments[i].layout))
            } catch {
                throw SSTableCorruptionError(path: path, offset: h.offset + Int64(h.segments[i].offset), what: "segment \(i): \(error.what)")
            }
            cursorCount += 1
        }
        return cursorCount
    }

    /// `walkEntries` with decode failures turned into `SSTableCorruptionError`s naming the segment.
    mutating func walkEntriesChecked(_ h: BlockHeader, cursorCount: Int, start: BlockEntryPosition?,
                                     _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        var failedSegment = 0
        do {
            return try walkEntries(h, cursorCount: cursorCount, start: start, failedSegment: &failedSegment, body)
        } catch let e as DecodeFailure {
            let s = h.segments[failedSegment]
            let what = failedSegment == 0 ? "entries segment: \(e.what)" : "segment \(failedSegment): \(e.what)"
            throw SSTableCorruptionError(path: path, offset: h.offset + Int64(s.offset), what: what)
        }
    }

    @inline(__always)
    mutating func walkEntries(_ h: BlockHeader, cursorCount: Int, start: BlockEntryPosition?, failedSegment: inout Int,
                              _ body: (borrowing SSTableRowView) throws -> Bool) throws -> Bool {
        let entries = segmentBytes[0]
        var c = ByteCursor(entries)
        let base = try c.signedVarint()
        let entriesStart = c.pos
        var entryIndex = 0
        var rowOrdinal = 0
        var afterPartitionStart = false
        if let s = start {
            guard s.entryIndex < h.entryCount, s.byteOffset < entries.count - entriesStart, s.rowOrdinal <= h.rowCount else {
                throw DecodeFailure("index entry points past the block")
            }
            c.pos = entriesStart + s.byteOffset
            entryIndex = s.entryIndex
            rowOrdinal = s.rowOrdinal
        }
        let cursors = self.cursors
        let checkLiveness = livenessNow != nil && !blockComplete
        let now = livenessNow ?? 0
        while entryIndex < h.entryCount {
            let entryStart = c.pos
            let kind = try c.u8()
            entryIndex += 1
            if kind == SSTableFormat.entryPartitionStart {
                if expectedKey != nil && inPartition { return false }
                let n = try c.length()
                let key = UnsafeRawBufferPointer(rebasing: entries[c.pos..<(c.pos + n)])
                c.pos += n
                let flags = try c.u8()
                var deletion = DeletionTime.live
                if flags & SSTableFormat.partitionHasDeletion != 0 { deletion = try c.deletion(base: base) }
                var rts: [RangeTombstone] = []
                if flags & SSTableFormat.partitionHasRangeTombstones != 0 {
                    let k = try c.count()
                    rts.reserveCapacity(k)
                    for _ in 0..<k {
                        let s = try c.lengthPrefixed()
                        let e = try c.lengthPrefixed()
                        rts.append(RangeTombstone(start: s, end: e, deletion: try c.deletion(base: base)))
                    }
                }
                guard n >= 8 else { throw DecodeFailure("bad partition key") }
                if let upper, upper.withUnsafeBytes({ ByteOrder.compare(key, $0) >= 0 }) {
                    reachedUpper = true
                    return false
                }
                if let expectedKey {
                    guard ByteOrder.compare(key, expectedKey) == 0 else { throw DecodeFailure("index entry points at another partition") }
                } else if partitionsSeen == 0, !lower.isEmpty, lower.withUnsafeBytes({ ByteOrder.compare(key, $0) < 0 }) {
                    throw DecodeFailure("index entry points before its partition")
                }
                if n > keyCapacity {
                    keyBuffer.deallocate()
                    keyCapacity = max(n, keyCapacity * 2)
                    keyBuffer = .allocate(byteCount: keyCapacity, alignment: 8)
                }
                keyBuffer.copyMemory(from: key.baseAddress!, byteCount: n)
                keyCount = n
                if let pauseBound, ByteOrder.compare(key, pauseBound) >= 0 {
                    // The previous partition is complete; this one is the cursor's next.
                    inPartition = false
                    pausedAt = BlockEntryPosition(entryIndex: entryIndex - 1, byteOffset: entryStart - entriesStart, rowOrdinal: rowOrdinal)
                    return false
                }
                inPartition = true
                partitionsSeen += 1
                partitionDeletion = deletion
                rangeTombstones = rts
                afterPartitionStart = true
                if !deletion.isLive || !rts.isEmpty {
                    rows.reset()
                    let view = SSTableRowView(kind: .partition, partitionKey: UnsafeRawBufferPointer(start: keyBuffer, count: n),
                                              partitionDeletion: deletion, rangeTombstones: rts,
                                              clustering: UnsafeRawBufferPointer(start: nil, count: 0), liveness: .empty,
                                              deletion: .live, columns: rows.columnsBuffer, cells: rows.cellsBuffer)
                    if try !body(view) { return false }
                }
                continue
            }
            var clustering = UnsafeRawBufferPointer(start: nil, count: 0)
            let rowKind: SSTableRowView.Kind
            switch kind {
            case SSTableFormat.entryRow:
                let n = try c.length()
                clustering = UnsafeRawBufferPointer(rebasing: entries[c.pos..<(c.pos + n)])
                c.pos += n
                rowKind = .row
            case SSTableFormat.entryStaticRow:
                guard afterPartitionStart else { throw DecodeFailure("static row in the middle of a partition") }
                rowKind = .staticRow
            default:
                throw DecodeFailure("expected a row, found entry kind \(kind)")
            }
            guard inPartition else { throw DecodeFailure("row outside any partition") }
            afterPartitionStart = false
            let (liveness, deletion) = try c.rowHeader(base: base)
            let ordinal = rowOrdinal
            guard ordinal < h.rowCount else { throw DecodeFailure("more rows than the header says") }
            rowOrdinal += 1
            rows.reset()
            for k in 0..<cursorCount {
                do {
                    _ = try cursors[k].decode(ordinal: ordinal, rowLiveness: liveness, into: &rows)
                } catch {
                    failedSegment = cursors[k].segment
                    throw error
                }
            }
            // The common row (an INSERT's live marker, nothing deleted) is decided inline.
            if checkLiveness && rowKind == .row
                && !(deletion.isLive && partitionDeletion.isLive && rangeTombstones.isEmpty && liveness.isLive(nowInSeconds: now))
                && !certainlyLive(liveness, deletion: deletion) {
                restart = BlockEntryPosition(entryIndex: entryIndex - 1, byteOffset: entryStart - entriesStart, rowOrdinal: ordinal)
                return false
            }
            let view = SSTableRowView(kind: rowKind, partitionKey: UnsafeRawBufferPointer(start: keyBuffer, count: keyCount),
                                      partitionDeletion: partitionDeletion, rangeTombstones: rangeTombstones,
                                      clustering: clustering, liveness: liveness, deletion: deletion,
                                      columns: rows.columnsBuffer, cells: rows.cellsBuffer, hasUnqueriedColumns: blockHasUnqueried)
            if try !body(view) { return false }
        }
        guard c.atEnd, rowOrdinal == h.rowCount else { throw DecodeFailure("entry or row count mismatch") }
        return true
    }

    /// Whether the row just decoded is live at `livenessNow` through its row marker or a
    /// projected cell, whatever its other columns hold: nothing that could shadow them
    /// (partition, range or row deletion; range tombstones taken as covering) is as new.
    @inline(never)
    func certainlyLive(_ liveness: LivenessInfo, deletion: DeletionTime) -> Bool {
        let now = livenessNow!
        var shadow = deletion.markedForDeleteAt
        if partitionDeletion.markedForDeleteAt > shadow { shadow = partitionDeletion.markedForDeleteAt }
        for rt in rangeTombstones where rt.deletion.markedForDeleteAt > shadow { shadow = rt.deletion.markedForDeleteAt }
        if liveness.isLive(nowInSeconds: now) && liveness.timestamp > shadow { return true }
        let columns = rows.columnsBuffer, cells = rows.cellsBuffer
        for col in columns {
            let d = col.complexDeletion.markedForDeleteAt > shadow ? col.complexDeletion.markedForDeleteAt : shadow
            for i in col.cells {
                let cell = cells[i]
                if !cell.isTombstone && (cell.ttl == 0 || now < cell.localDeletionTime) && cell.timestamp > d { return true }
            }
        }
        return false
    }
}
