import HyadesCore

/// A decompressed segment: owns its bytes so cursors can hold a stable pointer.
/// Immutable once filled (before it is shared), hence @unchecked Sendable.
final class SegmentBuffer: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer

    init(count: Int) {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 8)
        self.bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(b)[0..<count])
    }

    var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(mutating: bytes) }

    deinit { UnsafeMutableRawBufferPointer(mutating: bytes).baseAddress.map { $0.deallocate() } }
}

/// One directory entry of a block.
struct SegmentDescriptor {
    var columnID: UInt16
    var codec: CompressionAlgorithm
    /// `SSTableFormat.layoutCells` or `layoutFixedWidth` (column segments of version 2).
    var layout: UInt8 = SSTableFormat.layoutCells
    /// Offset of the stored bytes from the start of the block.
    var offset: Int
    var storedLength: Int
    var rawLength: Int
    var crc: UInt32
}

/// The checked header and directory of a block.
struct BlockHeader {
    var offset: Int64
    var length: Int
    var entryCount: Int
    var rowCount: Int
    var segments: [SegmentDescriptor]

    /// The length the block at `offset` says it has (its header's first field), checked
    /// against the data file before anything else of the block is read; and `limit`, the
    /// bytes the data file has from `offset`. The one entry check of every block reader.
    static func storedLength(_ file: any ReadableFile, at offset: Int64, dataEnd: Int64) throws -> (length: Int, limit: Int64) {
        let path = file.path
        let limit = dataEnd - offset
        guard offset >= Int64(SSTableFormat.fileHeaderSize), limit >= Int64(SSTableFormat.blockHeaderFixedSize) else {
            throw SSTableCorruptionError(path: path, offset: offset, what: "block offset beyond the data")
        }
        let fixed = try file.withBytes(at: offset, count: SSTableFormat.blockHeaderFixedSize) { raw -> Int in
            Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        }
        guard fixed >= SSTableFormat.blockHeaderFixedSize, Int64(fixed) <= limit else {
            throw SSTableCorruptionError(path: path, offset: offset, what: "bad block length \(fixed)")
        }
        return (fixed, limit)
    }

