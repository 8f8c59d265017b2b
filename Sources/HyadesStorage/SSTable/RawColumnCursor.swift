import HyadesCore

/// The cells of one projected column segment read in row-ordinal order straight from
/// segment memory (no class reference, nothing allocated): the zero-allocation twin of
/// `ColumnCursor`, decoding into `SSTableCellView`s.
struct RawColumnCursor {
    let columnID: ColumnID
    /// Index of the segment in the block's directory (for error offsets).
    let segment: Int
    let bytes: UnsafeRawBufferPointer
    let base: Int64
    let bitmapStart: Int
    let rowCount: Int
    let checkpointsStart: Int
    let checkpointCount: Int
    let cellsStart: Int
    /// The value width of a fixed-width segment; -1 for the cells layout.
    let fixedWidth: Int
    var pos: Int
    /// Every present ordinal below this has been consumed.
    var scannedOrdinal = 0
    /// Cells consumed so far.
    var cellIndex = 0

    /// `bytes` may be a prefix of the segment (a point read decodes only what it needs):
    /// every cell read is bounds-checked, the segment's exact length is `verify`'s to check.
    init(columnID: ColumnID, segment: Int, bytes: UnsafeRawBufferPointer, rowCount: Int, layout: UInt8) throws(DecodeFailure) {
        self.columnID = columnID
        self.segment = segment
        self.bytes = bytes
        self.rowCount = rowCount
        var c = ByteCursor(bytes)
        if layout == SSTableFormat.layoutFixedWidth {
            self.base = 0
            self.bitmapStart = 0
            self.fixedWidth = try c.fixedWidthSegmentHeader(rowCount: rowCount)
            self.checkpointCount = 0
            self.checkpointsStart = c.pos
            self.cellsStart = c.pos
            self.pos = c.pos
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
        self.pos = c.pos
    }

    @inline(__always) func present(_ ordinal: Int) -> Bool {
        bytes[bitmapStart + ordinal >> 3] & (1 << UInt8(ordinal & 7)) != 0
    }

    /// How many of the ordinals `from..<to` have a cell: a byte-wise popcount of the bitmap.
    @inline(__always) func presentCount(from: Int, to: Int) -> Int {
        guard from < to else { return 0 }
        let first = from >> 3, last = (to - 1) >> 3
        let bitmap = bytes.baseAddress! + bitmapStart
        if first == last {
            let mask = UInt8(truncatingIfNeeded: (0xFF << (from & 7)) & (0xFF >> (7 - ((to - 1) & 7))))
            return (bitmap.load(fromByteOffset: first, as: UInt8.self) & mask).nonzeroBitCount
        }
        var n = (bitmap.load(fromByteOffset: first, as: UInt8.self) & UInt8(truncatingIfNeeded: 0xFF << (from & 7))).nonzeroBitCount
        var i = first + 1
        while i + 8 <= last {
            n += UInt64(littleEndian: bitmap.loadUnaligned(fromByteOffset: i, as: UInt64.self)).nonzeroBitCount
            i += 8
        }
        while i < last {
            n += bitmap.load(fromByteOffset: i, as: UInt8.self).nonzeroBitCount
            i += 1
        }
        n += (bitmap.load(fromByteOffset: last, as: UInt8.self) & UInt8(truncatingIfNeeded: 0xFF >> (7 - ((to - 1) & 7)))).nonzeroBitCount
        return n
    }

    /// Moves to the first cell of `ordinal`'s row or later, through a checkpoint when the
    /// gap is long.
    mutating func skip(to ordinal: Int) throws(DecodeFailure) {
        let between = presentCount(from: scannedOrdinal, to: ordinal)
        let target = cellIndex + between
        if fixedWidth >= 0 {
            // A fixed-width cell's offset is its rank times the width.
            cellIndex = target
            scannedOrdinal = ordinal
            return
        }
        let j = target / SSTableFormat.cellCheckpointInterval
        if j >= 1, j * SSTableFormat.cellCheckpointInterval > cellIndex, j <= checkpointCount {
            let at = checkpointsStart + (j - 1) * 4
            let offset = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            guard offset <= bytes.count - cellsStart else { throw DecodeFailure("bad cell checkpoint") }
            pos = cellsStart + offset
            cellIndex = j * SSTableFormat.cellCheckpointInterval
        }
        var c = ByteCursor(bytes, at: pos)
        while cellIndex < target {
            try Self.skipCell(&c)
            cellIndex += 1
        }
        pos = c.pos
        scannedOrdinal = ordinal
    }

    /// Decodes the column's data for row `ordinal` (ordinals asked in increasing order)
    /// into `out`; false when the row has no data in this column.
    @inline(__always)
    mutating func decode(ordinal: Int, rowLiveness: LivenessInfo, into out: inout RowScratch) throws(DecodeFailure) -> Bool {
        guard ordinal >= scannedOrdinal, ordinal < rowCount else { throw DecodeFailure("row ordinal out of order") }
        if ordinal > scannedOrdinal { try skip(to: ordinal) }
        scannedOrdinal = ordinal + 1
        guard present(ordinal) else { return false }
        if fixedWidth >= 0 {
            guard !rowLiveness.isEmpty else { throw DecodeFailure("cell uses the timestamp of a row without one") }
            let at = cellsStart + cellIndex * fixedWidth
            guard at + fixedWidth <= bytes.count else { throw DecodeFailure("truncated") }
            cellIndex += 1
            let first = out.cellCount
            out.reserveCells(1)
            out.appendCell(SSTableCellView(column: columnID, isTombstone: false, timestamp: rowLiveness.timestamp,
                                           ttl: rowLiveness.ttl, localDeletionTime: rowLiveness.localExpirationTime,
                                           path: UnsafeRawBufferPointer(start: nil, count: 0),
                                           value: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + fixedWidth)])))
            out.appendColumn(SSTableColumnView(column: columnID, isComplex: false, complexDeletion: .live,
                                               firstCell: Int32(first), cellCount: 1))
            return true
        }
        cellIndex += 1
        var c = ByteCursor(bytes, at: pos)
        defer { pos = c.pos }
        let flags = try c.u8()
        if flags & SSTableFormat.cellIsComplex != 0 {
            var deletion = DeletionTime.live
            if flags & SSTableFormat.complexHasDeletion != 0 { deletion = try c.deletion(base: base) }
            let n = try c.count()
            let first = out.cellCount
            out.reserveCells(n)
            for _ in 0..<n {
                let f = try c.u8()
                out.appendCell(try Self.cell(&c, flags: f, withPath: true, column: columnID, base: base, rowLiveness: rowLiveness))
            }
            out.appendColumn(SSTableColumnView(column: columnID, isComplex: true, complexDeletion: deletion,
                                               firstCell: Int32(first), cellCount: Int32(n)))
        } else {
            let first = out.cellCount
            out.reserveCells(1)
            out.appendCell(try Self.cell(&c, flags: flags, withPath: false, column: columnID, base: base, rowLiveness: rowLiveness))
            out.appendColumn(SSTableColumnView(column: columnID, isComplex: false, complexDeletion: .live,
                                               firstCell: Int32(first), cellCount: 1))
        }
        return true
    }

    @inline(__always)
    static func cell(_ c: inout ByteCursor, flags: UInt8, withPath: Bool, column: ColumnID, base: Int64,
                     rowLiveness: LivenessInfo) throws(DecodeFailure) -> SSTableCellView {
        let (ts, ttl, ldt) = try c.cellTiming(flags: flags, base: base, rowLiveness: rowLiveness)
        var path = UnsafeRawBufferPointer(start: nil, count: 0)
        if withPath {
            let n = try c.length()
            path = UnsafeRawBufferPointer(rebasing: c.bytes[c.pos..<(c.pos + n)])
            c.pos += n
        }
        let n = try c.length()
        let value = UnsafeRawBufferPointer(rebasing: c.bytes[c.pos..<(c.pos + n)])
        c.pos += n
        return SSTableCellView(column: column, isTombstone: flags & SSTableFormat.cellIsTombstone != 0, timestamp: ts,
                               ttl: ttl, localDeletionTime: ldt, path: path, value: value)
    }

    @inline(__always) static func skipCell(_ c: inout ByteCursor) throws(DecodeFailure) {
        let flags = try c.u8()
        if flags & SSTableFormat.cellIsComplex != 0 {
            if flags & SSTableFormat.complexHasDeletion != 0 { _ = try c.varint(); _ = try c.varint() }
            let n = try c.count()
            for _ in 0..<n { try skipSimple(&c, flags: try c.u8(), withPath: true) }
        } else {
            try skipSimple(&c, flags: flags, withPath: false)
        }
    }

    @inline(__always) static func skipSimple(_ c: inout ByteCursor, flags: UInt8, withPath: Bool) throws(DecodeFailure) {
        if flags & SSTableFormat.cellUsesRowTimestamp == 0 { _ = try c.varint() }
        if flags & SSTableFormat.cellHasDeletionInfo != 0 { _ = try c.varint(); _ = try c.varint() }
        if withPath { try c.skipLengthPrefixed() }
        try c.skipLengthPrefixed()
    }
}

