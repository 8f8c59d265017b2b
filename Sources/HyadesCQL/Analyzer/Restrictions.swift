import HyadesCore

/// The values one key column is restricted to.
public enum KeyValues: Hashable, Sendable {
    case eq(ValueTerm)
    case inList([ValueTerm])
    /// `IN ?`: one marker bound to a serialized `list<T>` of the values.
    case inMarker(ValueTerm)
}

/// One end of a clustering slice: values for the clustering columns starting right after
/// the EQ/IN prefix (one value for `c > ?`, several for `(a, b) > (?, ?)`), in *value*
/// order of those columns (the plan turns it into byte bounds per column order).
public struct ClusteringBound: Hashable, Sendable {
    public var values: [ValueTerm]
    public var inclusive: Bool
    /// `(a, b) > ?`: a single tuple-typed marker standing for `values`.
    public var tuple: ValueTerm?
    public var tupleWidth = 0

    public init(values: [ValueTerm], inclusive: Bool) {
        self.values = values
        self.inclusive = inclusive
    }
}

/// WHERE restrictions on the clustering columns.
public struct ClusteringRestriction: Hashable, Sendable {
    /// EQ / IN on the first `prefix.count` clustering columns.
    public var prefix: [KeyValues] = []
    /// `(a, b) IN ((1, 2), (3, 4))` or `(a, b) IN ?`: each entry a tuple-typed term for the
    /// first `multiInWidth` clustering columns (replaces `prefix`).
    public var multiIn: [ValueTerm]?
    /// `(a, b) IN ?`: a marker of type list<tuple<...>> whose elements join `multiIn`.
    public var multiInList: ValueTerm?
    public var multiInWidth = 0
    /// A slice on the columns following the prefix.
    public var lower: ClusteringBound?
    public var upper: ClusteringBound?
    /// The slice came from a multi-column relation: compared as tuples in value order,
    /// which over columns of mixed ASC/DESC order is several byte ranges.
    public var multiColumnSlice = false

    public init() {}

    public var isEmpty: Bool { prefix.isEmpty && multiIn == nil && lower == nil && upper == nil }
    public var hasSlice: Bool { lower != nil || upper != nil }
    /// How many clustering columns the EQ/IN part covers.
    public var prefixWidth: Int { multiIn != nil ? multiInWidth : prefix.count }
}

/// A restriction the engine cannot serve from keys: evaluated on each row.
public struct FilterPlan: Hashable, Sendable {
    public var column: ColumnID
    public var name: String
    public var type: CQLType
    public var op: RelationOperator
    /// For `m['k'] = v`: the map key.
    public var elementKey: ValueTerm?
    /// The value (for IN: `.list` of the values, or a marker of type list<T>).
    public var value: ValueTerm

    public init(column: ColumnID, name: String, type: CQLType, op: RelationOperator, elementKey: ValueTerm? = nil, value: ValueTerm) {
        self.column = column
        self.name = name
        self.type = type
        self.op = op
        self.elementKey = elementKey
        self.value = value
    }
}

/// A `token(...)` range: each bound a bigint term and whether it is inclusive.
public struct TokenRestriction: Hashable, Sendable {
    public var lower: (ValueTerm, Bool)? {
        get { lowerTerm.map { ($0, lowerInclusive) } }
        set { lowerTerm = newValue?.0; lowerInclusive = newValue?.1 ?? false }
    }
    public var upper: (ValueTerm, Bool)? {
        get { upperTerm.map { ($0, upperInclusive) } }
        set { upperTerm = newValue?.0; upperInclusive = newValue?.1 ?? false }
    }
    public var lowerTerm: ValueTerm?
    public var lowerInclusive = false
    public var upperTerm: ValueTerm?
    public var upperInclusive = false

    public init() {}
}

/// The analyzed WHERE clause.
struct Restrictions {
    /// EQ/IN per partition key column, in key order, when all are restricted.
    var partitionKey: [KeyValues]?
    var token: TokenRestriction?
    var clustering = ClusteringRestriction()
    var filters: [FilterPlan] = []
    /// Why the query needs ALLOW FILTERING (non-empty: it does).
    var needsFiltering = false
    /// Partition key columns restricted (some, not all, or not by EQ/IN).
    var partialPartitionKey: [String] = []
}

