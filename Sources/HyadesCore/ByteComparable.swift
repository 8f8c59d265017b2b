/// Byte-comparable key encodings: a serialized CQL value becomes bytes whose unsigned
/// lexicographic (memcmp) order is Cassandra's comparator order for its type, so the engine
/// compares keys without knowing types.
///
/// Every encoding is
///  - ORDER-PRESERVING: memcmp(enc(a), enc(b)) has the sign of compare(a, b) (ties in
///    Cassandra's order that are distinct byte values, such as decimal 1.0 vs 1.00, are
///    broken deterministically, see each type);
///  - PREFIX-FREE: no encoding is a proper prefix of another, so components can be
///    concatenated and a DESC component can simply invert every byte (two prefix-free
///    strings differ at some position, and inverting that byte reverses their order);
///  - INVERTIBLE: `decode` returns exactly the serialized bytes that were encoded.
///
/// Layouts (ASC; DESC = every byte of the component inverted):
///
///     tinyint/smallint/int/bigint/timestamp/time   big-endian, sign bit flipped
///     date                                  4 bytes as is (unsigned days, epoch at 2^31)
///     boolean                               the byte as is (false 0x00 < true)
///     float/double                          sortable bits, see ByteComparable+Numeric
///     varint/decimal                        length- or exponent-led, see ByteComparable+Numeric
///     text/ascii/blob                       bytes with 0x00 -> 00 FF, then terminator 00 00
///     inet                                  4 bytes, 0x00 (IPv4) | 4 bytes, 0x01, 12 bytes (IPv6)
///     uuid/timeuuid                         16 bytes, see ByteComparable+UUID
///     list/set                              (0x01 element)* 0x00
///     map                                   (0x01 key value)* 0x00
///     tuple/UDT                             (0x01 [null] | 0x02 component)* 0x00
///
/// Escaped bytes (text/ascii/blob) are prefix-free: the decoder reads left to right and
/// knows where the value ends (0x00 0x00) without looking past it, so if enc(a) were a
/// proper prefix of enc(b), decoding enc(b) would end where enc(a) ends — both would have
/// the same length, a contradiction. Order: at the first differing input byte either both
/// are non-zero (compared directly), or one is 0x00, encoded 00 FF, against a non-zero
/// byte (00 < it), or the shorter value ended, encoded 00 00, against 00 FF or a non-zero
/// byte (both greater): shorter prefixes sort first, as in Cassandra's unsigned compare.
/// Composites are prefix-free because their elements are and the markers decide the end.
public enum ByteComparable {
    /// Appends the byte-comparable form of `value` (serialized as type `type`). Throws
    /// `CQLTypeError` for a type that cannot be a key (counter, duration) or a value that
    /// is malformed for its type.
    public static func encode(_ value: [UInt8], type: CQLType, descending: Bool = false,
                              into out: inout [UInt8]) throws {
        try value.withUnsafeBytes { try encode($0, type: type, descending: descending, into: &out) }
    }

    public static func encode(_ value: UnsafeRawBufferPointer, type: CQLType, descending: Bool = false,
                              into out: inout [UInt8]) throws {
        let start = out.count
        try encodeAscending(value, type, &out)
        if descending {
            for i in start..<out.count { out[i] = ~out[i] }
        }
    }

