import HyadesCore

/// `SELECT [JSON] [DISTINCT] ... FROM ...`
public struct SelectStatement: Hashable, Sendable {
    public var json = false
    public var distinct = false
    /// Empty means `*`.
    public var selectors: [Selector] = []
    public var table: QualifiedName
    public var whereClause: [Relation] = []
    public var groupBy: [String] = []
    public var orderBy: [Ordering] = []
    public var perPartitionLimit: Term?
    public var limit: Term?
    public var allowFiltering = false

    public init(table: QualifiedName) { self.table = table }
    public var isSelectStar: Bool { selectors.isEmpty }
}

public struct Ordering: Hashable, Sendable {
    public var column: String
    public var descending: Bool
    public init(column: String, descending: Bool) { self.column = column; self.descending = descending }
}

public struct Selector: Hashable, Sendable {
    public var expression: SelectorExpression
    public var alias: String?
    public var range: SourceRange
    public init(_ expression: SelectorExpression, alias: String? = nil, range: SourceRange = .none) {
        self.expression = expression
        self.alias = alias
        self.range = range
    }

    public static func == (a: Self, b: Self) -> Bool { a.expression == b.expression && a.alias == b.alias }
    public func hash(into h: inout Hasher) { h.combine(expression); h.combine(alias) }
}

public indirect enum SelectorExpression: Hashable, Sendable {
    case column(String)
    /// A literal or bind marker selected as a value (Cassandra 4).
    case term(Term)
    /// `count(*)` and `count(1)`: the row count.
    case countRows
    case writetime(String)
    case ttl(String)
    case cast(SelectorExpression, CQLType)
    /// `f(args)`, including `token(a, b)`, `min(x)`, `toJson(x)`.
    case functionCall(FunctionName, [SelectorExpression])
    /// `u.field`
    case field(SelectorExpression, String)
    /// `m['k']`, `l[0]`
    case element(SelectorExpression, Term)
    /// `a + b`, `a * 2`, ... (Cassandra 4)
    case operation(ArithmeticOperator, SelectorExpression, SelectorExpression)
    case negation(SelectorExpression)
    /// `(int) x`
    case typeHint(TypeExpression, SelectorExpression)
    /// `(a, b)`; a single parenthesised selector is just grouping and is not a tuple.
    case tuple([SelectorExpression])
    case list([SelectorExpression])
    /// Also `{}`.
    case set([SelectorExpression])
    case map([SelectorMapEntry])
}

public struct SelectorMapEntry: Hashable, Sendable {
    public var key: SelectorExpression
    public var value: SelectorExpression
    public init(key: SelectorExpression, value: SelectorExpression) { self.key = key; self.value = value }
}

/// `INSERT INTO t (a, b) VALUES (..)` or `INSERT INTO t JSON '...'`.
public struct InsertStatement: Hashable, Sendable {
    public enum Values: Hashable, Sendable {
        case columns([String], [Term])
        /// The JSON document (string or marker); `defaultUnset` is `DEFAULT UNSET`.
        case json(Term, defaultUnset: Bool)
    }

    public var table: QualifiedName
    public var values: Values
    public var ifNotExists = false
    public var using = UsingClause()

    public init(table: QualifiedName, values: Values) {
        self.table = table
        self.values = values
    }
}

/// One `SET` item of UPDATE.
public enum Assignment: Hashable, Sendable {
    /// `c = v`
    case set(String, Term)
    /// `m['k'] = v`, `l[0] = v`
    case setElement(String, key: Term, Term)
    /// `u.f = v`
    case setField(String, field: String, Term)
    /// `c = c + v`, `c += v` (append, counter increment, set/map union)
    case add(String, Term)
    /// `c = v + c` (list prepend)
    case prepend(String, Term)
    /// `c = c - v`, `c -= v`
    case subtract(String, Term)

    public var column: String {
        switch self {
        case .set(let c, _), .setElement(let c, _, _), .setField(let c, _, _), .add(let c, _),
             .prepend(let c, _), .subtract(let c, _):
            return c
        }
    }
}

public struct UpdateStatement: Hashable, Sendable {
    public var table: QualifiedName
    public var using = UsingClause()
    public var assignments: [Assignment] = []
    public var whereClause: [Relation] = []
    public var condition: Condition = .none

    public init(table: QualifiedName) { self.table = table }
}

/// What a DELETE removes: a whole column, a collection element, or a UDT field.
public enum DeleteTarget: Hashable, Sendable {
    case column(String)
    case element(String, Term)
    case field(String, String)
}

public struct DeleteStatement: Hashable, Sendable {
    /// Empty: delete the whole row(s).
    public var targets: [DeleteTarget] = []
    public var table: QualifiedName
    public var using = UsingClause()
    public var whereClause: [Relation] = []
    public var condition: Condition = .none

    public init(table: QualifiedName) { self.table = table }
}

public struct BatchStatement: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case logged = "LOGGED", unlogged = "UNLOGGED", counter = "COUNTER"
    }

    public var kind: Kind = .logged
    public var using = UsingClause()
    /// Only INSERT, UPDATE and DELETE (the parser refuses anything else).
    public var statements: [Statement] = []

    public init() {}
}
