/// uuid and timeuuid, ordered as Cassandra's UUIDType and TimeUUIDType compare them.
///
/// A UUID's high 64 bits are time_low(32) time_mid(16) time_hi_and_version(16). Cassandra's
/// `TimeUUIDType.reorderTimestampBytes` moves them to time_hi_and_version, time_mid,
/// time_low, so the 60-bit timestamp (under the version nibble) compares as a number.
///
/// TimeUUIDType: reordered high bits (signed long compare, but the top nibble is the
/// version 1, so it is positive), then the low 64 bits compared as SIGNED BYTES
/// (Cassandra xors 0x0080808080808080 and compares signed longs "for compatibility"):
/// we emit the reordered high bits, then each low byte xor 0x80.
///
/// UUIDType: version nibble first; for version 1 the reordered timestamp, otherwise the
/// high bits unsigned; then the low 64 bits UNSIGNED (unlike TimeUUIDType). As in
/// Cassandra's own byte-comparable form we move the version nibble to the top:
/// version 1 -> reordered high bits (version already on top), other versions ->
/// version << 60 | the other 60 high bits in order; then the low bytes as they are.
extension ByteComparable {
    @inline(__always)
    static func reorderTimestamp(_ msb: UInt64) -> UInt64 {
        (msb << 48) | ((msb << 16) & 0xFFFF_0000_0000) | (msb >> 32)
    }

    @inline(__always)
    static func restoreTimestampOrder(_ r: UInt64) -> UInt64 {
        (r << 32) | ((r >> 16) & 0xFFFF_0000) | (r >> 48)
    }

    static func encodeTimeUUID(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        try requireWidth(v, 16, .timeuuid)
        CQLSerialized.appendUInt64(reorderTimestamp(CQLSerialized.loadUInt64(v, 0)), to: &out)
        for i in 8..<16 { out.append(v[i] ^ 0x80) }
    }

    static func decodeTimeUUID(_ r: inout Reader, _ out: inout [UInt8]) throws {
        CQLSerialized.appendUInt64(restoreTimestampOrder(try r.uint64(.timeuuid)), to: &out)
        let start = out.count
        try r.copy(8, into: &out, .timeuuid)
        for i in start..<out.count { out[i] ^= 0x80 }
    }

    static func encodeUUID(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        try requireWidth(v, 16, .uuid)
        let msb = CQLSerialized.loadUInt64(v, 0)
        let version = msb & 0xF000
        let key: UInt64
        if version == 0x1000 {
            key = reorderTimestamp(msb)
        } else {
            key = (version << 48) | ((msb >> 4) & 0x0FFF_FFFF_FFFF_F000) | (msb & 0xFFF)
        }
        CQLSerialized.appendUInt64(key, to: &out)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: v[8..<16]))
    }

    static func decodeUUID(_ r: inout Reader, _ out: inout [UInt8]) throws {
        let key = try r.uint64(.uuid)
        let version = key >> 60
        let msb: UInt64
        if version == 1 {
            msb = restoreTimestampOrder(key)
        } else {
            msb = ((key & 0x0FFF_FFFF_FFFF_F000) << 4) | (version << 12) | (key & 0xFFF)
        }
        CQLSerialized.appendUInt64(msb, to: &out)
        try r.copy(8, into: &out, .uuid)
    }
}
