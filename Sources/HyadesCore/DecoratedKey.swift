/// A partition key with its token: the unit of ordering in the engine (token first, then
/// the serialized key bytes, as Cassandra orders `DecoratedKey`).
public struct DecoratedKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let token: Token
    /// The serialized partition key (a single component's value bytes, or the composite
    /// form of `Murmur3Partitioner.compositeKey`), exactly what Cassandra hashes.
    public let key: [UInt8]

    public init(token: Token, key: [UInt8]) {
        self.token = token
        self.key = key
    }

    /// Decorates a serialized partition key with its Murmur3 token.
    public init(key: [UInt8]) {
        self.token = Murmur3Partitioner.token(key)
        self.key = key
    }

    @inlinable public static func < (lhs: DecoratedKey, rhs: DecoratedKey) -> Bool {
        if lhs.token != rhs.token { return lhs.token < rhs.token }
        return ByteOrder.compare(lhs.key, rhs.key) < 0
    }

    /// Token (8 bytes, sign flipped, big-endian) followed by the key bytes: memcmp order
    /// of these bytes equals `DecoratedKey` order.
    public var byteComparable: [UInt8] {
        var out = [UInt8](repeating: 0, count: 8 + key.count)
        let t = token.byteComparable
        for i in 0..<8 { out[i] = UInt8(truncatingIfNeeded: t >> (56 - 8 * UInt64(i))) }
        for i in 0..<key.count { out[8 + i] = key[i] }
        return out
    }

    public init?(byteComparable bytes: [UInt8]) {
        guard bytes.count >= 8 else { return nil }
        var t: UInt64 = 0
        for i in 0..<8 { t = (t << 8) | UInt64(bytes[i]) }
        self.token = Token(byteComparable: t)
        self.key = Array(bytes[8...])
    }

    public var description: String { "\(token):\(key.map { String(format2: $0) }.joined())" }
}

extension String {
    @usableFromInline init(format2 byte: UInt8) {
        let digits: [Character] = Array("0123456789abcdef")
        self.init([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

/// memcmp over byte arrays: the engine's only comparison.
public enum ByteOrder {
    @inlinable
    public static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in compare(pa, pb) } }
    }

    @inlinable
    public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let n = min(a.count, b.count)
        if n > 0 {
            let r = memcmpBytes(a.baseAddress!, b.baseAddress!, n)
            if r != 0 { return r }
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    @inlinable
    static func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Int {
        // Word-at-a-time compare; big-endian load so the first differing byte decides.
        var i = 0
        while i + 8 <= n {
            let x = UInt64(bigEndian: a.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let y = UInt64(bigEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            if x != y { return x < y ? -1 : 1 }
            i += 8
        }
        while i < n {
            let x = a.load(fromByteOffset: i, as: UInt8.self)
            let y = b.load(fromByteOffset: i, as: UInt8.self)
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return 0
    }
}
