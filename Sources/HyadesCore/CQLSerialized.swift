/// Reading the native-protocol v4 value encoding (also Cassandra's storage form) of
/// composite values: collections are `int32 count` then `int32 length` + bytes per element
/// (maps alternate key, value); tuples and UDTs are `int32 length` + bytes per component up
/// to the end of the value, `-1` meaning null. All readers are bounds-checked: malformed
/// input is a `nil` / message, never a trap.
enum CQLSerialized {
    @inline(__always)
    static func readInt32(_ v: UnsafeRawBufferPointer, _ offset: inout Int) -> Int32? {
        guard offset >= 0, v.count - offset >= 4 else { return nil }
        let u = UInt32(v[offset]) << 24 | UInt32(v[offset + 1]) << 16 | UInt32(v[offset + 2]) << 8 | UInt32(v[offset + 3])
        offset += 4
        return Int32(bitPattern: u)
    }

    @inline(__always)
    static func loadUInt64(_ v: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        var x: UInt64 = 0
        for i in 0..<8 { x = x << 8 | UInt64(v[offset + i]) }
        return x
    }

    @inline(__always)
    static func loadUInt32(_ v: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(v[offset]) << 24 | UInt32(v[offset + 1]) << 16 | UInt32(v[offset + 2]) << 8 | UInt32(v[offset + 3])
    }

    static func appendInt32(_ x: Int32, to out: inout [UInt8]) {
        let u = UInt32(bitPattern: x)
        out.append(UInt8(u >> 24)); out.append(UInt8((u >> 16) & 0xFF))
        out.append(UInt8((u >> 8) & 0xFF)); out.append(UInt8(u & 0xFF))
    }