/// Growable scratch arrays for one row's columns and cells, reused for every row of a
/// read: they grow (rarely: a big collection) and are never freed per row. The memory
/// belongs to a `WalkScratch`, which gets the (possibly grown) pointers back.
struct RowScratch {
    var columns: UnsafeMutablePointer<SSTableColumnView>
    var columnCapacity: Int
    var columnCount = 0
    var cells: UnsafeMutablePointer<SSTableCellView>
    var cellCapacity: Int
    var cellCount = 0

    @inline(__always) mutating func reset() {
        columnCount = 0
        cellCount = 0
    }

    @inline(__always) mutating func reserveCells(_ n: Int) {
        if cellCount + n > cellCapacity { growCells(cellCount + n) }
    }

    mutating func growCells(_ needed: Int) {
        let capacity = max(needed, cellCapacity * 2)
        let p = UnsafeMutablePointer<SSTableCellView>.allocate(capacity: capacity)
        p.moveInitialize(from: cells, count: cellCount)
        cells.deallocate()
        cells = p
        cellCapacity = capacity
    }

    @inline(__always) mutating func appendCell(_ cell: SSTableCellView) {
        (cells + cellCount).initialize(to: cell)
        cellCount += 1
    }

    @inline(__always) mutating func appendColumn(_ column: SSTableColumnView) {
        if columnCount == columnCapacity {
            let capacity = columnCapacity * 2
            let p = UnsafeMutablePointer<SSTableColumnView>.allocate(capacity: capacity)
            p.moveInitialize(from: columns, count: columnCount)
            columns.deallocate()
            columns = p
            columnCapacity = capacity
        }
        (columns + columnCount).initialize(to: column)
        columnCount += 1
    }

    var columnsBuffer: UnsafeBufferPointer<SSTableColumnView> { UnsafeBufferPointer(start: columns, count: columnCount) }
    var cellsBuffer: UnsafeBufferPointer<SSTableCellView> { UnsafeBufferPointer(start: cells, count: cellCount) }
}