enum RestrictionMode {
    case select(allowFiltering: Bool)
    case modification
}

extension AnalysisContext {
    mutating func restrictions(_ relations: [Relation], table: TableMetadata, mode: RestrictionMode) throws(CQLAnalysisError) -> Restrictions {
        var r = Restrictions()
        let pk = table.partitionKeyColumns
        let ck = table.clusteringColumns
        var pkValues: [String: KeyValues] = [:]
        var pkNonEq: [Relation] = []
        // Clustering: single-column relations per column, and multi-column ones.
        var ckSingle: [Int: [Relation]] = [:]
        var ckMulti: [Relation] = []
        let isSelect: Bool
        if case .select = mode { isSelect = true } else { isSelect = false }

        for rel in relations {
            switch rel.target {
            case .token(let names):
                guard isSelect else { throw .invalid("The token function cannot be used in WHERE clauses for UPDATE and DELETE statements") }
                guard names.count == pk.count, Set(names) == Set(pk.map(\.name)) else {
                    for n in names where table.column(named: n) == nil { _ = try column(n, in: table) }
                    throw .invalid("The token() function must be applied to all partition key components or none of them")
                }
                guard names == pk.map(\.name) else {
                    throw .invalid("The token function arguments must be in the partition key order: \(pk.map(\.name).joined(separator: ", "))")
                }
                guard case .term(let term) = rel.value else { throw .invalid("Invalid token relation") }
                let v = try value(term, for: spec(table, "partition key token", .bigint))
                var t = r.token ?? TokenRestriction()
                switch rel.op {
                case .equal:
                    t.lower = (v, true); t.upper = (v, true)
                case .greaterThan, .greaterThanOrEqual:
                    guard t.lowerTerm == nil else { throw .invalid("More than one restriction was found for the start bound on partition key token") }
                    t.lower = (v, rel.op == .greaterThanOrEqual)
                case .lessThan, .lessThanOrEqual:
                    guard t.upperTerm == nil else { throw .invalid("More than one restriction was found for the end bound on partition key token") }
                    t.upper = (v, rel.op == .lessThanOrEqual)
                default:
                    throw .invalid("Unsupported \"\(rel.op.rawValue)\" relation: token(\(names.joined(separator: ", "))) \(rel.op.rawValue)")
                }
                r.token = t
            case .column(let name):
                let c = try column(name, in: table)
                switch c.kind {
                case .partitionKey:
                    if (rel.op == .equal || rel.op == .in) {
                        guard pkValues[name] == nil else {
                            throw .invalid("\(name) cannot be restricted by more than one relation if it includes an Equal")
                        }
                        pkValues[name] = try keyValues(rel, column: c, table: table)
                    } else {
                        pkNonEq.append(rel)
                    }
                case .clustering:
                    ckSingle[c.position, default: []].append(rel)
                case .regular, .staticColumn:
                    guard isSelect else { throw .invalid("Non PRIMARY KEY columns found in where clause: \(name) ") }
                    r.filters.append(try filter(rel, column: c, table: table))
                    r.needsFiltering = true
                }
            case .columns(let names):
                for n in names {
                    let c = try column(n, in: table)
                    guard c.kind == .clustering else {
                        throw .invalid("Multi-column relations can only be applied to clustering columns but was applied to: \(n)")
                    }
                }
                ckMulti.append(rel)
            case .element(let name, let key):
                let c = try column(name, in: table)
                guard isSelect else { throw .invalid("Non PRIMARY KEY columns found in where clause: \(name) ") }
                guard case .map(let kt, let vt) = c.type.unfrozen else {
                    throw .invalid("Invalid element access on \(name) of type \(c.type.cqlName): only maps support element restrictions")
                }
                guard rel.op == .equal, case .term(let vterm) = rel.value else {
                    throw .invalid("Map-entry equality predicates on '\(name)' only support the = operator")
                }
                let k = try value(key, for: spec(table, "key(\(name))", kt))
                let v = try value(vterm, for: spec(table, "value(\(name))", vt))
                r.filters.append(FilterPlan(column: c.id, name: name, type: c.type, op: .equal, elementKey: k, value: v))
                r.needsFiltering = true
            case .field(let name, _):
                throw .invalid("Field restrictions are only supported in conditions (column \(name))")
            }
        }

        // Partition key.
        if r.token != nil, !pkValues.isEmpty {
            throw .invalid("Columns \"\(pkValues.keys.sorted().joined(separator: ", "))\" cannot be restricted by both a normal relation and a token relation")
        }
        if pkValues.count == pk.count && pkNonEq.isEmpty {
            r.partitionKey = pk.map { pkValues[$0.name]! }
        } else if !pkValues.isEmpty || !pkNonEq.isEmpty {
            guard isSelect else {
                let missing = pk.filter { pkValues[$0.name] == nil }.map(\.name)
                if !pkNonEq.isEmpty { throw .invalid("Only EQ and IN relation are supported on the partition key (unless you use the token() function)") }
                throw .invalid("Some partition key parts are missing: \(missing.joined(separator: ", "))")
            }
            if !pkNonEq.isEmpty, case .select(false) = mode {
                throw .invalid("Only EQ and IN relation are supported on the partition key (unless you use the token() function or allow filtering)")
            }
            // Partial key or a non-EQ relation on it: a filtered scan.
            for p in pk {
                if let v = pkValues[p.name] {
                    switch v {
                    case .eq(let t): r.filters.append(FilterPlan(column: p.id, name: p.name, type: p.type, op: .equal, value: t))
                    case .inList(let ts): r.filters.append(FilterPlan(column: p.id, name: p.name, type: p.type, op: .in, value: .list(ts)))
                    case .inMarker(let t): r.filters.append(FilterPlan(column: p.id, name: p.name, type: p.type, op: .in, value: t))
                    }
                }
            }
            for rel in pkNonEq {
                guard case .column(let n) = rel.target else { continue }
                r.filters.append(try filter(rel, column: try column(n, in: table), table: table))
            }
            r.partialPartitionKey = pk.map(\.name)
            r.needsFiltering = true
        } else if !isSelect {
            throw .invalid("Some partition key parts are missing: \(pk.map(\.name).joined(separator: ", "))")
        }

        // Clustering.
        if !ckMulti.isEmpty {
            guard ckSingle.isEmpty else {
                throw .invalid("Mixing single column relations and multi column relations on clustering columns is not allowed")
            }
            try multiColumnClustering(ckMulti, table: table, into: &r.clustering)
        } else {
            var sliced = false
            for (i, c) in ck.enumerated() {
                guard let rels = ckSingle[i] else {
                    // A gap: later restricted columns can only be filtered.
                    let later = ck[(i + 1)...].filter { ckSingle[$0.position] != nil }
                    if let next = later.first {
                        if case .select(true) = mode {
                            for j in (i + 1)..<ck.count {
                                for rel in ckSingle[j] ?? [] { r.filters.append(try filter(rel, column: ck[j], table: table)) }
                            }
                            r.needsFiltering = true
                            break
                        }
                        throw .invalid("PRIMARY KEY column \"\(next.name)\" cannot be restricted as preceding column \"\(c.name)\" is not restricted")
                    }
                    break
                }
                if sliced {
                    if case .select(true) = mode {
                        for rel in rels { r.filters.append(try filter(rel, column: c, table: table)) }
                        r.needsFiltering = true
                        continue
                    }
                    throw .invalid("Clustering column \"\(c.name)\" cannot be restricted (preceding column \"\(ck[i - 1].name)\" is restricted by a non-EQ relation)")
                }
                if rels.count == 1, rels[0].op == .equal || rels[0].op == .in {
                    r.clustering.prefix.append(try keyValues(rels[0], column: c, table: table))
                    continue
                }
                for rel in rels {
                    let receiver = spec(table, c)
                    guard case .term(let term) = rel.value else { throw .invalid("Invalid relation on \(c.name)") }
                    switch rel.op {
                    case .greaterThan, .greaterThanOrEqual:
                        guard r.clustering.lower == nil else { throw .invalid("More than one restriction was found for the start bound on \(c.name)") }
                        r.clustering.lower = ClusteringBound(values: [try value(term, for: receiver)], inclusive: rel.op == .greaterThanOrEqual)
                    case .lessThan, .lessThanOrEqual:
                        guard r.clustering.upper == nil else { throw .invalid("More than one restriction was found for the end bound on \(c.name)") }
                        r.clustering.upper = ClusteringBound(values: [try value(term, for: receiver)], inclusive: rel.op == .lessThanOrEqual)
                    case .equal, .in:
                        throw .invalid("\(c.name) cannot be restricted by more than one relation if it includes an Equal")
                    default:
                        guard case .select(true) = mode else {
                            throw .invalid("Unsupported \"\(rel.op.rawValue)\" relation on clustering column \"\(c.name)\"")
                        }
                        r.filters.append(try filter(rel, column: c, table: table))
                        r.needsFiltering = true
                    }
                }
                sliced = true
            }
        }
        if r.partitionKey == nil && !r.clustering.isEmpty && isSelect {
            r.needsFiltering = true
        }
        return r
    }

