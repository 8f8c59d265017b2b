import HyadesCore
import HyadesProtocol
import NIOCore
import Synchronization

/// The answer to one request: for a SELECT one page of rows with their column specs and
/// the paging state of the next page; for USE the keyspace; for DDL the schema change.
///
/// Rows stay in the received frame's bytes: the cell offsets are indexed once (one
/// `[Int32]` for the whole page), and a cell is read from the buffer on access.
public struct ResultSet: Sendable, RandomAccessCollection {
    public let columns: [ColumnSpecification]
    /// Opaque; pass it back (`CQLStatementOptions.pagingState`) for the next page. nil on the last page.
    public let pagingState: ByteBuffer?
    public let warnings: [String]
    /// The keyspace a USE switched to.
    public let keyspace: String?
    /// What a DDL statement changed.
    public let schemaChange: CQLSchemaChange?
    let storage: RowStorage

    public var startIndex: Int { 0 }
    public var endIndex: Int { storage.rowCount }
    public subscript(position: Int) -> CQLRow { CQLRow(storage: storage, index: position) }

    /// Whether more pages follow.
    public var hasMorePages: Bool { pagingState != nil }

    /// Index of the column called `name`, if any.
    public func columnIndex(_ name: String) -> Int? { storage.columnIndex(name) }

    init(columns: [ColumnSpecification], rows: CQLRows?, warnings: [String] = [], keyspace: String? = nil,
         schemaChange: CQLSchemaChange? = nil) {
        self.columns = columns
        self.pagingState = rows?.metadata.pagingState
        self.warnings = warnings
        self.keyspace = keyspace
        self.schemaChange = schemaChange
        self.storage = RowStorage(columns: columns, rows: rows)
    }

    /// An empty result (VOID).
    static let void = ResultSet(columns: [], rows: nil)

    /// The result of a RESULT message; `knownColumns` stand in when the node skipped the
    /// metadata (prepared statements executed with skip_metadata).
    static func from(_ envelope: CQLResponseEnvelope, knownColumns: [ColumnSpecification]?) throws -> ResultSet {
        guard case .result(let result) = envelope.response else {
            throw CQLClientError.unexpectedResponse("expected RESULT, got \(envelope.response.opcode)")
        }
        switch result {
        case .void:
            return envelope.warnings.isEmpty ? .void : ResultSet(columns: [], rows: nil, warnings: envelope.warnings)
        case .rows(let rows):
            let columns = rows.metadata.columns ?? knownColumns ?? []
            guard columns.count == rows.metadata.columnCount else {
                throw CQLClientError.unexpectedResponse("rows without column metadata (\(rows.metadata.columnCount) columns)")
            }
            return ResultSet(columns: columns, rows: rows, warnings: envelope.warnings)
        case .setKeyspace(let ks):
            return ResultSet(columns: [], rows: nil, warnings: envelope.warnings, keyspace: ks)
        case .schemaChange(let change):
            return ResultSet(columns: [], rows: nil, warnings: envelope.warnings, schemaChange: change)
        case .prepared:
            throw CQLClientError.unexpectedResponse("unexpected PREPARED result")
        }
    }
}

/// The page's bytes and where each cell starts: `cells[2*i]` = offset into `content`,
/// `cells[2*i+1]` = length or -1 for null. The index is built on first row access, so a
/// caller that only counts rows (a scan benchmark) or skips the page pays nothing for it.
final class RowStorage: Sendable {
    let columns: [ColumnSpecification]
    let rowCount: Int
    let columnCount: Int
    let content: ByteBuffer
    private let index = Mutex<[Int32]?>(nil)

    init(columns: [ColumnSpecification], rows: CQLRows?) {
        self.columns = columns
        guard let rows else {
            rowCount = 0; columnCount = columns.count; content = ByteBuffer()
            return
        }
        rowCount = rows.rowCount
        columnCount = rows.metadata.columnCount
        content = rows.content
    }

    /// The cell index (built once).
    var cells: [Int32] {
        index.withLock { cached in
            if let cached { return cached }
            let built = Self.buildIndex(content, cellCount: rowCount * columnCount)
            cached = built
            return built
        }
    }

    static func buildIndex(_ content: ByteBuffer, cellCount: Int) -> [Int32] {
        var cells: [Int32] = []
        cells.reserveCapacity(2 * cellCount)
        // CQLRows.read already checked that every length stays inside the content.
        content.withUnsafeReadableBytes { p in
            var o = 0
            for _ in 0..<cellCount {
                let len = Int32(bitPattern: UInt32(p[o]) << 24 | UInt32(p[o + 1]) << 16 | UInt32(p[o + 2]) << 8 | UInt32(p[o + 3]))
                o += 4
                cells.append(Int32(o))
                cells.append(len < 0 ? -1 : len)
                if len > 0 { o += Int(len) }
            }
        }
        return cells
    }

