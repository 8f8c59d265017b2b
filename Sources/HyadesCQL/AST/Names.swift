import HyadesCore

/// A possibly keyspace-qualified name (`ks.t`, `t`, `"Ks"."T"`). Names are already
/// normalised: unquoted lower-cased, quoted kept as written.
public struct QualifiedName: Hashable, Sendable {
    public var keyspace: String?
    public var name: String
    public var range: SourceRange

    public init(keyspace: String? = nil, name: String, range: SourceRange = .none) {
        self.keyspace = keyspace
        self.name = name
        self.range = range
    }

    public static func == (a: Self, b: Self) -> Bool { a.keyspace == b.keyspace && a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(keyspace); h.combine(name) }
}

/// A type as written in DDL or a cast. User-defined types cannot be resolved by the parser
/// (that needs the schema), so this is the syntactic form; `resolve` turns it into Core's
/// `CQLType` once the analyzer knows the keyspace's user types.
public indirect enum TypeExpression: Hashable, Sendable {
    /// A built-in scalar (`int`, `varchar` is `.text`).
    case native(CQLType)
    case list(TypeExpression)
    case set(TypeExpression)
    case map(TypeExpression, TypeExpression)
    case tuple([TypeExpression])
    case frozen(TypeExpression)
    /// A user-defined type name, maybe keyspace-qualified.
    case userType(keyspace: String?, name: String)
    /// `'org.apache.cassandra.db.marshal.X'` custom class name (parsed; the analyzer refuses).
    case custom(String)

    /// Core's type, resolving user types via `resolveUDT(keyspace, name)`.
    public func resolve(keyspace: String,
                        resolveUDT: (_ keyspace: String, _ name: String) -> CQLType?) throws -> CQLType {
        switch self {
        case .native(let t): return t
        case .list(let e): return .list(try e.resolve(keyspace: keyspace, resolveUDT: resolveUDT))
        case .set(let e): return .set(try e.resolve(keyspace: keyspace, resolveUDT: resolveUDT))
        case .map(let k, let v):
            return .map(try k.resolve(keyspace: keyspace, resolveUDT: resolveUDT),
                        try v.resolve(keyspace: keyspace, resolveUDT: resolveUDT))
        case .tuple(let es): return .tuple(try es.map { try $0.resolve(keyspace: keyspace, resolveUDT: resolveUDT) })
        case .frozen(let inner):
            let t = try inner.resolve(keyspace: keyspace, resolveUDT: resolveUDT)
            if case .tuple = t { return t }  // tuples are always frozen (as Core's parse does)
            return .frozen(t)
        case .userType(let ks, let name):
            guard let t = resolveUDT(ks ?? keyspace, name) else {
                throw CQLTypeError(.syntax, "Unknown type \(ks ?? keyspace).\(name)")
            }
            return t
        case .custom(let c):
            throw CQLTypeError(.syntax, "Custom types are not supported: '\(c)'")
        }
    }
}
