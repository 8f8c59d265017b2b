/// The CQL type vocabulary: what a column holds, how its values are serialized (native
/// protocol v4 value encoding, which is also Cassandra's storage form), how it prints in
/// `system_schema.columns.type`, and its Cassandra marshal class name.
///
/// `frozen` is kept as written so that `cqlName` round-trips what the user (or
/// system_schema) said; nested collections inside a frozen type are implicitly frozen and
/// are treated structurally the same way everywhere else.
public indirect enum CQLType: Hashable, Sendable {
    case ascii, bigint, blob, boolean, counter, date, decimal, double, duration, float
    case inet, int, smallint, text, time, timestamp, timeuuid, tinyint, uuid, varint
    case list(CQLType)
    case set(CQLType)
    case map(CQLType, CQLType)
    case tuple([CQLType])
    case frozen(CQLType)
    case udt(keyspace: String, name: String, fields: [CQLField])

    /// `varchar` is an alias of `text` (Cassandra prints `text`).
    public static let varchar: CQLType = .text

    /// Every scalar type, in `cqlName` order; handy for tests and `DESCRIBE TYPES`-like listings.
    public static let scalars: [CQLType] = [
        .ascii, .bigint, .blob, .boolean, .counter, .date, .decimal, .double, .duration, .float,
        .inet, .int, .smallint, .text, .time, .timestamp, .timeuuid, .tinyint, .uuid, .varint,
    ]

    /// The type with any top-level `frozen` removed (structure is what serialization uses).
    public var unfrozen: CQLType {
        if case .frozen(let inner) = self { return inner.unfrozen }
        return self
    }

    public var isFrozen: Bool {
        if case .frozen = self { return true }
        return false
    }

    /// list, set or map (frozen or not).
    public var isCollection: Bool {
        switch unfrozen {
        case .list, .set, .map: return true
        default: return false
        }
    }

    /// True for the scalar (non-composite) types.
    public var isScalar: Bool {
        switch self {
        case .list, .set, .map, .tuple, .frozen, .udt: return false
        default: return true
        }
    }

    /// Usable as a partition or clustering key component: every scalar except counter and
    /// duration (Cassandra forbids both in primary keys), tuples, and frozen collections and
    /// UDTs, provided nothing nested inside is a counter or duration.
    public var isKeyCapable: Bool {
        switch self {
        case .counter, .duration: return false
        case .list, .set, .map, .udt: return false  // non-frozen: stored as cells, not a value
        case .tuple(let elements): return elements.allSatisfy { $0.isKeyCapableNested }
        case .frozen(let inner): return inner.isKeyCapableNested
        default: return true
        }
    }

    /// Inside a frozen value every nested collection is implicitly frozen.
    var isKeyCapableNested: Bool {
        switch self {
        case .counter, .duration: return false
        case .list(let e), .set(let e): return e.isKeyCapableNested
        case .map(let k, let v): return k.isKeyCapableNested && v.isKeyCapableNested
        case .tuple(let elements): return elements.allSatisfy { $0.isKeyCapableNested }
        case .udt(_, _, let fields): return fields.allSatisfy { $0.type.isKeyCapableNested }
        case .frozen(let inner): return inner.isKeyCapableNested
        default: return true
        }
    }

    /// The protocol v4 `[option]` id (frozen is invisible on the wire).
    public var nativeOptionID: UInt16 {
        switch self {
        case .ascii: return 0x0001
        case .bigint: return 0x0002
        case .blob: return 0x0003
        case .boolean: return 0x0004
        case .counter: return 0x0005
        case .decimal: return 0x0006
        case .double: return 0x0007
        case .float: return 0x0008
        case .int: return 0x0009
        case .timestamp: return 0x000B
        case .uuid: return 0x000C
        case .text: return 0x000D
        case .varint: return 0x000E
        case .timeuuid: return 0x000F
        case .inet: return 0x0010
        case .date: return 0x0011
        case .time: return 0x0012
        case .smallint: return 0x0013
        case .tinyint: return 0x0014
        case .duration: return 0x0015
        case .list: return 0x0020
        case .map: return 0x0021
        case .set: return 0x0022
        case .udt: return 0x0030
        case .tuple: return 0x0031
        case .frozen(let inner): return inner.nativeOptionID
        }
    }

    /// Fixed serialized width of a scalar, nil for variable-length types.
    public var fixedValueLength: Int? {
        switch self {
        case .bigint, .counter, .double, .timestamp, .time: return 8
        case .int, .float, .date: return 4
        case .smallint: return 2
        case .tinyint, .boolean: return 1
        case .uuid, .timeuuid: return 16
        case .frozen(let inner): return inner.fixedValueLength
        default: return nil
        }
    }
}

/// A field of a user-defined type (a struct so that `CQLType` stays Hashable).
public struct CQLField: Hashable, Sendable {
    public var name: String
    public var type: CQLType

    public init(_ name: String, _ type: CQLType) {
        self.name = name
        self.type = type
    }
}

/// Errors of the type layer: parsing type text, validating values, byte-comparable
/// encode/decode. `message` names the type involved, for the user.
public struct CQLTypeError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Type text that is not a CQL type.
        case syntax
        /// A serialized value that is not a valid value of its type.
        case invalidValue
        /// The type cannot be a key component (counter, duration, non-frozen collection).
        case notKeyCapable
        /// Byte-comparable bytes that no value encodes to (corruption or wrong type).
        case malformedEncoding
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
