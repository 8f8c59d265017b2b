/// Left-hand side of a WHERE relation or IF condition.
public enum RelationTarget: Hashable, Sendable {
    /// `c`
    case column(String)
    /// `(a, b)` multi-column relation on clustering columns.
    case columns([String])
    /// `token(a, b)`
    case token([String])
    /// `m['k']` map element (filtering) or `l[0]` in conditions.
    case element(String, Term)
    /// `u.f` user-type field (conditions).
    case field(String, String)
}

public enum RelationOperator: String, Hashable, Sendable {
    case equal = "="
    case notEqual = "!="
    case lessThan = "<"
    case lessThanOrEqual = "<="
    case greaterThan = ">"
    case greaterThanOrEqual = ">="
    case `in` = "IN"
    case notIn = "NOT IN"
    case contains = "CONTAINS"
    case containsKey = "CONTAINS KEY"
    case notContains = "NOT CONTAINS"
    case notContainsKey = "NOT CONTAINS KEY"
    /// `BETWEEN a AND b` (Cassandra 5); the value is `.list([a, b])`.
    case between = "BETWEEN"
    case like = "LIKE"
    /// `IS NOT NULL` (materialized-view syntax); the value is `.term(null)`.
    case isNot = "IS NOT"
}

/// Right-hand side: a single term, or an `IN (...)` list (`IN ?` is `.term` of a marker),
/// or the two bounds of BETWEEN.
public enum RelationValue: Hashable, Sendable {
    case term(Term)
    case list([Term])
}

/// `target op value`, in WHERE and IF clauses.
public struct Relation: Hashable, Sendable {
    public var target: RelationTarget
    public var op: RelationOperator
    public var value: RelationValue
    public var range: SourceRange

    public init(_ target: RelationTarget, _ op: RelationOperator, _ value: RelationValue, range: SourceRange = .none) {
        self.target = target
        self.op = op
        self.value = value
        self.range = range
    }

    public static func == (a: Self, b: Self) -> Bool { a.target == b.target && a.op == b.op && a.value == b.value }
    public func hash(into h: inout Hasher) { h.combine(target); h.combine(op); h.combine(value) }
}

/// Lightweight-transaction condition of INSERT/UPDATE/DELETE.
public enum Condition: Hashable, Sendable {
    case none
    case ifExists
    case ifNotExists
    /// `IF a = 1 AND m['k'] != 2 AND c IN (...)`
    case columns([Relation])
}

/// `USING TTL x AND TIMESTAMP y`.
public struct UsingClause: Hashable, Sendable {
    public var ttl: Term?
    public var timestamp: Term?
    public init(ttl: Term? = nil, timestamp: Term? = nil) { self.ttl = ttl; self.timestamp = timestamp }
    public var isEmpty: Bool { ttl == nil && timestamp == nil }
}
