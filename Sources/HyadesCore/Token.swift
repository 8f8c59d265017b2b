/// A position on the Murmur3 ring: Cassandra's `LongToken`.
///
/// `Int64.min` is never produced by the partitioner (it is the ring's minimum bound,
/// mapped to `Int64.max` by Cassandra), so it is free to use as "before every key".
public struct Token: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Int64

    @inlinable public init(_ value: Int64) { self.value = value }

    /// The ring's minimum: sorts before the token of every key.
    public static let minimum = Token(Int64.min)
    public static let maximum = Token(Int64.max)

    @inlinable public static func < (lhs: Token, rhs: Token) -> Bool { lhs.value < rhs.value }

    public var description: String { String(value) }

    /// 8 bytes whose unsigned byte order equals the signed token order (sign bit flipped,
    /// big-endian). The prefix of every byte-comparable decorated key.
    @inlinable public var byteComparable: UInt64 { UInt64(bitPattern: value) ^ (1 << 63) }

    @inlinable public init(byteComparable raw: UInt64) { self.value = Int64(bitPattern: raw ^ (1 << 63)) }
}
