import HyadesCore

/// The cells of one column for the rows of the block being built, PAX-style: which row
/// ordinals have a value (a presence bitmap, built as cells are added) and the encoded
/// cells in ordinal order. Reset, not rebuilt, between blocks: its buffers keep their
/// capacity, so a block allocates nothing once the first has grown them.
struct ColumnSegmentBuilder {
    /// Presence bitmap, bit `o & 7` of byte `o >> 3` for row ordinal `o`; as long as the
    /// highest ordinal added needs (zero-padded to the block's row count at finish).
    var bitmap: [UInt8] = []
    var cellCount = 0
    var body: [UInt8] = []
    var base: Int64? = nil
    /// Whether the fixed-width layout may be written (format version 2 and later).
    var allowFixed = true
    /// `body` holds only values, `fixedWidth` bytes each: every cell so far is a simple
    /// live cell at its row's timestamp and they all have one width. The first cell that
    /// is not turns the body into the cells layout (`convertToCells`).
    var isFixed = true
    /// The width of the values so far; -1 before the first cell.
    var fixedWidth = -1

    mutating func timestamp(_ ts: Int64) {
        if base == nil { base = ts }
        body.putTimestamp(ts, base: base!)
    }

    /// Offsets (into `body`) of cells number 16, 32, ...: point reads jump near the row
    /// they want instead of skipping every earlier cell.
    var checkpoints: [UInt32] = []

    /// Whether this column's segments are worth compressing (kept across blocks).
    var codecPolicy = SegmentCodecPolicy()

    mutating func reset() {
        bitmap.removeAll(keepingCapacity: true)
        isFixed = allowFixed
        fixedWidth = -1
        cellCount = 0
        body.removeAll(keepingCapacity: true)
        base = nil
        checkpoints.removeAll(keepingCapacity: true)
    }

    /// Marks `ordinal` present and notes a checkpoint when this cell starts a group.
    @inline(__always) mutating func noteCell(ordinal: Int) {
        if cellCount != 0 && cellCount % SSTableFormat.cellCheckpointInterval == 0 {
            checkpoints.append(UInt32(body.count))
        }
        markPresent(ordinal)
    }

    /// Marks `ordinal` present (fixed-width cells need no checkpoints: a cell's offset is
    /// its rank times the width).
    @inline(__always) mutating func markPresent(_ ordinal: Int) {
        cellCount += 1
        let byte = ordinal >> 3
        if byte >= bitmap.count {
            bitmap.append(contentsOf: repeatElement(0, count: byte + 1 - bitmap.count))
        }
        bitmap[byte] |= 1 << UInt8(ordinal & 7)
    }