    /// Convenience: the encoding as a new array.
    public static func encode(_ value: [UInt8], type: CQLType, descending: Bool = false) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(value.count + 4)
        try encode(value, type: type, descending: descending, into: &out)
        return out
    }

    /// Decodes one component starting at `offset` and advances `offset` past it. Throws
    /// `CQLTypeError` (.malformedEncoding, naming type and offset) on bytes no value encodes to.
    public static func decode(_ bytes: UnsafeRawBufferPointer, offset: inout Int, type: CQLType,
                              descending: Bool = false) throws -> [UInt8] {
        var reader = Reader(bytes: bytes, offset: offset, mask: descending ? 0xFF : 0x00)
        var out: [UInt8] = []
        try decodeAscending(&reader, type, &out)
        offset = reader.offset
        return out
    }

    /// Convenience: decodes a whole array that holds exactly one component.
    public static func decode(_ bytes: [UInt8], type: CQLType, descending: Bool = false) throws -> [UInt8] {
        try bytes.withUnsafeBytes { buf in
            var offset = 0
            let v = try decode(buf, offset: &offset, type: type, descending: descending)
            guard offset == buf.count else {
                throw CQLTypeError(.malformedEncoding, "byte-comparable \(type.cqlName): \(buf.count - offset) trailing bytes at offset \(offset)")
            }
            return v
        }
    }

    /// Cassandra's comparator for `type` on two serialized values (<0, 0, >0), via the
    /// encodings. Useful to sort set elements and map keys before serializing them.
    public static func compare(_ a: [UInt8], _ b: [UInt8], type: CQLType) throws -> Int {
        ByteOrder.compare(try encode(a, type: type), try encode(b, type: type))
    }

    // MARK: Dispatch

    static func encodeAscending(_ v: UnsafeRawBufferPointer, _ type: CQLType, _ out: inout [UInt8]) throws {
        switch type {
        case .tinyint: try encodeSignedFixed(v, 1, type, &out)
        case .smallint: try encodeSignedFixed(v, 2, type, &out)
        case .int: try encodeSignedFixed(v, 4, type, &out)
        case .bigint, .timestamp, .time: try encodeSignedFixed(v, 8, type, &out)
        case .date:
            try requireWidth(v, 4, type)
            out.append(contentsOf: v)
        case .boolean:
            try requireWidth(v, 1, type)
            out.append(v[0])
        case .float: try encodeFloat(v, &out)
        case .double: try encodeDouble(v, &out)
        case .varint: try encodeVarint(v, &out)
        case .decimal: try encodeDecimal(v, &out)
        case .text, .ascii, .blob: encodeEscaped(v, &out)
        case .inet: try encodeInet(v, &out)
        case .uuid: try encodeUUID(v, &out)
        case .timeuuid: try encodeTimeUUID(v, &out)
        case .counter, .duration:
            throw CQLTypeError(.notKeyCapable, "\(type.cqlName) cannot be a key component")
        case .frozen(let inner): try encodeAscending(v, inner, &out)
        case .list(let e), .set(let e):
            let elements = try composite(CQLSerialized.collectionElements(v, perEntry: 1), type)
            for el in elements {
                out.append(0x01)
                try encodeAscending(el, e, &out)
            }
            out.append(0x00)
        case .map(let k, let val):
            let elements = try composite(CQLSerialized.collectionElements(v, perEntry: 2), type)
            for i in 0..<(elements.count / 2) {
                out.append(0x01)
                try encodeAscending(elements[2 * i], k, &out)
                try encodeAscending(elements[2 * i + 1], val, &out)
            }
            out.append(0x00)
        case .tuple, .udt:
            let types = CQLSerialized.componentTypes(type)!
            let comps = try composite(CQLSerialized.tupleElements(v, maxCount: types.count), type)
            for (i, c) in comps.enumerated() {
                if let c {
                    out.append(0x02)
                    try encodeAscending(c, types[i], &out)
                } else {
                    out.append(0x01)
                }
            }
            out.append(0x00)
        }
    }

    static func decodeAscending(_ r: inout Reader, _ type: CQLType, _ out: inout [UInt8]) throws {
        switch type {
        case .tinyint: try decodeSignedFixed(&r, 1, type, &out)
        case .smallint: try decodeSignedFixed(&r, 2, type, &out)
        case .int: try decodeSignedFixed(&r, 4, type, &out)
        case .bigint, .timestamp, .time: try decodeSignedFixed(&r, 8, type, &out)
        case .date: try r.copy(4, into: &out, type)
        case .boolean: try r.copy(1, into: &out, type)
        case .float: try decodeFloat(&r, &out)
        case .double: try decodeDouble(&r, &out)
        case .varint: try decodeVarint(&r, &out)
        case .decimal: try decodeDecimal(&r, &out)
        case .text, .ascii, .blob: try decodeEscaped(&r, type, &out)
        case .inet: try decodeInet(&r, &out)
        case .uuid: try decodeUUID(&r, &out)
        case .timeuuid: try decodeTimeUUID(&r, &out)
        case .counter, .duration:
            throw CQLTypeError(.notKeyCapable, "\(type.cqlName) cannot be a key component")
        case .frozen(let inner): try decodeAscending(&r, inner, &out)
        case .list(let e), .set(let e):
            try decodeSequence(&r, type, &out) { r, out in try decodeLengthPrefixed(&r, e, &out) }
        case .map(let k, let val):
            try decodeSequence(&r, type, &out) { r, out in
                try decodeLengthPrefixed(&r, k, &out)
                try decodeLengthPrefixed(&r, val, &out)
            }
        case .tuple, .udt:
            let types = CQLSerialized.componentTypes(type)!
            var i = 0
            while true {
                let at = r.offset
                let marker = try r.byte(type)
                if marker == 0x00 { break }
                guard i < types.count else { throw r.malformed(type, "more than \(types.count) components", at: at) }
                switch marker {
                case 0x01: CQLSerialized.appendInt32(-1, to: &out)
                case 0x02: try decodeLengthPrefixed(&r, types[i], &out)
                default: throw r.malformed(type, "bad component marker 0x\(String(format2: marker))", at: at)
                }
                i += 1
            }
        }
    }

    /// Collections: int32 count, then entries; each entry decoded by `entry`.
    private static func decodeSequence(_ r: inout Reader, _ type: CQLType, _ out: inout [UInt8],
                                       _ entry: (inout Reader, inout [UInt8]) throws -> Void) throws {
        let countAt = out.count
        CQLSerialized.appendInt32(0, to: &out)
        var count: Int32 = 0
        while true {
            let at = r.offset
            let marker = try r.byte(type)
            if marker == 0x00 { break }
            guard marker == 0x01 else { throw r.malformed(type, "bad element marker 0x\(String(format2: marker))", at: at) }
            try entry(&r, &out)
            guard count < Int32.max else { throw r.malformed(type, "too many elements", at: at) }
            count += 1
        }
        patchInt32(count, at: countAt, in: &out)
    }

    /// Appends an int32 length, then the decoded element, then fixes the length.
    private static func decodeLengthPrefixed(_ r: inout Reader, _ type: CQLType, _ out: inout [UInt8]) throws {
        let lengthAt = out.count
        CQLSerialized.appendInt32(0, to: &out)
        try decodeAscending(&r, type, &out)
        let length = out.count - lengthAt - 4
        guard let l32 = Int32(exactly: length) else { throw r.malformed(type, "element longer than 2 GiB", at: r.offset) }
        patchInt32(l32, at: lengthAt, in: &out)
    }

    private static func patchInt32(_ x: Int32, at i: Int, in out: inout [UInt8]) {
        let u = UInt32(bitPattern: x)
        out[i] = UInt8(u >> 24); out[i + 1] = UInt8((u >> 16) & 0xFF)
        out[i + 2] = UInt8((u >> 8) & 0xFF); out[i + 3] = UInt8(u & 0xFF)
    }

    private static func composite<T>(_ r: Result<T, CQLTypeError>, _ type: CQLType) throws -> T {
        switch r {
        case .success(let v): return v
        case .failure(let e): throw CQLTypeError(.invalidValue, "invalid \(type.cqlName) value: \(e.message)")
        }
    }

    static func requireWidth(_ v: UnsafeRawBufferPointer, _ n: Int, _ type: CQLType) throws {
        guard v.count == n else {
            throw CQLTypeError(.invalidValue, "invalid \(type.cqlName) value: expected \(n) bytes, got \(v.count)")
        }
    }

    // MARK: Escaped byte strings (text, ascii, blob)

    static func encodeEscaped(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) {
        out.reserveCapacity(out.count + v.count + 2)
        for b in v {
            out.append(b)
            if b == 0 { out.append(0xFF) }
        }
        out.append(0x00)
        out.append(0x00)
    }

    static func decodeEscaped(_ r: inout Reader, _ type: CQLType, _ out: inout [UInt8]) throws {
        while true {
            let b = try r.byte(type)
            if b != 0 { out.append(b); continue }
            let at = r.offset
            let next = try r.byte(type)
            if next == 0x00 { return }
            guard next == 0xFF else { throw r.malformed(type, "0x00 followed by 0x\(String(format2: next))", at: at) }
            out.append(0)
        }
    }

    // MARK: inet

    static func encodeInet(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        // Cassandra's InetAddressType compares the raw bytes unsigned (a shorter value that
        // is a prefix sorts first); the marker after 4 bytes keeps that and the length.
        switch v.count {
        case 4:
            out.append(contentsOf: v)
            out.append(0x00)
        case 16:
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: v[0..<4]))
            out.append(0x01)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: v[4..<16]))
        default:
            throw CQLTypeError(.invalidValue, "invalid inet value: expected 4 (IPv4) or 16 (IPv6) bytes, got \(v.count)")
        }
    }

    static func decodeInet(_ r: inout Reader, _ out: inout [UInt8]) throws {
        try r.copy(4, into: &out, .inet)
        let at = r.offset
        switch try r.byte(.inet) {
        case 0x00: return
        case 0x01: try r.copy(12, into: &out, .inet)
        case let m: throw r.malformed(.inet, "bad address-family marker 0x\(String(format2: m))", at: at)
        }
    }
}

