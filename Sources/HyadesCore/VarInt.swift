/// Unsigned LEB128 varints and zigzag signed varints, used by the on-disk formats
/// (little-endian groups of 7 bits, high bit = more bytes follow).
public enum VarInt {
    @inlinable
    public static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    @inlinable
    public static func appendSigned(_ value: Int64, to out: inout [UInt8]) {
        append(zigzag(value), to: &out)
    }

    @inlinable public static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inlinable public static func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    /// Decodes a varint at `offset`, advancing it. `nil` when the bytes end first or the
    /// value does not fit 64 bits (corrupt input is a value, never a crash).
    @inlinable
    public static func read(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var i = offset
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            if shift == 63 && b > 1 { return nil }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                offset = i
                return result
            }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    @inlinable
    public static func readSigned(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> Int64? {
        read(bytes, &offset).map(unzigzag)
    }

    @inlinable public static func size(_ value: UInt64) -> Int {
        var v = value, n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }
}