    /// Rewrites the fixed-width values so far as cells (flag "uses the row's timestamp",
    /// length, value) with their checkpoints: a cell of another kind or width arrived.
    mutating func convertToCells() {
        isFixed = false
        guard cellCount > 0 else { return }
        let values = body, w = fixedWidth
        body = []
        body.reserveCapacity(values.count + cellCount * (1 + VarInt.size(UInt64(w))) + 64)
        checkpoints.removeAll(keepingCapacity: true)
        values.withUnsafeBytes { v in
            for i in 0..<cellCount {
                if i != 0 && i % SSTableFormat.cellCheckpointInterval == 0 { checkpoints.append(UInt32(body.count)) }
                body.append(SSTableFormat.cellUsesRowTimestamp)
                body.putVarint(UInt64(w))
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: v[(i * w)..<((i + 1) * w)]))
            }
        }
    }

    /// A simple live cell whose timestamp, ttl and local deletion time are its row's: what
    /// the fixed-width layout can hold (flag 0x08 alone in the cells layout).
    @inline(__always)
    static func usesRowTimingOnly(_ cell: Cell, _ rowLiveness: LivenessInfo) -> Bool {
        !cell.isTombstone && !rowLiveness.isEmpty && cell.timestamp == rowLiveness.timestamp
            && cell.ttl == rowLiveness.ttl && cell.localDeletionTime == rowLiveness.localExpirationTime
    }

    mutating func add(_ data: ColumnData, ordinal: Int, rowLiveness: LivenessInfo, stats: inout SSTableStatistics) {
        if isFixed {
            if case .simple(_, let cell) = data, Self.usesRowTimingOnly(cell, rowLiveness),
               fixedWidth < 0 || cell.value.count == fixedWidth {
                fixedWidth = cell.value.count
                markPresent(ordinal)
                body.append(contentsOf: cell.value)
                stats.noteTimestamp(cell.timestamp)
                if cell.ttl != 0 { stats.noteLocalDeletionTime(cell.localDeletionTime) }
                return
            }
            convertToCells()
        }
        noteCell(ordinal: ordinal)
        switch data {
        case .simple(_, let cell):
            encodeCell(cell, withPath: false, rowLiveness: rowLiveness, stats: &stats)
        case .complex(_, let complex):
            var flags = SSTableFormat.cellIsComplex
            if !complex.deletion.isLive { flags |= SSTableFormat.complexHasDeletion }
            body.append(flags)
            if !complex.deletion.isLive {
                timestamp(complex.deletion.markedForDeleteAt)
                body.putInt32(complex.deletion.localDeletionTime)
                stats.noteTimestamp(complex.deletion.markedForDeleteAt)
                stats.noteTombstone(localDeletionTime: complex.deletion.localDeletionTime)
            }
            body.putVarint(UInt64(complex.cells.count))
            for cell in complex.cells {
                encodeCell(cell, withPath: true, rowLiveness: rowLiveness, stats: &stats)
            }
        }
    }

    // flags u8; [timestamp] unless usesRowTimestamp; [ttl, localDeletionTime] if
    // hasDeletionInfo; [path] in complex columns; value (length-prefixed).
    mutating func encodeCell(_ cell: Cell, withPath: Bool, rowLiveness: LivenessInfo, stats: inout SSTableStatistics) {
        var flags: UInt8 = 0
        if cell.isTombstone { flags |= SSTableFormat.cellIsTombstone }
        let usesRow = !cell.isTombstone && !rowLiveness.isEmpty && cell.timestamp == rowLiveness.timestamp
            && cell.ttl == rowLiveness.ttl && cell.localDeletionTime == rowLiveness.localExpirationTime
        let hasDeletionInfo = !usesRow && (cell.ttl != 0 || cell.localDeletionTime != Cell.noDeletionTime)
        if usesRow { flags |= SSTableFormat.cellUsesRowTimestamp }
        if hasDeletionInfo { flags |= SSTableFormat.cellHasDeletionInfo }
        body.append(flags)
        if !usesRow { timestamp(cell.timestamp) }
        if hasDeletionInfo {
            body.putInt32(cell.ttl)
            body.putInt32(cell.localDeletionTime)
        }
        if withPath { body.putLengthPrefixed(cell.path) }
        body.putLengthPrefixed(cell.value)
        stats.noteTimestamp(cell.timestamp)
        if cell.isTombstone {
            stats.noteTombstone(localDeletionTime: cell.localDeletionTime)
        } else if cell.ttl != 0 {
            stats.noteLocalDeletionTime(cell.localDeletionTime)
        }
    }

    /// Appends the raw segment to `out` and returns its layout. Cells layout: base
    /// timestamp (zigzag varint), presence bitmap of `rowCount` bits, checkpoint count
    /// (varint) and checkpoints (u32 each), cells. Fixed-width layout: presence bitmap,
    /// width (varint), values.
    @discardableResult
    func write(rowCount: Int, to out: BlockOutputBuffer) -> UInt8 {
        let bitmapBytes = (rowCount + 7) / 8
        if isFixed && cellCount > 0 {
            out.reserve(bitmapBytes + 10 + body.count)
            bitmap.withUnsafeBytes { out.append(UnsafeRawBufferPointer(rebasing: $0[0..<min($0.count, bitmapBytes)])) }
            if bitmap.count < bitmapBytes { _ = out.appendZeros(bitmapBytes - bitmap.count) }
            out.putVarint(UInt64(fixedWidth))
            body.withUnsafeBytes { out.append($0) }
            return SSTableFormat.layoutFixedWidth
        }
        out.putSignedVarint(base ?? 0)
        out.reserve(bitmapBytes + 10 + checkpoints.count * 4 + body.count)
        bitmap.withUnsafeBytes { out.append(UnsafeRawBufferPointer(rebasing: $0[0..<min($0.count, bitmapBytes)])) }
        if bitmap.count < bitmapBytes { _ = out.appendZeros(bitmapBytes - bitmap.count) }
        out.putVarint(UInt64(checkpoints.count))
        for c in checkpoints { out.putU32(c) }
        body.withUnsafeBytes { out.append($0) }
        return SSTableFormat.layoutCells
    }

    /// The raw segment as an array (tests).
    func finished(rowCount: Int) -> [UInt8] {
        let out = BlockOutputBuffer(capacity: 64)
        write(rowCount: rowCount, to: out)
        return Array(out.bytes)
    }
}

