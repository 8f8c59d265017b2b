import HyadesCore
import NIOCore

/// <query_parameters> of QUERY and EXECUTE (spec section 4.1.4). The flags byte is derived
/// from which fields are set, so a value can never disagree with its flag.
public struct CQLQueryParameters: Hashable, Sendable {
    public var consistency: CQLConsistency
    /// Bound values in marker order (flag 0x01).
    public var values: [CQLValue]
    /// Marker names, one per value, when the client bound by name (flag 0x40).
    public var valueNames: [String]?
    /// Flag 0x02: the client already has the result metadata (from PREPARE).
    public var skipMetadata: Bool
    /// Flag 0x04: rows per page.
    public var pageSize: Int32?
    /// Flag 0x08: opaque state from a previous page's RESULT.
    public var pagingState: ByteBuffer?
    /// Flag 0x10: SERIAL or LOCAL_SERIAL for conditional updates.
    public var serialConsistency: CQLConsistency?
    /// Flag 0x20: the client's timestamp for writes, in microseconds.
    public var defaultTimestamp: Int64?

    public init(consistency: CQLConsistency = .one, values: [CQLValue] = [], valueNames: [String]? = nil,
                skipMetadata: Bool = false, pageSize: Int32? = nil, pagingState: ByteBuffer? = nil,
                serialConsistency: CQLConsistency? = nil, defaultTimestamp: Int64? = nil) {
        self.consistency = consistency
        self.values = values
        self.valueNames = valueNames
        self.skipMetadata = skipMetadata
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.serialConsistency = serialConsistency
        self.defaultTimestamp = defaultTimestamp
    }

    var flags: UInt8 {
        var f: UInt8 = 0
        if !values.isEmpty || valueNames != nil { f |= CQLQueryFlag.values }
        if valueNames != nil { f |= CQLQueryFlag.namesForValues }
        if skipMetadata { f |= CQLQueryFlag.skipMetadata }
        if pageSize != nil { f |= CQLQueryFlag.pageSize }
        if pagingState != nil { f |= CQLQueryFlag.pagingState }
        if serialConsistency != nil { f |= CQLQueryFlag.serialConsistency }
        if defaultTimestamp != nil { f |= CQLQueryFlag.defaultTimestamp }
        return f
    }

    func write(to out: inout ByteBuffer) throws {
        out.writeCQLConsistency(consistency)
        let f = flags
        out.writeInteger(f)
        if f & CQLQueryFlag.values != 0 {
            guard values.count <= Int(UInt16.max) else { throw ProtocolError.encoding("\(values.count) bound values") }
            if let names = valueNames, names.count != values.count {
                throw ProtocolError.encoding("\(names.count) value names for \(values.count) values")
            }
            out.writeInteger(UInt16(values.count))
            for (i, v) in values.enumerated() {
                if let names = valueNames { try out.writeCQLString(names[i]) }
                try out.writeCQLValue(v)
            }
        }
        if let pageSize { out.writeInteger(pageSize) }
        if let pagingState { try out.writeCQLBytes(pagingState) }
        if let serialConsistency { out.writeCQLConsistency(serialConsistency) }
        if let defaultTimestamp { out.writeInteger(defaultTimestamp) }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLQueryParameters {
        var p = CQLQueryParameters(consistency: try body.readCQLConsistency())
        let f = try body.readCQLByte("query flags")
        if f & CQLQueryFlag.values != 0 {
            let n = Int(try body.readCQLShort("value count"))
            // Each [value] takes at least its 4-byte length.
            guard n <= body.readableBytes / 4 else {
                throw ProtocolError.malformedBody("\(n) values in \(body.readableBytes) bytes")
            }
            let named = f & CQLQueryFlag.namesForValues != 0
            var names: [String] = []
            p.values.reserveCapacity(n)
            for _ in 0..<n {
                if named { names.append(try body.readCQLString("value name")) }
                p.values.append(try body.readCQLValue())
            }
            if named { p.valueNames = names }
        }
        p.skipMetadata = f & CQLQueryFlag.skipMetadata != 0
        if f & CQLQueryFlag.pageSize != 0 { p.pageSize = try body.readCQLInt("page size") }
        if f & CQLQueryFlag.pagingState != 0 {
            // A null paging state is "no state" (some drivers send it that way).
            p.pagingState = try body.readCQLBytes("paging state")
        }
        if f & CQLQueryFlag.serialConsistency != 0 { p.serialConsistency = try body.readCQLConsistency("serial consistency") }
        if f & CQLQueryFlag.defaultTimestamp != 0 { p.defaultTimestamp = try body.readCQLLong("default timestamp") }
        return p
    }
}