/// Bounds-checked reader over possibly-inverted (DESC) bytes.
struct Reader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    /// 0xFF for a DESC component: every byte is stored inverted.
    let mask: UInt8

    func malformed(_ type: CQLType, _ what: String, at: Int) -> CQLTypeError {
        CQLTypeError(.malformedEncoding, "malformed byte-comparable \(type.cqlName) at offset \(at): \(what)")
    }

    @inline(__always)
    mutating func byte(_ type: CQLType) throws -> UInt8 {
        guard offset >= 0, offset < bytes.count else { throw malformed(type, "truncated", at: offset) }
        let b = bytes[offset] ^ mask
        offset += 1
        return b
    }

    mutating func copy(_ n: Int, into out: inout [UInt8], _ type: CQLType) throws {
        guard offset >= 0, bytes.count - offset >= n else { throw malformed(type, "truncated (need \(n) bytes)", at: offset) }
        for i in offset..<(offset + n) { out.append(bytes[i] ^ mask) }
        offset += n
    }

    mutating func uint64(_ type: CQLType) throws -> UInt64 {
        guard offset >= 0, bytes.count - offset >= 8 else { throw malformed(type, "truncated (need 8 bytes)", at: offset) }
        var x: UInt64 = 0
        for i in offset..<(offset + 8) { x = x << 8 | UInt64(bytes[i] ^ mask) }
        offset += 8
        return x
    }

    mutating func uint32(_ type: CQLType) throws -> UInt32 {
        guard offset >= 0, bytes.count - offset >= 4 else { throw malformed(type, "truncated (need 4 bytes)", at: offset) }
        var x: UInt32 = 0
        for i in offset..<(offset + 4) { x = x << 8 | UInt32(bytes[i] ^ mask) }
        offset += 4
        return x
    }
}
