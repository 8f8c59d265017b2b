/// Big-endian writer and bounds-checked reader for internode payloads (spec:
/// docs/formats/internode.md). Pure bytes: HyadesCluster has no NIO; the server copies a
/// frame's payload out of its ByteBuffer once and hands the bytes to these codecs.

/// Appends big-endian integers and length-prefixed strings to a byte array.
public struct InternodeWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(v >> 8)); bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32(_ v: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
    }

    public mutating func u64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }

    public mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }

    public mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// `long string` = u32 byte length + UTF-8 bytes (values that may pass 64 KiB, e.g. TOKENS).
    public mutating func longString(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// `string` = u16 byte length + UTF-8 bytes (as in the streaming protocol). Strings longer
    /// than 65,535 bytes are a programming error: callers bound them first.
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        precondition(utf8.count <= Int(UInt16.max), "internode string over 65535 bytes")
        u16(UInt16(utf8.count))
        bytes.append(contentsOf: utf8)
    }
}

/// Why a payload did not parse. Every malformed payload ends in one of these, never a trap.
public struct InternodePayloadError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case truncated
        case trailingBytes(Int)
        case invalidUTF8
        case countTooLarge(Int)
        case invalidValue(String)
    }
    public let kind: Kind
    public init(_ kind: Kind) { self.kind = kind }
    public var description: String {
        switch kind {
        case .truncated: return "internode payload truncated"
        case .trailingBytes(let n): return "internode payload has \(n) bytes left over"
        case .invalidUTF8: return "internode payload string is not UTF-8"
        case .countTooLarge(let n): return "internode payload announces \(n) entries, more than the bytes left can hold"
        case .invalidValue(let what): return "internode payload: \(what)"
        }
    }
}

/// Reads what `InternodeWriter` wrote, checking every length against the bytes left, so a
/// corrupt count can never make the reader allocate or loop beyond the payload.
public struct InternodeReader: Sendable {
    public let bytes: [UInt8]
    public private(set) var offset: Int

    public init(_ bytes: [UInt8]) { self.bytes = bytes; offset = 0 }

    public var remaining: Int { bytes.count - offset }

    private mutating func take(_ n: Int) throws(InternodePayloadError) -> ArraySlice<UInt8> {
        guard n >= 0, remaining >= n else { throw InternodePayloadError(.truncated) }
        defer { offset += n }
        return bytes[offset ..< offset + n]
    }

    public mutating func u8() throws(InternodePayloadError) -> UInt8 { try take(1).first! }

    public mutating func u16() throws(InternodePayloadError) -> UInt16 {
        let s = try take(2)
        return UInt16(s[s.startIndex]) << 8 | UInt16(s[s.startIndex + 1])
    }

    public mutating func u32() throws(InternodePayloadError) -> UInt32 {
        var v: UInt32 = 0
        for b in try take(4) { v = v << 8 | UInt32(b) }
        return v
    }

    public mutating func u64() throws(InternodePayloadError) -> UInt64 {
        var v: UInt64 = 0
        for b in try take(8) { v = v << 8 | UInt64(b) }
        return v
    }

    public mutating func i32() throws(InternodePayloadError) -> Int32 { Int32(bitPattern: try u32()) }

    public mutating func raw(_ n: Int) throws(InternodePayloadError) -> [UInt8] { Array(try take(n)) }

    public mutating func string() throws(InternodePayloadError) -> String {
        let n = Int(try u16())
        let utf8 = try take(n)
        guard let s = String(validating: utf8, as: UTF8.self) else { throw InternodePayloadError(.invalidUTF8) }
        return s
    }

    public mutating func longString() throws(InternodePayloadError) -> String {
        let n = Int(try u32())
        let utf8 = try take(n)
        guard let s = String(validating: utf8, as: UTF8.self) else { throw InternodePayloadError(.invalidUTF8) }
        return s
    }

    /// A count of entries, each at least `minimumEntryBytes` long: refused before anything is
    /// reserved when the bytes left cannot hold that many.
    public mutating func count(minimumEntryBytes: Int) throws(InternodePayloadError) -> Int {
        let n = Int(try u32())
        guard n <= remaining / max(1, minimumEntryBytes) else { throw InternodePayloadError(.countTooLarge(n)) }
        return n
    }

    /// Every payload must be read exactly.
    public func finish() throws(InternodePayloadError) {
        guard remaining == 0 else { throw InternodePayloadError(.trailingBytes(remaining)) }
    }
}
