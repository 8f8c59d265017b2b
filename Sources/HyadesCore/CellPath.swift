/// Cell paths of non-frozen collection elements (`Cell.path`): byte strings whose memcmp
/// order is the order Cassandra keeps the elements in.
///
/// - set element / map key: the `ByteComparable` form of the element / key (ASC), so a
///   set iterates in its element type's order and a map in its key type's order.
/// - list element: a 16-byte timeuuid-like key chosen by the writer (Cassandra uses a
///   time-based UUID per appended element), stored as its raw 16 bytes; the writer makes
///   those bytes increase in append order.
public enum CellPath {
    public static let listKeyLength = 16

    public static func setElement(_ element: [UInt8], elementType: CQLType) throws -> [UInt8] {
        try ByteComparable.encode(element, type: elementType)
    }

    public static func mapKey(_ key: [UInt8], keyType: CQLType) throws -> [UInt8] {
        try ByteComparable.encode(key, type: keyType)
    }

    public static func listElement(_ key: [UInt8]) throws -> [UInt8] {
        guard key.count == listKeyLength else {
            throw CQLTypeError(.invalidValue, "list cell path: expected a \(listKeyLength)-byte key, got \(key.count) bytes")
        }
        return key
    }

    /// The serialized set element of a set cell's path.
    public static func decodeSetElement(_ path: [UInt8], elementType: CQLType) throws -> [UInt8] {
        try ByteComparable.decode(path, type: elementType)
    }

    /// The serialized map key of a map cell's path.
    public static func decodeMapKey(_ path: [UInt8], keyType: CQLType) throws -> [UInt8] {
        try ByteComparable.decode(path, type: keyType)
    }

    /// The 16-byte list key of a list cell's path.
    public static func decodeListElement(_ path: [UInt8]) throws -> [UInt8] {
        guard path.count == listKeyLength else {
            throw CQLTypeError(.malformedEncoding, "list cell path: expected \(listKeyLength) bytes, got \(path.count)")
        }
        return path
    }
}