    /// Parses and checks (CRC) the header at the start of `raw`, which holds the block's
    /// first bytes (at least the header). `limit` is how many bytes the data file has
    /// from the block's offset.
    static func parse(_ raw: UnsafeRawBufferPointer, offset: Int64, limit: Int64, path: String) throws(SSTableCorruptionError) -> BlockHeader {
        func fail(_ what: String) -> SSTableCorruptionError { SSTableCorruptionError(path: path, offset: offset, what: what) }
        var c = ByteCursor(raw)
        guard let length = try? c.u32(), let entryCount = try? c.u32(), let rowCount = try? c.u32(),
              let segmentCount = try? c.u16(), (try? c.u16()) != nil else { throw fail("block header truncated") }
        let headerSize = SSTableFormat.blockHeaderFixedSize + Int(segmentCount) * SSTableFormat.directoryEntrySize + 4
        guard segmentCount >= 1, Int(length) >= headerSize, Int64(length) <= limit else {
            throw fail("bad block header (length \(length), \(segmentCount) segments)")
        }
        guard raw.count >= headerSize else { throw fail("block header truncated") }
        let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: headerSize - 4, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(headerSize - 4)])) == stored else {
            throw fail("block header checksum mismatch")
        }
        var segments: [SegmentDescriptor] = []
        segments.reserveCapacity(Int(segmentCount))
        var at = headerSize
        for i in 0..<Int(segmentCount) {
            guard let id = try? c.u16(), let codecRaw = try? c.u8(), let layout = try? c.u8(),
                  let storedLength = try? c.u32(), let rawLength = try? c.u32(), let crc = try? c.u32() else {
                throw fail("block directory truncated")
            }
            guard let codec = CompressionAlgorithm(rawValue: codecRaw) else { throw fail("segment \(i): unknown codec \(codecRaw)") }
            guard Int(rawLength) <= SSTableFormat.maxSegmentRawLength, at + Int(storedLength) <= Int(length) else {
                throw fail("segment \(i): bad lengths")
            }
            if i == 0 && id != SSTableFormat.entriesSegmentID { throw fail("segment 0 is not the entries segment") }
            guard layout == SSTableFormat.layoutCells || (i > 0 && layout == SSTableFormat.layoutFixedWidth) else {
                throw fail("segment \(i): unknown layout \(layout)")
            }
            if i > 0 && (id == SSTableFormat.entriesSegmentID || (i > 1 && id <= segments[i - 1].columnID)) {
                throw fail("segment \(i): column ids out of order")
            }
            segments.append(SegmentDescriptor(columnID: id, codec: codec, layout: layout, offset: at, storedLength: Int(storedLength),
                                              rawLength: Int(rawLength), crc: crc))
            at += Int(storedLength)
        }
        guard at == Int(length) else { throw fail("segments do not fill the block") }
        return BlockHeader(offset: offset, length: Int(length), entryCount: Int(entryCount), rowCount: Int(rowCount), segments: segments)
    }

    /// Segment `i`'s stored bytes in `raw` (the whole block), its CRC checked: the one
    /// checksum check of every block reader.
    func checkedSegment(_ i: Int, in raw: UnsafeRawBufferPointer, path: String) throws(SSTableCorruptionError) -> UnsafeRawBufferPointer {
        let s = segments[i]
        let stored = UnsafeRawBufferPointer(rebasing: raw[s.offset..<(s.offset + s.storedLength)])
        guard CRC32C.checksum(stored) == s.crc else {
            throw SSTableCorruptionError(path: path, offset: offset + Int64(s.offset),
                                         what: "segment \(i) (\(s.columnID == SSTableFormat.entriesSegmentID ? "entries" : "column \(s.columnID)")) checksum mismatch")
        }
        return stored
    }

    /// Checks the segment's CRC over its stored bytes and decompresses it.
    func decode(segment i: Int, block raw: UnsafeRawBufferPointer, path: String) throws(SSTableCorruptionError) -> SegmentBuffer {
        let s = segments[i]
        let stored = try checkedSegment(i, in: raw, path: path)
        let buffer = SegmentBuffer(count: s.rawLength)
        guard BlockCompressor.decompress(stored, s.codec, into: buffer.mutableBytes) else {
            throw SSTableCorruptionError(path: path, offset: offset + Int64(s.offset), what: "segment \(i) does not decompress")
        }
        return buffer
    }
}

/// The cells of one projected column within a decoded block, read in row-ordinal order.
struct ColumnCursor {
    let columnID: ColumnID
    let buffer: SegmentBuffer
    let base: Int64
    let bitmapStart: Int
    let rowCount: Int
    let checkpointsStart: Int
    let checkpointCount: Int
    let cellsStart: Int
    /// The value width of a fixed-width segment; -1 for the cells layout.
    let fixedWidth: Int
    var cursor: ByteCursor
    /// Every present ordinal below this has been consumed.
    var scannedOrdinal = 0
    /// Cells consumed so far.
    var cellIndex = 0

    init(columnID: ColumnID, buffer: SegmentBuffer, rowCount: Int, layout: UInt8) throws(DecodeFailure) {
        self.columnID = columnID
        self.buffer = buffer
        self.rowCount = rowCount
        var c = ByteCursor(buffer.bytes)
        if layout == SSTableFormat.layoutFixedWidth {
            // Bitmap, width, values: the values must fill the segment exactly.
            self.base = 0
            self.bitmapStart = 0
            let bitmapBytes = (rowCount + 7) / 8
            self.fixedWidth = try c.fixedWidthSegmentHeader(rowCount: rowCount)
            self.checkpointCount = 0
            self.checkpointsStart = c.pos
            self.cellsStart = c.pos
            self.cursor = c
            let present = SegmentBitmap.count(buffer.bytes, from: 0, bytes: bitmapBytes)
            guard present * fixedWidth == c.remaining else {
                throw DecodeFailure("fixed-width segment of \(c.remaining) value bytes for \(present) cells of \(fixedWidth)")
            }
            return
        }
        self.fixedWidth = -1
        self.base = try c.signedVarint()
        self.bitmapStart = c.pos
        try c.skip((rowCount + 7) / 8)
        let n = try c.length()
        self.checkpointCount = n
        self.checkpointsStart = c.pos
        try c.skip(n * 4)
        self.cellsStart = c.pos
        self.cursor = c
    }

