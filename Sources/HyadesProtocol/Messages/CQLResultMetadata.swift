import HyadesCore
import NIOCore

/// <metadata> of a Rows result and <result_metadata> of a Prepared result (spec 4.2.5.2).
public struct CQLResultMetadata: Hashable, Sendable {
    /// Number of values per row; equals `columns.count` when `columns` is present.
    public var columnCount: Int
    /// nil: No_metadata (0x0004), the client asked to skip it or it is unknown.
    public var columns: [ColumnSpecification]?
    /// Present iff Has_more_pages (0x0002).
    public var pagingState: ByteBuffer?

    public init(columns: [ColumnSpecification], pagingState: ByteBuffer? = nil) {
        self.columnCount = columns.count
        self.columns = columns
        self.pagingState = pagingState
    }

    /// Metadata without column specs (No_metadata).
    public init(noMetadataColumnCount: Int, pagingState: ByteBuffer? = nil) {
        self.columnCount = noMetadataColumnCount
        self.columns = nil
        self.pagingState = pagingState
    }

    /// The empty metadata of a Prepared result for a non-SELECT.
    public static let empty = CQLResultMetadata(noMetadataColumnCount: 0)

    func write(to out: inout ByteBuffer) throws {
        var flags: Int32 = 0
        let global = columns.flatMap(ColumnSpecification.sharedTable)
        if columns == nil { flags |= CQLMetadataFlag.noMetadata }
        if global != nil { flags |= CQLMetadataFlag.globalTablesSpec }
        if pagingState != nil { flags |= CQLMetadataFlag.hasMorePages }
        out.writeInteger(flags)
        guard columnCount <= Int(Int32.max) else { throw ProtocolError.encoding("\(columnCount) columns") }
        if let columns, columns.count != columnCount {
            throw ProtocolError.encoding("metadata with \(columns.count) column specs but a column count of \(columnCount)")
        }
        out.writeInteger(Int32(columnCount))
        if let pagingState { try out.writeCQLBytes(pagingState) }
        if let columns {
            try ColumnSpecification.write(columns, global: global, to: &out)
        }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLResultMetadata {
        let flags = try body.readCQLInt("metadata flags")
        let count = try body.readCQLInt("column count")
        guard count >= 0 else { throw ProtocolError.malformedBody("negative column count \(count)") }
        var m = CQLResultMetadata(noMetadataColumnCount: Int(count))
        if flags & CQLMetadataFlag.hasMorePages != 0 {
            guard let state = try body.readCQLBytes("paging state") else {
                throw ProtocolError.malformedBody("Has_more_pages with a null paging state")
            }
            m.pagingState = state
        }
        if flags & CQLMetadataFlag.noMetadata == 0 {
            m.columns = try ColumnSpecification.read(count: Int(count), global: flags & CQLMetadataFlag.globalTablesSpec != 0, from: &body)
        }
        return m
    }
}

/// <metadata> of a Prepared result: the bind markers, and which of them make up the
/// partition key (token-aware drivers route with `partitionKeyIndexes`).
public struct CQLPreparedMetadata: Hashable, Sendable {
    public var columns: [ColumnSpecification]
    /// Bind-marker index of each partition key component, in key order; empty when some
    /// component is not bound by a plain marker.
    public var partitionKeyIndexes: [UInt16]

    public init(columns: [ColumnSpecification], partitionKeyIndexes: [UInt16]) {
        self.columns = columns
        self.partitionKeyIndexes = partitionKeyIndexes
    }

    func write(to out: inout ByteBuffer) throws {
        let global = ColumnSpecification.sharedTable(columns)
        out.writeInteger(global != nil ? CQLMetadataFlag.globalTablesSpec : 0)
        guard columns.count <= Int(Int32.max), partitionKeyIndexes.count <= Int(Int32.max) else {
            throw ProtocolError.encoding("too many bind markers")
        }
        out.writeInteger(Int32(columns.count))
        out.writeInteger(Int32(partitionKeyIndexes.count))
        for i in partitionKeyIndexes { out.writeInteger(i) }
        try ColumnSpecification.write(columns, global: global, to: &out)
    }

    static func read(from body: inout ByteBuffer) throws -> CQLPreparedMetadata {
        let flags = try body.readCQLInt("prepared metadata flags")
        let count = try body.readCQLInt("bind marker count")
        let pkCount = try body.readCQLInt("pk count")
        guard count >= 0, pkCount >= 0, Int(pkCount) <= body.readableBytes / 2 else {
            throw ProtocolError.malformedBody("bad counts in prepared metadata (\(count) markers, \(pkCount) pk indexes)")
        }
        var pk: [UInt16] = []
        pk.reserveCapacity(Int(pkCount))
        for _ in 0..<pkCount { pk.append(try body.readCQLShort("pk index")) }
        let columns = try ColumnSpecification.read(count: Int(count), global: flags & CQLMetadataFlag.globalTablesSpec != 0, from: &body)
        return CQLPreparedMetadata(columns: columns, partitionKeyIndexes: pk)
    }
}

extension ColumnSpecification {
    /// The (keyspace, table) every column shares, if any: then it is written once.
    static func sharedTable(_ columns: [ColumnSpecification]) -> (String, String)? {
        guard let first = columns.first else { return nil }
        for c in columns where c.keyspace != first.keyspace || c.table != first.table { return nil }
        return (first.keyspace, first.table)
    }

    static func write(_ columns: [ColumnSpecification], global: (String, String)?, to out: inout ByteBuffer) throws {
        if let (ks, table) = global {
            try out.writeCQLString(ks)
            try out.writeCQLString(table)
        }
        for c in columns {
            if global == nil {
                try out.writeCQLString(c.keyspace)
                try out.writeCQLString(c.table)
            }
            try out.writeCQLString(c.name)
            try out.writeCQLTypeOption(c.type)
        }
    }

    static func read(count: Int, global: Bool, from body: inout ByteBuffer) throws -> [ColumnSpecification] {
        // Each spec takes at least a name [string] and an [option] id.
        guard count <= body.readableBytes / 4 else {
            throw ProtocolError.malformedBody("\(count) column specs in \(body.readableBytes) bytes")
        }
        var ks = "", table = ""
        if global {
            ks = try body.readCQLString("keyspace")
            table = try body.readCQLString("table")
        }
        var out: [ColumnSpecification] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            var cks = ks, ctable = table
            if !global {
                cks = try body.readCQLString("keyspace")
                ctable = try body.readCQLString("table")
            }
            let name = try body.readCQLString("column name")
            out.append(ColumnSpecification(keyspace: cks, table: ctable, name: name, type: try body.readCQLTypeOption()))
        }
        return out
    }
}