/// Builds one data block: segment 0 (partition starts, static rows, rows) and one
/// segment per column present, then compresses and checksums each segment.
struct BlockBuilder {
    var entries: [UInt8] = []
    var entriesBase: Int64? = nil
    var entryCount = 0
    var rowCount = 0
    /// One builder per column present, in first-seen order (ids sorted at finish), and
    /// its id. Rows of one table list their columns in the same order, so the k-th column
    /// of a row is almost always builder k: no hashing per cell.
    var builders: [ColumnSegmentBuilder] = []
    var builderIDs: [ColumnID] = []
    /// Column id → index in `builders`, for rows whose columns differ from the first's.
    var builderIndex: [ColumnID: Int] = [:]
    /// The column segments, by column id (tests, checks).
    var columns: [ColumnID: ColumnSegmentBuilder] {
        Dictionary(uniqueKeysWithValues: zip(builderIDs, builders))
    }
    var rawSize = 0
    /// Where finished blocks and raw segments are assembled, reused for every block.
    let output = BlockOutputBuffer()
    let scratch = BlockOutputBuffer()
    /// Builder indices in column id order (reused by `finish`).
    var order: [Int] = []
    /// Whether column segments may use the fixed-width layout (format version 2 on).
    var allowFixed = true
    /// Whether the entries segment is worth compressing (kept across blocks).
    var entriesCodecPolicy = SegmentCodecPolicy()

    var isEmpty: Bool { entryCount == 0 }

    mutating func timestamp(_ ts: Int64) {
        if entriesBase == nil { entriesBase = ts }
        entries.putTimestamp(ts, base: entriesBase!)
    }

    mutating func deletion(_ d: DeletionTime) {
        timestamp(d.markedForDeleteAt)
        entries.putInt32(d.localDeletionTime)
    }

    /// kind, key (byte-comparable, length-prefixed), flags, [deletion], [range tombstones].
    mutating func addPartitionStart(_ header: PartitionHeader, keyBytes: [UInt8], stats: inout SSTableStatistics) {
        let before = entries.count
        entries.append(SSTableFormat.entryPartitionStart)
        entries.putLengthPrefixed(keyBytes)
        var flags: UInt8 = 0
        if !header.deletion.isLive { flags |= SSTableFormat.partitionHasDeletion }
        if !header.rangeTombstones.isEmpty { flags |= SSTableFormat.partitionHasRangeTombstones }
        entries.append(flags)
        if !header.deletion.isLive {
            deletion(header.deletion)
            stats.noteTimestamp(header.deletion.markedForDeleteAt)
            stats.noteTombstone(localDeletionTime: header.deletion.localDeletionTime)
        }
        if !header.rangeTombstones.isEmpty {
            entries.putVarint(UInt64(header.rangeTombstones.count))
            for rt in header.rangeTombstones {
                entries.putLengthPrefixed(rt.start)
                entries.putLengthPrefixed(rt.end)
                deletion(rt.deletion)
                stats.noteTimestamp(rt.deletion.markedForDeleteAt)
                stats.noteTombstone(localDeletionTime: rt.deletion.localDeletionTime)
            }
        }
        entryCount += 1
        rawSize += entries.count - before
    }

    /// kind, [clustering] (rows only), flags, [liveness], [deletion]; cells go to the
    /// column segments under this row's ordinal. Returns the encoded size.
    @discardableResult
    mutating func addRow(_ row: Row, isStatic: Bool, stats: inout SSTableStatistics) -> Int {
        let before = entries.count
        entries.append(isStatic ? SSTableFormat.entryStaticRow : SSTableFormat.entryRow)
        if !isStatic { entries.putLengthPrefixed(row.clustering) }
        var flags: UInt8 = 0
        if !row.liveness.isEmpty { flags |= SSTableFormat.rowHasLiveness }
        if row.liveness.isExpiring { flags |= SSTableFormat.rowLivenessExpiring }
        if !row.deletion.isLive { flags |= SSTableFormat.rowHasDeletion }
        entries.append(flags)
        if !row.liveness.isEmpty {
            timestamp(row.liveness.timestamp)
            stats.noteTimestamp(row.liveness.timestamp)
            if row.liveness.isExpiring {
                entries.putInt32(row.liveness.ttl)
                entries.putInt32(row.liveness.localExpirationTime)
                stats.noteLocalDeletionTime(row.liveness.localExpirationTime)
            }
        }
        if !row.deletion.isLive {
            deletion(row.deletion)
            stats.noteTimestamp(row.deletion.markedForDeleteAt)
            stats.noteTombstone(localDeletionTime: row.deletion.localDeletionTime)
        }
        var size = entries.count - before
        let ordinal = rowCount
        for (k, data) in row.columns.enumerated() {
            let i = builderSlot(data.column, guess: k)
            let old = builders[i].body.count
            builders[i].add(data, ordinal: ordinal, rowLiveness: row.liveness, stats: &stats)
            size += (builders[i].body.count - old) + 1
        }
        entryCount += 1
        rowCount += 1
        rawSize += size
        return size
    }

