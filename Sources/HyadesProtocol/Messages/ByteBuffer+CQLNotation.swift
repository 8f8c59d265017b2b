import NIOCore

// The notations of spec section 3 ([int], [string], [bytes], ...) over ByteBuffer.
// Readers never trap: a short or inconsistent body throws `ProtocolError.malformedBody`
// naming what was being read (the message layer attributes it to the frame's stream).
// Writers throw only where the wire format cannot hold the value (a [string] over 64 KiB).

extension ByteBuffer {

    mutating func readCQLByte(_ what: @autoclosure () -> String = "byte") throws -> UInt8 {
        guard let v = readInteger(as: UInt8.self) else { throw ProtocolError.malformedBody("truncated \(what())") }
        return v
    }


    mutating func readCQLShort(_ what: @autoclosure () -> String = "[short]") throws -> UInt16 {
        guard let v = readInteger(as: UInt16.self) else { throw ProtocolError.malformedBody("truncated \(what())") }
        return v
    }


    mutating func readCQLInt(_ what: @autoclosure () -> String = "[int]") throws -> Int32 {
        guard let v = readInteger(as: Int32.self) else { throw ProtocolError.malformedBody("truncated \(what())") }
        return v
    }


    mutating func readCQLLong(_ what: @autoclosure () -> String = "[long]") throws -> Int64 {
        guard let v = readInteger(as: Int64.self) else { throw ProtocolError.malformedBody("truncated \(what())") }
        return v
    }

    mutating func readCQLUTF8(length: Int, _ what: String) throws -> String {
        guard length >= 0, readableBytes >= length else {
            throw ProtocolError.malformedBody("\(what) of length \(length) but \(readableBytes) bytes remain")
        }
        let s = readableBytesView.prefix(length)
        guard let str = String(validating: s, as: UTF8.self) else {
            throw ProtocolError.malformedBody("\(what) is not valid UTF-8")
        }
        moveReaderIndex(forwardBy: length)
        return str
    }

    mutating func readCQLString(_ what: String = "[string]") throws -> String {
        let n = try readCQLShort(what)
        return try readCQLUTF8(length: Int(n), what)
    }

    mutating func readCQLLongString(_ what: String = "[long string]") throws -> String {
        let n = try readCQLInt(what)
        guard n >= 0 else { throw ProtocolError.malformedBody("\(what) with negative length \(n)") }
        return try readCQLUTF8(length: Int(n), what)
    }

