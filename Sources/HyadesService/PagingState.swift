import HyadesCore

/// Where a paged SELECT stopped: the last partition key returned, the last clustering in
/// it (nil: the partition is finished) and how many rows were returned so far (for LIMIT
/// and PER PARTITION LIMIT). Opaque to clients; versioned so a bad state is an error.
///
/// Layout: version (1) | rows returned u32 | rows in partition u32 | key length u16 | key
/// | has clustering u8 | clustering length u32 | clustering.
struct PagingState: Hashable {
    static let version: UInt8 = 1

    var partitionKey: [UInt8]
    var clustering: [UInt8]?
    var rowsReturned: Int
    var rowsInPartition: Int

    func serialize() -> [UInt8] {
        var out: [UInt8] = [Self.version]
        func u32(_ v: Int) { let x = UInt32(clamping: v); out += [UInt8(x >> 24), UInt8(truncatingIfNeeded: x >> 16), UInt8(truncatingIfNeeded: x >> 8), UInt8(truncatingIfNeeded: x)] }
        u32(rowsReturned)
        u32(rowsInPartition)
        out += [UInt8(truncatingIfNeeded: partitionKey.count >> 8), UInt8(truncatingIfNeeded: partitionKey.count)]
        out += partitionKey
        if let clustering {
            out.append(1)
            u32(clustering.count)
            out += clustering
        } else {
            out.append(0)
        }
        return out
    }

    static func deserialize(_ b: [UInt8]) throws(QueryError) -> PagingState {
        var pos = 0
        func bad() -> QueryError { QueryError(.protocolError, "Invalid value for the paging state") }
        func take(_ n: Int) throws(QueryError) -> ArraySlice<UInt8> {
            guard n >= 0, pos + n <= b.count else { throw bad() }
            defer { pos += n }
            return b[pos..<pos + n]
        }
        func u32() throws(QueryError) -> Int { Int(try take(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) }
        guard try take(1).first == version else { throw bad() }
        let returned = try u32()
        let inPartition = try u32()
        let keyLength = Int(try take(2).reduce(0) { $0 << 8 | Int($1) })
        let key = Array(try take(keyLength))
        let has = try take(1).first!
        var clustering: [UInt8]?
        if has == 1 {
            clustering = Array(try take(try u32()))
        } else if has != 0 {
            throw bad()
        }
        guard pos == b.count else { throw bad() }
        return PagingState(partitionKey: key, clustering: clustering, rowsReturned: returned, rowsInPartition: inPartition)
    }
}
