import HyadesCore

/// A literal as written. `text` keeps the source spelling (minus quotes for strings) so
/// the analyzer converts it once it knows the receiving column's type, as Cassandra does.
public struct Constant: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case string, integer, float, boolean, uuid, hexBlob, duration
    }

    public var kind: Kind
    /// For negative numbers includes the `-`; booleans are `true`/`false`; floats may be
    /// `NaN`, `Infinity`, `-Infinity`.
    public var text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }
}

/// A `?` or `:name` marker. `index` is its position among the statement's markers, in
/// statement-text order (what PREPARE reports as variable metadata).
public struct BindMarker: Hashable, Sendable {
    public var index: Int
    public var name: String?
    public var range: SourceRange

    public init(index: Int, name: String?, range: SourceRange = .none) {
        self.index = index
        self.name = name
        self.range = range
    }

    public static func == (a: Self, b: Self) -> Bool { a.index == b.index && a.name == b.name }
    public func hash(into h: inout Hasher) { h.combine(index); h.combine(name) }
}

/// A value expression: literal, marker, collection, tuple, function call, or type hint.
public struct Term: Hashable, Sendable {
    public indirect enum Kind: Hashable, Sendable {
        case constant(Constant)
        case null
        case bindMarker(BindMarker)
        case list([Term])
        /// Also `{}`: empty set-or-map, as in Cassandra; the analyzer decides by the receiver's type.
        case set([Term])
        case map([MapEntry])
        /// `{field: value, ...}` user-type literal (keys are identifiers, not terms).
        case userType([FieldValue])
        case tuple([Term])
        case functionCall(FunctionName, [Term])
        /// `(int) ?`, `(text) 'x'`.
        case typeHint(TypeExpression, Term)
        /// `a + b`, `a - b`, `a * b`, `a / b`, `a % b` (Cassandra 4 arithmetic on terms).
        case operation(ArithmeticOperator, Term, Term)
        /// `-x` of something that is not a numeric literal (`-?`, `-f(x)`).
        case negation(Term)
        /// `CAST(term AS type)`
        case cast(Term, CQLType)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange = .none) {
        self.kind = kind
        self.range = range
    }

    public static func == (a: Self, b: Self) -> Bool { a.kind == b.kind }
    public func hash(into h: inout Hasher) { h.combine(kind) }

    public var bindMarker: BindMarker? {
        if case .bindMarker(let m) = kind { return m }
        return nil
    }
}

public enum ArithmeticOperator: String, Hashable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
}

public struct MapEntry: Hashable, Sendable {
    public var key: Term
    public var value: Term
    public init(key: Term, value: Term) { self.key = key; self.value = value }
}

public struct FieldValue: Hashable, Sendable {
    public var field: String
    public var value: Term
    public init(field: String, value: Term) { self.field = field; self.value = value }
}

/// `now`, `system.now`, `"MyFunc"`; unquoted names lower-cased.
public struct FunctionName: Hashable, Sendable {
    public var keyspace: String?
    public var name: String
    public init(keyspace: String? = nil, name: String) { self.keyspace = keyspace; self.name = name }
}
