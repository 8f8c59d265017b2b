import HyadesProtocol
import NIOCore

/// Building bound values in their native-protocol serialized form, so a call reads
/// `execute("INSERT ... VALUES (?, ?)", [.int(1), .text("a")])`. The bytes must match the
/// column's type (an `int` column takes `.int`, a `bigint` one `.bigint`); the node
/// rejects a mismatch with an Invalid (0x2200) error.
extension CQLValue {
    @inlinable public static func int(_ v: Int32) -> CQLValue { .bytes(ByteBuffer(integer: v)) }
    @inlinable public static func bigint(_ v: Int64) -> CQLValue { .bytes(ByteBuffer(integer: v)) }
    @inlinable public static func counter(_ v: Int64) -> CQLValue { .bytes(ByteBuffer(integer: v)) }
    @inlinable public static func smallint(_ v: Int16) -> CQLValue { .bytes(ByteBuffer(integer: v)) }
    @inlinable public static func tinyint(_ v: Int8) -> CQLValue { .bytes(ByteBuffer(integer: v)) }
    /// Milliseconds since the Unix epoch.
    @inlinable public static func timestamp(_ millis: Int64) -> CQLValue { .bytes(ByteBuffer(integer: millis)) }
    /// Nanoseconds since midnight.
    @inlinable public static func time(_ nanos: Int64) -> CQLValue { .bytes(ByteBuffer(integer: nanos)) }
    /// Days since the epoch, centred on 2^31 (Cassandra's unsigned date encoding).
    @inlinable public static func date(_ days: UInt32) -> CQLValue { .bytes(ByteBuffer(integer: days)) }
    @inlinable public static func boolean(_ v: Bool) -> CQLValue { .bytes(ByteBuffer(integer: UInt8(v ? 1 : 0))) }
    @inlinable public static func double(_ v: Double) -> CQLValue { .bytes(ByteBuffer(integer: v.bitPattern)) }
    @inlinable public static func float(_ v: Float) -> CQLValue { .bytes(ByteBuffer(integer: v.bitPattern)) }
    @inlinable public static func text(_ v: String) -> CQLValue { .bytes(ByteBuffer(string: v)) }
    @inlinable public static func ascii(_ v: String) -> CQLValue { .bytes(ByteBuffer(string: v)) }
    @inlinable public static func blob(_ v: [UInt8]) -> CQLValue { .bytes(ByteBuffer(bytes: v)) }
    /// 16 bytes, as for `uuid` and `timeuuid`.
    @inlinable public static func uuid(_ v: [UInt8]) -> CQLValue { .bytes(ByteBuffer(bytes: v)) }
    /// 4 (IPv4) or 16 (IPv6) address bytes.
    @inlinable public static func inet(_ v: [UInt8]) -> CQLValue { .bytes(ByteBuffer(bytes: v)) }
    /// Already-serialized bytes of any type (collections: see `CQLLiteral.collection`/`map`).
    @inlinable public static func serialized(_ v: [UInt8]) -> CQLValue { .bytes(ByteBuffer(bytes: v)) }
}