    @inline(__always)
    mutating func builderSlot(_ id: ColumnID, guess k: Int) -> Int {
        if k < builderIDs.count && builderIDs[k] == id { return k }
        if let i = builderIndex[id] { return i }
        var b = ColumnSegmentBuilder()
        b.allowFixed = allowFixed
        b.isFixed = allowFixed
        builders.append(b)
        builderIDs.append(id)
        builderIndex[id] = builders.count - 1
        return builders.count - 1
    }

    /// The largest raw column segment so far.
    var largestColumnBodyBytes: Int { builders.reduce(0) { max($0, $1.body.count) } }

    /// Empties the builder for the next block, keeping every buffer's capacity and the
    /// column builders (the next block's rows have the same columns, in the same order).
    mutating func reset() {
        entries.removeAll(keepingCapacity: true)
        entriesBase = nil
        entryCount = 0
        rowCount = 0
        rawSize = 0
        for i in builders.indices { builders[i].reset() }
    }

    /// The finished block — header, directory, header CRC, then the stored segments — in
    /// `out` (valid until the next finish), and the raw (uncompressed) size of its
    /// segments. Each segment is assembled raw in `scratch` and compressed straight onto
    /// the end of `out`; when the codec does not shrink it the raw bytes are copied there
    /// instead, with codec 0. A column the codec has not paid for lately (see
    /// `SegmentCodecPolicy`) is stored with codec 0 without trying.
    mutating func finish(compression: CompressionAlgorithm, minCompressRatio: Double = TableOptions.defaultMinCompressRatio)
        -> (bytes: UnsafeRawBufferPointer, rawBytes: Int) {
        let out = output, raw = scratch
        out.count = 0
        // Column segments in id order; builders without a cell in this block are left out.
        order.removeAll(keepingCapacity: true)
        for i in builders.indices where builders[i].cellCount > 0 { order.append(i) }
        if order.count > 1 { order.sort { builderIDs[$0] < builderIDs[$1] } }
        let segmentCount = 1 + order.count
        let headerSize = SSTableFormat.blockHeaderFixedSize + segmentCount * SSTableFormat.directoryEntrySize + 4
        out.reserve(headerSize)
        out.count = headerSize
        var rawTotal = 0
        for k in 0..<segmentCount {
            raw.count = 0
            let id: UInt16
            var layout = SSTableFormat.layoutCells
            if k == 0 {
                id = SSTableFormat.entriesSegmentID
                raw.putSignedVarint(entriesBase ?? 0)
                entries.withUnsafeBytes { raw.append($0) }
            } else {
                id = builderIDs[order[k - 1]]
                layout = builders[order[k - 1]].write(rowCount: rowCount, to: raw)
            }
            let start = out.count
            var codec = CompressionAlgorithm.none
            if compression != .none {
                let tryCodec = k == 0 ? entriesCodecPolicy.shouldTry(minCompressRatio)
                    : builders[order[k - 1]].codecPolicy.shouldTry(minCompressRatio)
                if tryCodec {
                    let n = out.appendCompressed(raw.bytes, compression,
                                                 limit: SegmentCodecPolicy.storedLimit(raw: raw.count, minCompressRatio))
                    if n != nil { codec = compression }
                    let stored = n ?? raw.count
                    if k == 0 {
                        entriesCodecPolicy.note(raw: raw.count, stored: stored, minCompressRatio)
                    } else {
                        builders[order[k - 1]].codecPolicy.note(raw: raw.count, stored: stored, minCompressRatio)
                    }
                }
            }
            if codec == .none { out.append(raw.bytes) }
            let stored = UnsafeRawBufferPointer(rebasing: out.bytes[start..<out.count])
            let d = SSTableFormat.blockHeaderFixedSize + k * SSTableFormat.directoryEntrySize
            out.setU16(id, at: d)
            out.setU8(codec.rawValue, at: d + 2)
            out.setU8(layout, at: d + 3)
            out.setU32(UInt32(stored.count), at: d + 4)
            out.setU32(UInt32(raw.count), at: d + 8)
            out.setU32(CRC32C.checksum(stored), at: d + 12)
            rawTotal += raw.count
        }
        out.setU32(UInt32(out.count), at: 0)
        out.setU32(UInt32(entryCount), at: 4)
        out.setU32(UInt32(rowCount), at: 8)
        out.setU16(UInt16(segmentCount), at: 12)
        out.setU16(0, at: 14)
        out.setU32(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: out.bytes[0..<(headerSize - 4)])), at: headerSize - 4)
        return (out.bytes, rawTotal)
    }

    /// The finished block as an array (tests).
    mutating func finished(compression: CompressionAlgorithm, minCompressRatio: Double = TableOptions.defaultMinCompressRatio)
        -> (bytes: [UInt8], rawBytes: Int) {
        let (b, r) = finish(compression: compression, minCompressRatio: minCompressRatio)
        return (Array(b), r)
    }
}