    mutating func keyValues(_ rel: Relation, column c: ColumnMetadata, table: TableMetadata) throws(CQLAnalysisError) -> KeyValues {
        let receiver = spec(table, c)
        switch (rel.op, rel.value) {
        case (.equal, .term(let t)):
            return .eq(try value(t, for: receiver))
        case (.in, .list(let ts)):
            var out: [ValueTerm] = []
            for t in ts { out.append(try value(t, for: receiver)) }
            return .inList(out)
        case (.in, .term(let t)):
            return .inMarker(try value(t, for: spec(table, "in(\(c.name))", .list(c.type))))
        default:
            throw .invalid("Invalid relation \(rel.op.rawValue) on \(c.name)")
        }
    }

    mutating func filter(_ rel: Relation, column c: ColumnMetadata, table: TableMetadata) throws(CQLAnalysisError) -> FilterPlan {
        switch rel.op {
        case .equal, .notEqual, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual:
            guard case .term(let t) = rel.value else { throw .invalid("Invalid relation on \(c.name)") }
            if c.type.unfrozen == .duration && rel.op != .equal && rel.op != .notEqual {
                throw .invalid("Slice restrictions are not supported on duration columns")
            }
            if c.isComplex && rel.op != .equal {
                throw .invalid("Collection column '\(c.name)' (\(c.type.cqlName)) cannot be restricted by a '\(rel.op.rawValue)' relation")
            }
            return FilterPlan(column: c.id, name: c.name, type: c.type, op: rel.op, value: try value(t, for: spec(table, c)))
        case .in, .notIn:
            switch rel.value {
            case .list(let ts):
                var out: [ValueTerm] = []
                for t in ts { out.append(try value(t, for: spec(table, c))) }
                return FilterPlan(column: c.id, name: c.name, type: c.type, op: rel.op, value: .list(out))
            case .term(let t):
                return FilterPlan(column: c.id, name: c.name, type: c.type, op: rel.op,
                                  value: try value(t, for: spec(table, "in(\(c.name))", .list(c.type))))
            }
        case .contains, .notContains:
            guard case .term(let t) = rel.value else { throw .invalid("Invalid relation on \(c.name)") }
            let element: CQLType
            switch c.type.unfrozen {
            case .list(let e), .set(let e): element = e
            case .map(_, let v): element = v
            default: throw .invalid("Cannot use CONTAINS on non-collection column \(c.name)")
            }
            return FilterPlan(column: c.id, name: c.name, type: c.type, op: rel.op, value: try value(t, for: spec(table, c.name, element)))
        case .containsKey, .notContainsKey:
            guard case .term(let t) = rel.value, case .map(let k, _) = c.type.unfrozen else {
                throw .invalid("Cannot use CONTAINS KEY on non-map column \(c.name)")
            }
            return FilterPlan(column: c.id, name: c.name, type: c.type, op: rel.op, value: try value(t, for: spec(table, c.name, k)))
        default:
            throw .invalid("Unsupported \"\(rel.op.rawValue)\" relation on \(c.name)")
        }
    }