    mutating func readCQLStringList(_ what: String = "[string list]") throws -> [String] {
        let n = Int(try readCQLShort(what))
        // Each [string] takes at least 2 bytes: a corrupt count fails before reserving.
        guard n <= readableBytes / 2 else { throw ProtocolError.malformedBody("\(what) of \(n) strings in \(readableBytes) bytes") }
        var out: [String] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try readCQLString(what)) }
        return out
    }

    /// [bytes]: nil for null (any negative length).
    mutating func readCQLBytes(_ what: String = "[bytes]") throws -> ByteBuffer? {
        let n = try readCQLInt(what)
        if n < 0 { return nil }
        guard let slice = readSlice(length: Int(n)) else {
            throw ProtocolError.malformedBody("\(what) of length \(n) but \(readableBytes) bytes remain")
        }
        return slice
    }

    /// [bytes] as an array (for small opaque tokens and ids).
    mutating func readCQLBytesArray(_ what: String = "[bytes]") throws -> [UInt8]? {
        try readCQLBytes(what).map { Array($0.readableBytesView) }
    }

    /// [value]: -1 null, -2 not set, other negatives invalid.
    mutating func readCQLValue(_ what: String = "[value]") throws -> CQLValue {
        let n = try readCQLInt(what)
        switch n {
        case -1: return .null
        case -2: return .notSet
        case ..<(-2): throw ProtocolError.malformedBody("\(what) with invalid length \(n)")
        default:
            guard let slice = readSlice(length: Int(n)) else {
                throw ProtocolError.malformedBody("\(what) of length \(n) but \(readableBytes) bytes remain")
            }
            return .bytes(slice)
        }
    }

    mutating func readCQLShortBytes(_ what: String = "[short bytes]") throws -> [UInt8] {
        let n = Int(try readCQLShort(what))
        guard let bytes = readBytes(length: n) else {
            throw ProtocolError.malformedBody("\(what) of length \(n) but \(readableBytes) bytes remain")
        }
        return bytes
    }

    mutating func readCQLUUID(_ what: String = "[uuid]") throws -> [UInt8] {
        guard let b = readBytes(length: 16) else { throw ProtocolError.malformedBody("truncated \(what)") }
        return b
    }

    mutating func readCQLInet(_ what: String = "[inet]") throws -> CQLInet {
        let n = Int(try readCQLByte(what))
        guard n == 4 || n == 16 else { throw ProtocolError.malformedBody("\(what) with address size \(n)") }
        guard let addr = readBytes(length: n) else { throw ProtocolError.malformedBody("truncated \(what)") }
        let port = try readCQLInt(what)
        return CQLInet(address: addr, port: port)
    }

    mutating func readCQLConsistency(_ what: String = "[consistency]") throws -> CQLConsistency {
        let raw = try readCQLShort(what)
        guard let c = CQLConsistency(rawValue: raw) else {
            throw ProtocolError.malformedBody("unknown consistency level \(raw)")
        }
        return c
    }

    mutating func readCQLStringMap(_ what: String = "[string map]") throws -> [String: String] {
        let n = Int(try readCQLShort(what))
        guard n <= readableBytes / 4 else { throw ProtocolError.malformedBody("\(what) of \(n) entries in \(readableBytes) bytes") }
        var out: [String: String] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n {
            let k = try readCQLString(what)
            out[k] = try readCQLString(what)
        }
        return out
    }

    mutating func readCQLStringMultimap(_ what: String = "[string multimap]") throws -> [String: [String]] {
        let n = Int(try readCQLShort(what))
        guard n <= readableBytes / 4 else { throw ProtocolError.malformedBody("\(what) of \(n) entries in \(readableBytes) bytes") }
        var out: [String: [String]] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n {
            let k = try readCQLString(what)
            out[k] = try readCQLStringList(what)
        }
        return out
    }

    mutating func readCQLBytesMap(_ what: String = "[bytes map]") throws -> [String: ByteBuffer?] {
        let n = Int(try readCQLShort(what))
        guard n <= readableBytes / 6 else { throw ProtocolError.malformedBody("\(what) of \(n) entries in \(readableBytes) bytes") }
        var out: [String: ByteBuffer?] = [:]
        out.reserveCapacity(n)
        for _ in 0..<n {
            let k = try readCQLString(what)
            out[k] = .some(try readCQLBytes(what))
        }
        return out
    }

    // MARK: writers


    mutating func writeCQLShort(_ v: UInt16) { writeInteger(v) }

    mutating func writeCQLInt(_ v: Int32) { writeInteger(v) }

    mutating func writeCQLLong(_ v: Int64) { writeInteger(v) }

    mutating func writeCQLString(_ s: String) throws {
        let n = s.utf8.count
        guard n <= Int(UInt16.max) else { throw ProtocolError.encoding("[string] of \(n) bytes exceeds 65535") }
        writeInteger(UInt16(n))
        writeString(s)
    }

    mutating func writeCQLLongString(_ s: String) throws {
        let n = s.utf8.count
        guard n <= Int(Int32.max) else { throw ProtocolError.encoding("[long string] of \(n) bytes exceeds 2^31-1") }
        writeInteger(Int32(n))
        writeString(s)
    }

    mutating func writeCQLStringList(_ list: [String]) throws {
        guard list.count <= Int(UInt16.max) else { throw ProtocolError.encoding("[string list] of \(list.count) entries") }
        writeInteger(UInt16(list.count))
        for s in list { try writeCQLString(s) }
    }

    mutating func writeCQLBytes(_ b: ByteBuffer?) throws {
        guard var b else { writeInteger(Int32(-1)); return }
        guard b.readableBytes <= Int(Int32.max) else { throw ProtocolError.encoding("[bytes] of \(b.readableBytes) bytes") }
        writeInteger(Int32(b.readableBytes))
        writeBuffer(&b)
    }

    mutating func writeCQLBytes(_ b: [UInt8]?) throws {
        guard let b else { writeInteger(Int32(-1)); return }
        guard b.count <= Int(Int32.max) else { throw ProtocolError.encoding("[bytes] of \(b.count) bytes") }
        writeInteger(Int32(b.count))
        writeBytes(b)
    }

    mutating func writeCQLValue(_ v: CQLValue) throws {
        switch v {
        case .null: writeInteger(Int32(-1))
        case .notSet: writeInteger(Int32(-2))
        case .bytes(let b): try writeCQLBytes(b)
        }
    }

    mutating func writeCQLShortBytes(_ b: [UInt8]) throws {
        guard b.count <= Int(UInt16.max) else { throw ProtocolError.encoding("[short bytes] of \(b.count) bytes") }
        writeInteger(UInt16(b.count))
        writeBytes(b)
    }

    mutating func writeCQLInet(_ inet: CQLInet) throws {
        guard inet.address.count == 4 || inet.address.count == 16 else {
            throw ProtocolError.encoding("[inet] address of \(inet.address.count) bytes")
        }
        writeInteger(UInt8(inet.address.count))
        writeBytes(inet.address)
        writeInteger(inet.port)
    }

    mutating func writeCQLConsistency(_ c: CQLConsistency) { writeInteger(c.rawValue) }

    /// Keys are written sorted so the bytes are deterministic.
    mutating func writeCQLStringMap(_ map: [String: String]) throws {
        guard map.count <= Int(UInt16.max) else { throw ProtocolError.encoding("[string map] of \(map.count) entries") }
        writeInteger(UInt16(map.count))
        for k in map.keys.sorted() {
            try writeCQLString(k)
            try writeCQLString(map[k]!)
        }
    }

    mutating func writeCQLStringMultimap(_ map: [String: [String]]) throws {
        guard map.count <= Int(UInt16.max) else { throw ProtocolError.encoding("[string multimap] of \(map.count) entries") }
        writeInteger(UInt16(map.count))
        for k in map.keys.sorted() {
            try writeCQLString(k)
            try writeCQLStringList(map[k]!)
        }
    }

    mutating func writeCQLBytesMap(_ map: [String: ByteBuffer?]) throws {
        guard map.count <= Int(UInt16.max) else { throw ProtocolError.encoding("[bytes map] of \(map.count) entries") }
        writeInteger(UInt16(map.count))
        for k in map.keys.sorted() {
            try writeCQLString(k)
            try writeCQLBytes(map[k]!)
        }
    }
}