    static func appendUInt64(_ x: UInt64, to out: inout [UInt8]) {
        for i in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: x >> UInt64(i))) }
    }

    /// Elements of a list or set (or keys and values of a map, interleaved: `count` is the
    /// number of entries and `perEntry` 2). Result: `.failure(message)` when malformed.
    static func collectionElements(_ v: UnsafeRawBufferPointer, perEntry: Int) -> Result<[UnsafeRawBufferPointer], CQLTypeError> {
        var offset = 0
        guard let count = readInt32(v, &offset) else {
            return .failure(CQLTypeError(.invalidValue, "a collection needs a 4-byte element count, got \(v.count) bytes"))
        }
        guard count >= 0 else { return .failure(CQLTypeError(.invalidValue, "negative element count \(count)")) }
        var out: [UnsafeRawBufferPointer] = []
        // Each element needs at least its 4-byte length, so a huge corrupt count fails fast.
        guard Int(count) * perEntry <= (v.count - offset) / 4 else {
            return .failure(CQLTypeError(.invalidValue, "element count \(count) does not fit in \(v.count) bytes"))
        }
        out.reserveCapacity(Int(count) * perEntry)
        for i in 0..<(Int(count) * perEntry) {
            guard let len = readInt32(v, &offset) else {
                return .failure(CQLTypeError(.invalidValue, "element \(i / perEntry) is truncated"))
            }
            guard len >= 0 else {
                return .failure(CQLTypeError(.invalidValue, "element \(i / perEntry) is null (length \(len)); collections cannot hold nulls"))
            }
            guard v.count - offset >= Int(len) else {
                return .failure(CQLTypeError(.invalidValue, "element \(i / perEntry) has length \(len) but only \(v.count - offset) bytes remain"))
            }
            out.append(UnsafeRawBufferPointer(rebasing: v[offset..<(offset + Int(len))]))
            offset += Int(len)
        }
        guard offset == v.count else {
            return .failure(CQLTypeError(.invalidValue, "\(v.count - offset) trailing bytes after \(count) elements"))
        }
        return .success(out)
    }

    /// Components of a tuple or UDT value: nil entries are nulls. At most `maxCount`
    /// components (fewer is legal: trailing components missing, as after ALTER TYPE ADD).
    static func tupleElements(_ v: UnsafeRawBufferPointer, maxCount: Int) -> Result<[UnsafeRawBufferPointer?], CQLTypeError> {
        var offset = 0
        var out: [UnsafeRawBufferPointer?] = []
        while offset < v.count {
            guard out.count < maxCount else {
                return .failure(CQLTypeError(.invalidValue, "more than \(maxCount) components"))
            }
            guard let len = readInt32(v, &offset) else {
                return .failure(CQLTypeError(.invalidValue, "component \(out.count) has a truncated length"))
            }
            if len < 0 {
                guard len == -1 else {
                    return .failure(CQLTypeError(.invalidValue, "component \(out.count) has invalid length \(len)"))
                }
                out.append(nil)
                continue
            }
            guard v.count - offset >= Int(len) else {
                return .failure(CQLTypeError(.invalidValue, "component \(out.count) has length \(len) but only \(v.count - offset) bytes remain"))
            }
            out.append(UnsafeRawBufferPointer(rebasing: v[offset..<(offset + Int(len))]))
            offset += Int(len)
        }
        return .success(out)
    }

    /// The component types of a tuple or UDT (after removing frozen), nil otherwise.
    static func componentTypes(_ t: CQLType) -> [CQLType]? {
        switch t.unfrozen {
        case .tuple(let ts): return ts
        case .udt(_, _, let fields): return fields.map(\.type)
        default: return nil
        }
    }

    // MARK: Cassandra's unsigned vint (VIntCoding), used by duration.

    /// Reads a Cassandra vint: the count of leading 1 bits of the first byte is the number of
    /// extra bytes; the value is big-endian in the remaining bits.
    static func readVInt(_ v: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        guard offset < v.count else { return nil }
        let first = v[offset]
        offset += 1
        let extra = (~first).leadingZeroBitCount
        guard v.count - offset >= extra else { return nil }
        var value = extra == 8 ? 0 : UInt64(first & (0xFF >> UInt8(extra)))
        for _ in 0..<extra {
            value = value << 8 | UInt64(v[offset])
            offset += 1
        }
        return value
    }

    static func appendVInt(_ value: UInt64, to out: inout [UInt8]) {
        // Cassandra: size = (639 - 9 * numberOfLeadingZeros(value | 1)) >> 6.
        let size = (639 - 9 * (value | 1).leadingZeroBitCount) >> 6
        if size == 1 { out.append(UInt8(value)); return }
        let extra = size - 1
        var bytes = [UInt8](repeating: 0, count: size)
        var x = value
        for i in stride(from: size - 1, through: 0, by: -1) {
            bytes[i] = UInt8(truncatingIfNeeded: x)
            x >>= 8
        }
        bytes[0] |= ~UInt8(truncatingIfNeeded: 0xFF >> extra)
        out.append(contentsOf: bytes)
    }

    /// A duration: months, days (int32 range) and nanoseconds, each a zigzag vint.
    static func readDuration(_ v: UnsafeRawBufferPointer) -> (months: Int32, days: Int32, nanos: Int64)? {
        var offset = 0
        guard let m = readVInt(v, &offset), let d = readVInt(v, &offset), let n = readVInt(v, &offset),
              offset == v.count else { return nil }
        let months = VarInt.unzigzag(m), days = VarInt.unzigzag(d), nanos = VarInt.unzigzag(n)
        guard let m32 = Int32(exactly: months), let d32 = Int32(exactly: days) else { return nil }
        return (m32, d32, nanos)
    }

    static func duration(months: Int32, days: Int32, nanos: Int64) -> [UInt8] {
        var out: [UInt8] = []
        appendVInt(VarInt.zigzag(Int64(months)), to: &out)
        appendVInt(VarInt.zigzag(Int64(days)), to: &out)
        appendVInt(VarInt.zigzag(nanos), to: &out)
        return out
    }

    /// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF); returns the
    /// offset of the first bad byte.
    static func firstInvalidUTF8(_ v: UnsafeRawBufferPointer) -> Int? {
        var i = 0
        let n = v.count
        while i < n {
            let b0 = v[i]
            if b0 < 0x80 { i += 1; continue }
            let len: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: len = 2
            case 0xE0: len = 3; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: len = 3
            case 0xED: len = 3; hi = 0x9F
            case 0xF0: len = 4; lo = 0x90
            case 0xF1...0xF3: len = 4
            case 0xF4: len = 4; hi = 0x8F
            default: return i
            }
            guard n - i >= len else { return i }
            let b1 = v[i + 1]
            guard b1 >= lo && b1 <= hi else { return i }
            for k in 2..<len where v[i + k] & 0xC0 != 0x80 { return i }
            i += len
        }
        return nil
    }
}