    mutating func multiColumnClustering(_ rels: [Relation], table: TableMetadata, into out: inout ClusteringRestriction) throws(CQLAnalysisError) {
        let ck = table.clusteringColumns
        for rel in rels {
            guard case .columns(let names) = rel.target else { continue }
            for (i, n) in names.enumerated() where i >= ck.count || ck[i].name != n {
                throw .invalid("Clustering columns must appear in the PRIMARY KEY order in multi-column relations: (\(names.joined(separator: ", ")))")
            }
            let cols = Array(ck.prefix(names.count))
            let tupleType = CQLType.tuple(cols.map(\.type))
            let tupleSpec = spec(table, "(\(names.joined(separator: ","))", tupleType)
            func tupleTerms(_ t: Term) throws(CQLAnalysisError) -> [ValueTerm] {
                guard case .tuple(let elements) = t.kind, elements.count == cols.count else {
                    throw .invalid("Expected \(cols.count) elements in value tuple, but got \(t)")
                }
                var vs: [ValueTerm] = []
                for (i, e) in elements.enumerated() { vs.append(try value(e, for: spec(table, cols[i]))) }
                return vs
            }
            switch rel.op {
            case .equal:
                guard case .term(let t) = rel.value else { throw .invalid("Invalid multi-column relation") }
                guard out.prefix.isEmpty, out.multiIn == nil else { throw .invalid("More than one restriction on (\(names.joined(separator: ",")))") }
                if t.bindMarker != nil {
                    out.multiIn = [try value(t, for: tupleSpec)]
                    out.multiInWidth = cols.count
                } else {
                    out.prefix = try tupleTerms(t).map { KeyValues.eq($0) }
                }
            case .in:
                var entries: [ValueTerm] = []
                switch rel.value {
                case .list(let ts):
                    for t in ts {
                        if t.bindMarker != nil { entries.append(try value(t, for: tupleSpec)) } else { entries.append(.tuple(try tupleTerms(t))) }
                    }
                    out.multiIn = entries
                case .term(let t):
                    // `(a, b) IN ?`: one marker bound to a list of tuples.
                    out.multiInList = try value(t, for: spec(table, "in(\(names.joined(separator: ",")))", .list(tupleType)))
                    out.multiIn = []
                }
                out.multiInWidth = cols.count
            case .greaterThan, .greaterThanOrEqual, .lessThan, .lessThanOrEqual:
                guard case .term(let t) = rel.value else { throw .invalid("Invalid multi-column relation") }
                var b = ClusteringBound(values: [], inclusive: rel.op == .greaterThanOrEqual || rel.op == .lessThanOrEqual)
                if t.bindMarker != nil {
                    // `(a, b) > ?`: one tuple marker, split at execution.
                    b.tuple = try value(t, for: tupleSpec)
                    b.tupleWidth = cols.count
                } else {
                    b.values = try tupleTerms(t)
                }
                out.multiColumnSlice = true
                if rel.op == .greaterThan || rel.op == .greaterThanOrEqual {
                    guard out.lower == nil else { throw .invalid("More than one restriction was found for the start bound on \(names.joined(separator: ", "))") }
                    out.lower = b
                } else {
                    guard out.upper == nil else { throw .invalid("More than one restriction was found for the end bound on \(names.joined(separator: ", "))") }
                    out.upper = b
                }
            default:
                throw .invalid("Unsupported \"\(rel.op.rawValue)\" relation on multi-column clustering")
            }
        }
        if out.hasSlice && out.prefixWidth > 0 {
            throw .invalid("Multi-column equality and slice restrictions cannot be combined on the same clustering columns")
        }
    }
}
