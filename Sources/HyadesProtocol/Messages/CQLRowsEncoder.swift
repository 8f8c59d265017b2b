import NIOCore

/// Writes rows straight into one contiguous buffer, cell by cell, in the wire form
/// (`[bytes]`: a 4-byte length, then the serialized value). Nothing is allocated per
/// value; fixed-width values are written big-endian in place, variable ones copied from
/// the caller's bytes, composite ones built in place between `beginValue`/`endValue`.
///
///     var rows = CQLRowsEncoder(columnCount: 3, allocator: allocator)
///     for r in page {
///         rows.appendInt32(r.id); rows.appendUTF8(r.name); rows.appendNull()
///         rows.endRow()
///     }
///     let result = CQLResult.rows(rows.finish(metadata: metadata))
///
/// Use `byteCount` to stop a page at a size budget. Appending the wrong number of cells to
/// a row is a programming error and traps in `endRow` (it would corrupt the frame).
public struct CQLRowsEncoder: Sendable {
    public let columnCount: Int
    @usableFromInline var buffer: ByteBuffer
    @usableFromInline var cellsInRow: Int = 0
    @usableFromInline var rowsWritten: Int = 0

    /// Rows completed so far.
    @inlinable
    public var rowCount: Int { rowsWritten }

    public init(columnCount: Int, allocator: ByteBufferAllocator, reservingBytes: Int = 4096) {
        self.columnCount = columnCount
        self.buffer = allocator.buffer(capacity: reservingBytes)
    }

    /// Bytes of rows written so far.
    @inlinable
    public var byteCount: Int { buffer.readableBytes }

    @inlinable
    public mutating func appendNull() {
        buffer.writeInteger(Int32(-1))
        cellsInRow += 1
    }

    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        buffer.writeInteger(Int32(truncatingIfNeeded: bytes.count))
        buffer.writeBytes(bytes)
        cellsInRow += 1
    }

    @inlinable
    public mutating func append<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        let n = buffer.writeBytes(bytes)
        buffer.setInteger(Int32(truncatingIfNeeded: n), at: lengthIndex)
        cellsInRow += 1
    }

    @inlinable
    public mutating func append(_ value: ByteBuffer) {
        buffer.writeInteger(Int32(truncatingIfNeeded: value.readableBytes))
        buffer.writeImmutableBuffer(value)
        cellsInRow += 1
    }

    /// text / varchar / ascii.
    @inlinable
    public mutating func appendUTF8(_ s: String) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        let n = buffer.writeString(s)
        buffer.setInteger(Int32(truncatingIfNeeded: n), at: lengthIndex)
        cellsInRow += 1
    }

    /// int, date (as its unsigned days, bit pattern) and other 4-byte values.
    @inlinable
    public mutating func appendInt32(_ v: Int32) {
        buffer.writeMultipleIntegers(Int32(4), v)
        cellsInRow += 1
    }

    /// bigint, counter, timestamp, time.
    @inlinable
    public mutating func appendInt64(_ v: Int64) {
        buffer.writeMultipleIntegers(Int32(8), v)
        cellsInRow += 1
    }

    @inlinable
    public mutating func appendInt16(_ v: Int16) {
        buffer.writeMultipleIntegers(Int32(2), v)
        cellsInRow += 1
    }

    @inlinable
    public mutating func appendInt8(_ v: Int8) {
        buffer.writeMultipleIntegers(Int32(1), v)
        cellsInRow += 1
    }

    @inlinable
    public mutating func appendBool(_ v: Bool) {
        buffer.writeMultipleIntegers(Int32(1), UInt8(v ? 1 : 0))
        cellsInRow += 1
    }

    @inlinable
    public mutating func appendDouble(_ v: Double) {
        buffer.writeMultipleIntegers(Int32(8), v.bitPattern)
        cellsInRow += 1
    }

    @inlinable
    public mutating func appendFloat(_ v: Float) {
        buffer.writeMultipleIntegers(Int32(4), v.bitPattern)
        cellsInRow += 1
    }

    /// Starts a cell whose bytes the caller writes with `withValueBuffer`/`write*`; returns
    /// the position `endValue` patches the length into.
    @inlinable
    public mutating func beginValue() -> Int {
        let at = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        return at
    }

    /// Gives direct access to the buffer to write the current value's bytes.
    @inlinable
    public mutating func withValueBuffer<R>(_ body: (inout ByteBuffer) throws -> R) rethrows -> R {
        try body(&buffer)
    }

    /// Ends a cell started with `beginValue`.
    @inlinable
    public mutating func endValue(startedAt at: Int) {
        let length = buffer.writerIndex - at - 4
        buffer.setInteger(Int32(truncatingIfNeeded: length), at: at)
        cellsInRow += 1
    }

    @inlinable
    public mutating func endRow() {
        precondition(cellsInRow == columnCount, "row has \(cellsInRow) cells, expected \(columnCount)")
        cellsInRow = 0
        rowsWritten += 1
    }

    /// The rows written, with their metadata. `metadata.pagingState` (Has_more_pages) is
    /// usually known only now, after the page has been filled.
    public func finish(metadata: CQLResultMetadata) -> CQLRows {
        precondition(cellsInRow == 0, "finish() inside an unfinished row")
        precondition(metadata.columnCount == columnCount, "metadata has \(metadata.columnCount) columns, rows \(columnCount)")
        return CQLRows(metadata: metadata, rowCount: rowsWritten, content: buffer)
    }
}

/// Something that can write its rows, one at a time, into a `CQLRowsEncoder` (a memtable
/// or SSTable scan adapted by the server). Generic, not existential, so the per-row call
/// specializes and inlines.
public protocol CQLRowSource {
    /// Appends exactly `encoder.columnCount` cells and calls `endRow()`; returns false,
    /// writing nothing, when there are no more rows.
    mutating func writeNextRow(into encoder: inout CQLRowsEncoder) throws -> Bool
}

extension CQLRowsEncoder {
    /// Fills the page from `source` until `maxRows` rows or `maxBytes` bytes (checked after
    /// each row, so a page holds at least one row), or the source runs dry.
    /// Returns true when the source is exhausted (no Has_more_pages needed).
    @inlinable
    public mutating func append<Source: CQLRowSource>(from source: inout Source, maxRows: Int, maxBytes: Int = .max) throws -> Bool {
        while rowCount < maxRows && byteCount < maxBytes {
            guard try source.writeNextRow(into: &self) else { return true }
        }
        return false
    }
}
