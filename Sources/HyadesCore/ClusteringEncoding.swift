/// How clustering prefixes become bytes that the engine compares with memcmp.
///
/// A row's clustering is, per clustering column, the separator `0x40` followed by the
/// column value in its prefix-free byte-comparable form (`ByteComparable`), inverted for
/// DESC columns. Because every component is prefix-free, the encoding of a prefix is a byte
/// prefix of the encoding of every clustering that starts with it, which gives slice
/// bounds for free:
///
///     lower inclusive P:  c >= enc(P)              upper exclusive P:  c <  enc(P)
///     lower exclusive P:  c >= enc(P) + [0x41]     upper inclusive P:  c <  enc(P) + [0x41]
///
/// (after a full or partial prefix the next byte of a row is either nothing or 0x40, so
/// `enc(P) + 0x41` sorts after every clustering with prefix P and before every greater one).
public enum ClusteringEncoding {
    public static let componentSeparator: UInt8 = 0x40
    /// Appended to a prefix to sort after every clustering that starts with it.
    public static let afterPrefix: UInt8 = 0x41
    /// Sorts before every clustering.
    public static let bottom: [UInt8] = []
    /// Sorts after every clustering.
    public static let top: [UInt8] = [0xFF]

    /// The lower byte bound of a slice starting at `prefix` (already encoded).
    public static func lowerBound(_ prefix: [UInt8], inclusive: Bool) -> [UInt8] {
        inclusive ? prefix : prefix + [afterPrefix]
    }

    /// The exclusive upper byte bound of a slice ending at `prefix` (already encoded).
    public static func upperBound(_ prefix: [UInt8], inclusive: Bool) -> [UInt8] {
        if prefix.isEmpty { return top }
        return inclusive ? prefix + [afterPrefix] : prefix
    }

    /// Encodes a full clustering or a prefix of one (`values.count <= types.count`): per
    /// component the separator 0x40, then the `ByteComparable` form of the value, inverted
    /// when that column is DESC. Throws `CQLTypeError` on a bad value or a count mismatch.
    public static func encode(_ values: [[UInt8]], types: [CQLType], descending: [Bool]) throws -> [UInt8] {
        guard values.count <= types.count, descending.count == types.count else {
            throw CQLTypeError(.invalidValue,
                               "clustering of \(values.count) values for \(types.count) columns (\(descending.count) orders)")
        }
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(0) { $0 + $1.count + 3 })
        for i in values.indices {
            out.append(componentSeparator)
            try ByteComparable.encode(values[i], type: types[i], descending: descending[i], into: &out)
        }
        return out
    }

    /// The inverse of `encode`: as many serialized components as are present (a prefix
    /// decodes to fewer values than `types`). Throws `CQLTypeError` (.malformedEncoding,
    /// with the offset) on bytes `encode` never produces.
    public static func decode(_ bytes: [UInt8], types: [CQLType], descending: [Bool]) throws -> [[UInt8]] {
        guard descending.count == types.count else {
            throw CQLTypeError(.invalidValue, "\(types.count) clustering types but \(descending.count) orders")
        }
        return try bytes.withUnsafeBytes { buf in
            var values: [[UInt8]] = []
            var offset = 0
            while offset < buf.count {
                guard values.count < types.count else {
                    throw CQLTypeError(.malformedEncoding, "clustering: bytes after \(types.count) components at offset \(offset)")
                }
                guard buf[offset] == componentSeparator else {
                    throw CQLTypeError(.malformedEncoding,
                                       "clustering: expected separator 0x40 at offset \(offset), found 0x\(String(format2: buf[offset]))")
                }
                offset += 1
                let i = values.count
                values.append(try ByteComparable.decode(buf, offset: &offset, type: types[i], descending: descending[i]))
            }
            return values
        }
    }
}
