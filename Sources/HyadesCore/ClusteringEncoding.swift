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
}