    /// Moves to the first cell of `ordinal`'s row or later, through a checkpoint when the
    /// gap is long.
    @inline(__always) mutating func skip(to ordinal: Int) throws(DecodeFailure) {
        var between = 0
        for o in scannedOrdinal..<ordinal where present(o) { between += 1 }
        let target = cellIndex + between
        if fixedWidth >= 0 {
            cellIndex = target
            scannedOrdinal = ordinal
            return
        }
        let j = target / SSTableFormat.cellCheckpointInterval
        if j >= 1, j * SSTableFormat.cellCheckpointInterval > cellIndex, j <= checkpointCount {
            let at = checkpointsStart + (j - 1) * 4
            let offset = Int(UInt32(littleEndian: cursor.bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            guard offset <= cursor.bytes.count - cellsStart else { throw DecodeFailure("bad cell checkpoint") }
            cursor.pos = cellsStart + offset
            cellIndex = j * SSTableFormat.cellCheckpointInterval
        }
        while cellIndex < target {
            try skipCell()
            cellIndex += 1
        }
        scannedOrdinal = ordinal
    }

    @inline(__always) func present(_ ordinal: Int) -> Bool {
        // Through the cursor's own pointer: no class access (and no retain) per bit.
        cursor.bytes[bitmapStart + ordinal >> 3] & (1 << UInt8(ordinal & 7)) != 0
    }

    /// The column's data for row `ordinal` (ordinals asked in increasing order), or nil.
    mutating func data(ordinal: Int, rowLiveness: LivenessInfo) throws(DecodeFailure) -> ColumnData? {
        guard ordinal >= scannedOrdinal, ordinal < rowCount else { throw DecodeFailure("row ordinal out of order") }
        if ordinal > scannedOrdinal { try skip(to: ordinal) }
        scannedOrdinal = ordinal + 1
        guard present(ordinal) else { return nil }
        if fixedWidth >= 0 {
            let value = try fixedValue(rowHasLiveness: !rowLiveness.isEmpty)
            return .simple(columnID, Cell(timestamp: rowLiveness.timestamp, ttl: rowLiveness.ttl,
                                          localDeletionTime: rowLiveness.localExpirationTime, isTombstone: false, path: [],
                                          value: [UInt8](value)))
        }
        cellIndex += 1
        let flags = try cursor.u8()
        if flags & SSTableFormat.cellIsComplex != 0 {
            var deletion = DeletionTime.live
            if flags & SSTableFormat.complexHasDeletion != 0 { deletion = try cursor.deletion(base: base) }
            let n = try cursor.count()
            var cells: [Cell] = []
            cells.reserveCapacity(n)
            for _ in 0..<n {
                cells.append(try cell(flags: try cursor.u8(), withPath: true, rowLiveness: rowLiveness))
            }
            return .complex(columnID, ComplexColumnData(deletion: deletion, cells: cells))
        }
        return .simple(columnID, try cell(flags: flags, withPath: false, rowLiveness: rowLiveness))
    }

    /// The value of the next cell of a fixed-width segment (its row must have a timestamp).
    @inline(__always) mutating func fixedValue(rowHasLiveness: Bool) throws(DecodeFailure) -> UnsafeRawBufferPointer {
        guard rowHasLiveness else { throw DecodeFailure("cell uses the timestamp of a row without one") }
        let at = cellsStart + cellIndex * fixedWidth
        guard at + fixedWidth <= cursor.bytes.count else { throw DecodeFailure("truncated") }
        cellIndex += 1
        // The cursor follows, so `verify` sees the segment consumed to its end.
        cursor.pos = at + fixedWidth
        return UnsafeRawBufferPointer(rebasing: cursor.bytes[at..<(at + fixedWidth)])
    }

    @inline(__always)
    mutating func cell(flags: UInt8, withPath: Bool, rowLiveness: LivenessInfo) throws(DecodeFailure) -> Cell {
        let (ts, ttl, ldt) = try cursor.cellTiming(flags: flags, base: base, rowLiveness: rowLiveness)
        let path = withPath ? try cursor.lengthPrefixed() : []
        let value = try cursor.lengthPrefixed()
        return Cell(timestamp: ts, ttl: ttl, localDeletionTime: ldt,
                    isTombstone: flags & SSTableFormat.cellIsTombstone != 0, path: path, value: value)
    }

    @inline(__always) mutating func skipCell() throws(DecodeFailure) {
        let flags = try cursor.u8()
        if flags & SSTableFormat.cellIsComplex != 0 {
            if flags & SSTableFormat.complexHasDeletion != 0 { _ = try cursor.varint(); _ = try cursor.varint() }
            let n = try cursor.count()
            for _ in 0..<n { try skipSimple(flags: try cursor.u8(), withPath: true) }
        } else {
            try skipSimple(flags: flags, withPath: false)
        }
    }

    @inline(__always) mutating func skipSimple(flags: UInt8, withPath: Bool) throws(DecodeFailure) {
        if flags & SSTableFormat.cellUsesRowTimestamp == 0 { _ = try cursor.varint() }
        if flags & SSTableFormat.cellHasDeletionInfo != 0 { _ = try cursor.varint(); _ = try cursor.varint() }
        if withPath { try cursor.skipLengthPrefixed() }
        try cursor.skipLengthPrefixed()
    }
}

/// One decoded block: the entries segment plus the projected column segments.
final class DecodedBlock {
    let header: BlockHeader
    let entries: SegmentBuffer
    let entriesBase: Int64
    var entryCursor: ByteCursor
    /// Index of the next entry to read in segment 0.
    var entryIndex = 0
    /// Ordinal of the next row or static row entry.
    var rowOrdinal = 0
    var columns: [ColumnCursor]

    var offset: Int64 { header.offset }
    var nextOffset: Int64 { header.offset + Int64(header.length) }
    var exhausted: Bool { entryIndex >= header.entryCount }

    /// Reads, checks and decodes the block at `offset` of `file`, decoding segment 0 and
    /// only the segments of the columns `filter` selects.
    static func read(_ file: any ReadableFile, at offset: Int64, dataEnd: Int64, columns filter: ColumnFilter,
                     cache: SSTableBlockCache? = nil, owner: UInt64 = 0, populate: Bool = true) throws -> DecodedBlock {
        let path = file.path
        let cached = cache?.get(owner: owner, offset: offset)
        var needed: [Int] = []
        if let cached {
            for i in 1..<cached.header.segments.count
            where cached.segments[i] == nil && filter.includes(cached.header.segments[i].columnID) { needed.append(i) }
            if needed.isEmpty { return try assemble(cached.header, cached.segments, filter, path) }
        }
        let (fixed, limit) = try BlockHeader.storedLength(file, at: offset, dataEnd: dataEnd)
        // Every segment read from the file is checksummed here; the cache holds only
        // segments that passed.
        let (header, segments) = try file.withBytes(at: offset, count: fixed) { raw throws -> (BlockHeader, [SegmentBuffer?]) in
            let header = try BlockHeader.parse(raw, offset: offset, limit: limit, path: path)
            var segments = cached?.segments ?? [SegmentBuffer?](repeating: nil, count: header.segments.count)
            guard segments.count == header.segments.count else {
                throw SSTableCorruptionError(path: path, offset: offset, what: "block changed under the cache")
            }
            if segments[0] == nil { segments[0] = try header.decode(segment: 0, block: raw, path: path) }
            for i in 1..<header.segments.count where segments[i] == nil && filter.includes(header.segments[i].columnID) {
                segments[i] = try header.decode(segment: i, block: raw, path: path)
            }
            return (header, segments)
        }
        if populate, let cache, cache.admit(owner: owner, offset: offset) {
            cache.put(owner: owner, offset: offset, SSTableBlockCache.Entry(header: header, segments: segments))
        }
        return try assemble(header, segments, filter, path)
    }

    static func assemble(_ header: BlockHeader, _ segments: [SegmentBuffer?], _ filter: ColumnFilter, _ path: String) throws -> DecodedBlock {
        var cols: [ColumnCursor] = []
        for i in 1..<header.segments.count where filter.includes(header.segments[i].columnID) {
            guard let buffer = segments[i] else { continue }
            do {
                cols.append(try ColumnCursor(columnID: header.segments[i].columnID, buffer: buffer, rowCount: header.rowCount,
                                             layout: header.segments[i].layout))
            } catch {
                throw SSTableCorruptionError(path: path, offset: header.offset + Int64(header.segments[i].offset), what: "segment \(i): \(describe(error))")
            }
        }
        return try DecodedBlock(header: header, entries: segments[0]!, columns: cols, path: path)
    }

    init(header: BlockHeader, entries: SegmentBuffer, columns: [ColumnCursor], path: String) throws {
        self.header = header
        self.entries = entries
        self.columns = columns
        var c = ByteCursor(entries.bytes)
        do {
            self.entriesBase = try c.signedVarint()
            self.entriesStart = c.pos
        } catch {
            throw SSTableCorruptionError(path: path, offset: header.offset + Int64(header.segments[0].offset), what: "entries segment: \(error.what)")
        }
        self.entryCursor = c
    }

    /// Position of the first entry (after segment 0's base timestamp).
    var entriesStart: Int

    /// Jumps to an entry the index located: its number, byte offset after the base
    /// timestamp, and the row ordinal of the rows that follow it.
    func seek(entryIndex: Int, byteOffset: Int, rowOrdinal: Int) throws(DecodeFailure) {
        guard entryIndex < header.entryCount, byteOffset < entryCursor.bytes.count - entriesStart,
              rowOrdinal <= header.rowCount else { throw DecodeFailure("index entry points past the block") }
        entryCursor.pos = entriesStart + byteOffset
        self.entryIndex = entryIndex
        self.rowOrdinal = rowOrdinal
    }

    /// The kind byte of the next entry without consuming it.
    func peekKind() throws(DecodeFailure) -> UInt8 {
        guard entryCursor.pos < entryCursor.bytes.count else { throw DecodeFailure("entries end early") }
        return entryCursor.bytes[entryCursor.pos]
    }

    /// Consumes a partition start: key bytes, deletion, range tombstones.
    func readPartitionStart() throws(DecodeFailure) -> (key: [UInt8], deletion: DeletionTime, rangeTombstones: [RangeTombstone]) {
        // A local copy: class-property accesses pay a dynamic exclusivity check each.
        var c = entryCursor
        defer { entryCursor = c }
        guard try c.u8() == SSTableFormat.entryPartitionStart else { throw DecodeFailure("expected a partition start") }
        let key = try c.lengthPrefixed()
        let flags = try c.u8()
        var deletion = DeletionTime.live
        if flags & SSTableFormat.partitionHasDeletion != 0 { deletion = try c.deletion(base: entriesBase) }
        var rts: [RangeTombstone] = []
        if flags & SSTableFormat.partitionHasRangeTombstones != 0 {
            let n = try c.count()
            rts.reserveCapacity(n)
            for _ in 0..<n {
                let start = try c.lengthPrefixed()
                let end = try c.lengthPrefixed()
                rts.append(RangeTombstone(start: start, end: end, deletion: try c.deletion(base: entriesBase)))
            }
        }
        entryIndex += 1
        return (key, deletion, rts)
    }

    /// Skips a partition start without materialising it (no allocation).
    func skipPartitionStart() throws(DecodeFailure) {
        // A local copy: class-property accesses pay a dynamic exclusivity check each.
        var c = entryCursor
        defer { entryCursor = c }
        guard try c.u8() == SSTableFormat.entryPartitionStart else { throw DecodeFailure("expected a partition start") }
        try c.skipLengthPrefixed()
        let flags = try c.u8()
        if flags & SSTableFormat.partitionHasDeletion != 0 { _ = try c.varint(); _ = try c.varint() }
        if flags & SSTableFormat.partitionHasRangeTombstones != 0 {
            let n = try c.count()
            for _ in 0..<n {
                try c.skipLengthPrefixed()
                try c.skipLengthPrefixed()
                _ = try c.varint(); _ = try c.varint()
            }
        }
        entryIndex += 1
    }

    /// Skips a row or static row entry without materialising it (no allocation).
    func skipRow() throws(DecodeFailure) {
        // A local copy: class-property accesses pay a dynamic exclusivity check each.
        var c = entryCursor
        defer { entryCursor = c }
        let kind = try c.u8()
        switch kind {
        case SSTableFormat.entryStaticRow: break
        case SSTableFormat.entryRow: try c.skipLengthPrefixed()
        default: throw DecodeFailure("expected a row, found entry kind \(kind)")
        }
        let flags = try c.u8()
        if flags & SSTableFormat.rowHasLiveness != 0 {
            _ = try c.varint()
            if flags & SSTableFormat.rowLivenessExpiring != 0 { _ = try c.varint(); _ = try c.varint() }
        }
        if flags & SSTableFormat.rowHasDeletion != 0 { _ = try c.varint(); _ = try c.varint() }
        guard rowOrdinal < header.rowCount else { throw DecodeFailure("more rows than the header says") }
        rowOrdinal += 1
        entryIndex += 1
    }

    /// Reads the clustering of the next row entry (kind already peeked), leaving the cursor
    /// after it; `isStatic` rows have none.
    func readRowKindAndClustering() throws(DecodeFailure) -> (isStatic: Bool, clustering: [UInt8]) {
        // A local copy: class-property accesses pay a dynamic exclusivity check each.
        var c = entryCursor
        defer { entryCursor = c }
        let kind = try c.u8()
        switch kind {
        case SSTableFormat.entryStaticRow: return (true, [])
        case SSTableFormat.entryRow: return (false, try c.lengthPrefixed())
        default: throw DecodeFailure("expected a row, found entry kind \(kind)")
        }
    }

    /// Reads the rest of a row whose clustering was just read; decodes the projected
    /// columns when `decodeColumns`, else only advances.
    func readRowBody(clustering: [UInt8], decodeColumns: Bool) throws(DecodeFailure) -> Row? {
        // A local copy: class-property accesses pay a dynamic exclusivity check each.
        var c = entryCursor
        defer { entryCursor = c }
        let (liveness, deletion) = try c.rowHeader(base: entriesBase)
        let ordinal = rowOrdinal
        guard ordinal < header.rowCount else { throw DecodeFailure("more rows than the header says") }
        rowOrdinal += 1
        entryIndex += 1
        guard decodeColumns else { return nil }
        var data: [ColumnData] = []
        if !columns.isEmpty {
            data.reserveCapacity(columns.count)
            for i in columns.indices {
                if let d = try columns[i].data(ordinal: ordinal, rowLiveness: liveness) { data.append(d) }
            }
        }
        return Row(clustering: clustering, liveness: liveness, deletion: deletion, columns: data)
    }

    /// Skips one entry of any kind.
    func skipEntry() throws(DecodeFailure) {
        if try peekKind() == SSTableFormat.entryPartitionStart {
            try skipPartitionStart()
        } else {
            try skipRow()
        }
    }

    /// Checks that segment 0 ended exactly where the header said.
    func checkEnd() throws(DecodeFailure) {
        guard entryCursor.atEnd, rowOrdinal == header.rowCount else { throw DecodeFailure("entry or row count mismatch") }
    }
}
