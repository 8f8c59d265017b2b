import NIOCore

/// RESULT (spec 4.2.5).
public enum CQLResult: Hashable, Sendable {
    case void
    case rows(CQLRows)
    case setKeyspace(String)
    case prepared(CQLPrepared)
    case schemaChange(CQLSchemaChange)

    func write(to out: inout ByteBuffer) throws {
        switch self {
        case .void:
            out.writeInteger(CQLResultKind.void)
        case .rows(let rows):
            out.writeInteger(CQLResultKind.rows)
            try rows.write(to: &out)
        case .setKeyspace(let ks):
            out.writeInteger(CQLResultKind.setKeyspace)
            try out.writeCQLString(ks)
        case .prepared(let p):
            out.writeInteger(CQLResultKind.prepared)
            try p.write(to: &out)
        case .schemaChange(let sc):
            out.writeInteger(CQLResultKind.schemaChange)
            try sc.write(to: &out)
        }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLResult {
        let kind = try body.readCQLInt("result kind")
        switch kind {
        case CQLResultKind.void: return .void
        case CQLResultKind.rows: return .rows(try CQLRows.read(from: &body))
        case CQLResultKind.setKeyspace: return .setKeyspace(try body.readCQLString("keyspace"))
        case CQLResultKind.prepared: return .prepared(try CQLPrepared.read(from: &body))
        case CQLResultKind.schemaChange: return .schemaChange(try CQLSchemaChange.read(from: &body))
        default: throw ProtocolError.malformedBody("unknown result kind \(kind)")
        }
    }
}

/// Prepared result (spec 4.2.5.4).
public struct CQLPrepared: Hashable, Sendable {
    public var id: [UInt8]
    public var metadata: CQLPreparedMetadata
    /// Columns an EXECUTE will return; `.empty` for statements that return none.
    public var resultMetadata: CQLResultMetadata

    public init(id: [UInt8], metadata: CQLPreparedMetadata, resultMetadata: CQLResultMetadata) {
        self.id = id
        self.metadata = metadata
        self.resultMetadata = resultMetadata
    }

    func write(to out: inout ByteBuffer) throws {
        try out.writeCQLShortBytes(id)
        try metadata.write(to: &out)
        try resultMetadata.write(to: &out)
    }

    static func read(from body: inout ByteBuffer) throws -> CQLPrepared {
        let id = try body.readCQLShortBytes("prepared id")
        let metadata = try CQLPreparedMetadata.read(from: &body)
        return CQLPrepared(id: id, metadata: metadata, resultMetadata: try CQLResultMetadata.read(from: &body))
    }
}

/// Rows result (spec 4.2.5.2): metadata, then `rowCount` rows of `metadata.columnCount`
/// [bytes] cells each, kept encoded in `content` (decode cells lazily with `forEachCell`
/// or `makeIterator`). Build one with `CQLRowsEncoder`.
public struct CQLRows: Hashable, Sendable {
    public var metadata: CQLResultMetadata
    public var rowCount: Int
    /// The <rows_content> bytes, exactly: rowCount × columnCount [bytes].
    public var content: ByteBuffer

    /// Trusts that `content` holds `rowCount` rows of `metadata.columnCount` cells; the
    /// encoder guarantees it, and `read` checks it.
    public init(metadata: CQLResultMetadata, rowCount: Int, content: ByteBuffer) {
        self.metadata = metadata
        self.rowCount = rowCount
        self.content = content
    }

    func write(to out: inout ByteBuffer) throws {
        try metadata.write(to: &out)
        guard rowCount <= Int(Int32.max) else { throw ProtocolError.encoding("\(rowCount) rows") }
        out.writeInteger(Int32(rowCount))
        var c = content
        out.writeBuffer(&c)
    }

    static func read(from body: inout ByteBuffer) throws -> CQLRows {
        let metadata = try CQLResultMetadata.read(from: &body)
        let count = try body.readCQLInt("row count")
        guard count >= 0 else { throw ProtocolError.malformedBody("negative row count \(count)") }
        // Walk the cell lengths once so that later, lazy cell access cannot run off the end.
        let start = body.readerIndex
        var cursor = body
        let cells = Int(count) * metadata.columnCount
        // Each cell takes at least its 4-byte length (guards the multiplication's meaning too).
        guard metadata.columnCount == 0 || Int(count) <= cursor.readableBytes / 4 / metadata.columnCount else {
            throw ProtocolError.malformedBody("\(count) rows of \(metadata.columnCount) columns in \(cursor.readableBytes) bytes")
        }
        for _ in 0..<cells { _ = try cursor.readCQLBytes("cell") }
        let content = body.readSlice(length: cursor.readerIndex - start)!
        return CQLRows(metadata: metadata, rowCount: Int(count), content: content)
    }

    /// Calls `body(rowIndex, columnIndex, cell)` for every cell in order (nil = null).
    public func forEachCell(_ body: (Int, Int, ByteBuffer?) throws -> Void) throws {
        var cursor = content
        let columns = metadata.columnCount
        for r in 0..<rowCount {
            for c in 0..<columns {
                try body(r, c, try cursor.readCQLBytes("cell"))
            }
        }
    }

    /// All rows decoded into cells (nil = null). Convenient, not fast: one array per row.
    public func decodedRows() throws -> [[ByteBuffer?]] {
        var rows: [[ByteBuffer?]] = []
        rows.reserveCapacity(rowCount)
        var cursor = content
        for _ in 0..<rowCount {
            var row: [ByteBuffer?] = []
            row.reserveCapacity(metadata.columnCount)
            for _ in 0..<metadata.columnCount { row.append(try cursor.readCQLBytes("cell")) }
            rows.append(row)
        }
        return rows
    }
}