    func columnIndex(_ name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

/// One row of a `ResultSet`: cells as raw bytes, typed accessors, decoded values, and
/// text as cqlsh prints it.
public struct CQLRow: Sendable {
    let storage: RowStorage
    let cells: [Int32]
    public let index: Int

    init(storage: RowStorage, index: Int) {
        precondition(index >= 0 && index < storage.rowCount, "row \(index) out of range 0..<\(storage.rowCount)")
        self.storage = storage
        self.cells = storage.cells
        self.index = index
    }

    public var columns: [ColumnSpecification] { storage.columns }
    public var count: Int { storage.columnCount }

    @inline(__always)
    func cell(_ column: Int) -> (offset: Int, length: Int) {
        precondition(column >= 0 && column < storage.columnCount, "column \(column) out of range 0..<\(storage.columnCount)")
        let i = 2 * (index * storage.columnCount + column)
        return (Int(cells[i]), Int(cells[i + 1]))
    }

    public func isNull(_ column: Int) -> Bool { cell(column).length < 0 }

    /// The cell's serialized bytes (a slice, not a copy); nil for null.
    public func bytes(_ column: Int) -> ByteBuffer? {
        let (o, n) = cell(column)
        guard n >= 0 else { return nil }
        return storage.content.getSlice(at: storage.content.readerIndex + o, length: n)
    }

    /// Calls `body` with the cell's bytes (nil for null) without copying them.
    public func withCell<R>(_ column: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        let (o, n) = cell(column)
        guard n >= 0 else { return try body(nil) }
        return try storage.content.withUnsafeReadableBytes { p in
            try body(UnsafeRawBufferPointer(rebasing: p[o..<(o + n)]))
        }
    }

    /// The cell decoded by its column's type.
    public func value(_ column: Int) -> CQLColumnValue {
        let type = storage.columns[column].type
        return withCell(column) { p in p.map { CQLColumnValue.decode($0, type) } ?? .null }
    }

    /// The cell as cqlsh prints it (`CQLValueFormat.literal`); nil for null.
    public func formatted(_ column: Int) -> String? {
        let type = storage.columns[column].type
        return withCell(column) { p in p.map { CQLValueFormat.literal($0, type: type) } }
    }

    // Typed accessors: nil for null and for a cell whose size does not fit the type.

    public func int64(_ column: Int) -> Int64? { withCell(column) { p in p.flatMap { Self.bigEndian($0, 8) } } }
    public func int32(_ column: Int) -> Int32? { withCell(column) { p in p.flatMap { Self.bigEndian($0, 4).map { Int32($0) } } } }
    public func int16(_ column: Int) -> Int16? { withCell(column) { p in p.flatMap { Self.bigEndian($0, 2).map { Int16($0) } } } }
    public func double(_ column: Int) -> Double? {
        withCell(column) { p in p.flatMap { Self.bigEndian($0, 8).map { Double(bitPattern: UInt64(bitPattern: $0)) } } }
    }
    public func float(_ column: Int) -> Float? {
        withCell(column) { p in p.flatMap { Self.bigEndian($0, 4).map { Float(bitPattern: UInt32(truncatingIfNeeded: $0)) } } }
    }
    public func bool(_ column: Int) -> Bool? { withCell(column) { p in p.flatMap { $0.count == 1 ? $0[0] != 0 : nil } } }
    public func string(_ column: Int) -> String? { withCell(column) { p in p.map { String(decoding: $0, as: UTF8.self) } } }
    public func blob(_ column: Int) -> [UInt8]? { withCell(column) { p in p.map { Array($0) } } }

    public func int64(_ name: String) -> Int64? { storage.columnIndex(name).flatMap { int64($0) } }
    public func int32(_ name: String) -> Int32? { storage.columnIndex(name).flatMap { int32($0) } }
    public func double(_ name: String) -> Double? { storage.columnIndex(name).flatMap { double($0) } }
    public func bool(_ name: String) -> Bool? { storage.columnIndex(name).flatMap { bool($0) } }
    public func string(_ name: String) -> String? { storage.columnIndex(name).flatMap { string($0) } }
    public func blob(_ name: String) -> [UInt8]? { storage.columnIndex(name).flatMap { blob($0) } }
    public func value(_ name: String) -> CQLColumnValue? { storage.columnIndex(name).map { value($0) } }

    @inline(__always)
    static func bigEndian(_ p: UnsafeRawBufferPointer, _ width: Int) -> Int64? {
        guard p.count == width else { return nil }
        var x = Int64(Int8(bitPattern: p[0]))
        for i in 1..<width { x = x << 8 | Int64(p[i]) }
        return x
    }
}
