import HyadesCore

extension AnalysisContext {
    static let filteringMessage = "Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING"

    mutating func select(_ s: SelectStatement) throws(CQLAnalysisError) -> SelectPlan {
        let t = try table(s.table)
        // Selectors first: their markers come first in the text.
        var selectors: [SelectorPlan] = []
        var specs: [ColumnSpecification] = []
        if s.isSelectStar {
            for c in t.selectStarColumns {
                selectors.append(.column(c))
                specs.append(spec(t, c))
            }
        } else {
            for sel in s.selectors {
                let (p, name, type) = try selector(sel.expression, table: t)
                selectors.append(p)
                specs.append(spec(t, sel.alias ?? name, type))
            }
        }
        if !s.groupBy.isEmpty { throw .invalid("GROUP BY is not supported yet") }

        let r = try restrictions(s.whereClause, table: t, mode: .select(allowFiltering: s.allowFiltering))
        if r.needsFiltering && !s.allowFiltering {
            throw .invalid(Self.filteringMessage)
        }
        let partitions: PartitionRestriction
        if let pk = r.partitionKey {
            partitions = .keys(pk)
        } else if let tok = r.token {
            partitions = .tokenRange(tok)
        } else {
            partitions = .all
        }

        if s.distinct {
            for sel in selectors {
                guard case .column(let c) = sel else { continue }
                if c.kind != .partitionKey && c.kind != .staticColumn {
                    throw .invalid("SELECT DISTINCT queries must only request partition key columns and/or static columns (not \(c.name))")
                }
            }
            let selected = Set(selectors.compactMap { sel -> String? in if case .column(let c) = sel { return c.name }; return nil })
            let missing = t.partitionKeyColumns.filter { !selected.contains($0.name) }.map(\.name)
            if !missing.isEmpty && !s.isSelectStar {
                throw .invalid("SELECT DISTINCT queries must request all the partition key columns (missing \(missing.joined(separator: ", ")))")
            }
            if !r.clustering.isEmpty { throw .invalid("SELECT DISTINCT with WHERE clause only supports restriction by partition key and/or static columns.") }
        }

        // ORDER BY: clustering columns in declared order, all reversed or none.
        var reversed = false
        if !s.orderBy.isEmpty {
            let ck = t.clusteringColumns
            var rev: Bool?
            for (i, o) in s.orderBy.enumerated() {
                let c = try column(o.column, in: t)
                guard c.kind == .clustering else {
                    throw .invalid("Order by is currently only supported on the clustering columns of the PRIMARY KEY, got \(o.column)")
                }
                guard i < ck.count, ck[i].name == c.name else {
                    throw .invalid("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
                }
                let thisRev = o.descending != c.isDescending
                if let rev, rev != thisRev { throw .invalid("Unsupported order by relation") }
                rev = thisRev
            }
            guard case .keys = partitions else {
                throw .invalid("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
            }
            reversed = rev ?? false
        }

        let limit = try limitTerm(s.limit, name: "[limit]", what: "LIMIT", table: t)
        let ppl = try limitTerm(s.perPartitionLimit, name: "[per_partition_limit]", what: "PER PARTITION LIMIT", table: t)

        var queried = Set<ColumnID>()
        func collect(_ p: SelectorPlan) {
            switch p {
            case .column(let c), .writetime(let c), .ttl(let c):
                if !c.kind.isPrimaryKey { queried.insert(c.id) }
            case .aggregate(_, let inner), .cast(let inner, _), .toJson(let inner), .field(let inner, _, _),
                 .element(let inner, _): collect(inner)
            case .call(_, let args, _): args.forEach(collect)
            default: break
            }
        }
        selectors.forEach(collect)
        for f in r.filters {
            if let c = t.column(id: f.column), !c.kind.isPrimaryKey { queried.insert(f.column) }
        }
        var jsonNames: [String] = []
        if s.json {
            jsonNames = specs.map(\.name)
            specs = [spec(t, "[json]", .text)]
        }
        var plan = SelectPlan(table: t, partitions: partitions, clustering: r.clustering, filters: r.filters,
                          selectors: selectors, resultColumns: specs, queriedColumns: queried.sorted(),
                          distinct: s.distinct, json: s.json, reversed: reversed, allowFiltering: s.allowFiltering,
                          limit: limit, perPartitionLimit: ppl,
                          variables: try variableSpecifications(partitionKeyIndexes: pkIndexes(r.partitionKey ?? [])))
        plan.jsonNames = jsonNames
        return plan
    }

    mutating func limitTerm(_ term: Term?, name: String, what: String, table t: TableMetadata) throws(CQLAnalysisError) -> ValueTerm? {
        guard let term else { return nil }
        if case .constant(let c) = term.kind {
            guard c.kind == .integer, let v = Int32(c.text) else {
                throw .invalid("Invalid \(what) value: \(c.text)")
            }
            guard v > 0 else { throw .invalid("\(what) must be strictly positive") }
        }
        return try value(term, for: spec(t, name, .int))
    }

    /// A selector: its plan, its default result name (Cassandra's) and its type.
    mutating func selector(_ e: SelectorExpression, table t: TableMetadata) throws(CQLAnalysisError) -> (SelectorPlan, String, CQLType) {
        switch e {
        case .column(let n):
            let c = try column(n, in: t)
            return (.column(c), c.name, c.type)
        case .countRows:
            return (.countRows, "count", .bigint)
        case .writetime(let n), .ttl(let n):
            let c = try column(n, in: t)
            var isWritetime = false
            if case .writetime = e { isWritetime = true }
            let fn = isWritetime ? "writeTime" : "ttl"
            if c.kind.isPrimaryKey { throw .invalid("Cannot use selection function \(fn) on PRIMARY KEY part \(c.name)") }
            if c.isComplex { throw .invalid("Cannot use selection function \(fn) on non-frozen \(c.type.isCollection ? "collection" : "UDT") \(c.name)") }
            return isWritetime ? (.writetime(c), "writetime(\(c.name))", .bigint) : (.ttl(c), "ttl(\(c.name))", .int)
        case .cast(let inner, let type):
            let (p, name, from) = try selector(inner, table: t)
            // A cast to the selector's own type is the selector itself (and keeps its name).
            if from.unfrozen == type { return (p, name, from) }
            guard ScalarFunction.castable(from.unfrozen, to: type) else {
                throw .invalid("\(name) cannot be cast to \(type.cqlName)")
            }
            return (.call(.cast(from: from.unfrozen, to: type), [p], type), "cast(\(name) as \(type.cqlName))", type)
        case .functionCall(let fn, let args):
            guard fn.keyspace == nil || fn.keyspace == "system" else { throw .invalid("Unknown function '\(fn.keyspace!).\(fn.name)'") }
            let name = fn.name.lowercased()
            switch name {
            case "token" where !args.allSatisfy({ if case .column = $0 { return true } else { return false } }):
                // token() of values (`token(5)`): the token of the partition key they make.
                let pk = t.partitionKeyColumns
                guard args.count == pk.count else {
                    throw .invalid("Invalid number of arguments in call to function system.token: \(pk.count) required but \(args.count) provided")
                }
                var plans: [SelectorPlan] = [], names: [String] = []
                for (i, a) in args.enumerated() {
                    let (p, n) = try selectorArgument(a, pk[i].type, "system.token", i, table: t)
                    plans.append(p)
                    names.append(n)
                }
                return (.call(.token(components: pk.count), plans, .bigint), "system.token(\(names.joined(separator: ", ")))", .bigint)
            case "token":
                var cols: [ColumnMetadata] = []
                for a in args {
                    guard case .column(let n) = a else { throw .invalid("token() arguments must be the partition key columns") }
                    cols.append(try column(n, in: t))
                }
                guard cols.map(\.name) == t.partitionKeyColumns.map(\.name) else {
                    throw .invalid("Type error: token() must be called with the partition key columns (\(t.partitionKeyColumns.map(\.name).joined(separator: ", ")))")
                }
                return (.token(cols), "system.token(\(cols.map(\.name).joined(separator: ", ")))", .bigint)
            case "count", "min", "max", "sum", "avg":
                guard args.count == 1 else { throw .invalid("Invalid number of arguments in call to function system.\(name): 1 required but \(args.count) provided") }
                let (p, argName, type) = try selector(args[0], table: t)
                let f = AggregateFunction(rawValue: name)!
                let resultType: CQLType
                switch f {
                case .count: resultType = .bigint
                case .min, .max: resultType = type
                case .sum, .avg:
                    switch type.unfrozen {
                    case .tinyint, .smallint, .int, .bigint, .varint, .decimal, .float, .double, .counter: resultType = type
                    default: throw .invalid("Invalid call to function system.\(name), none of its type signatures match (argument \(argName) of type \(type.cqlName))")
                    }
                }
                return (.aggregate(f, p), "system.\(name)(\(argName))", resultType)
            case "tojson":
                guard args.count == 1 else { throw .invalid("toJson() accepts only one argument (got \(args.count))") }
                let (p, argName, _) = try selector(args[0], table: t)
                return (.toJson(p), "system.tojson(\(argName))", .text)
            case "writetime", "ttl":
                guard args.count == 1, case .column(let n) = args[0] else { throw .invalid("Invalid arguments to \(name)") }
                return try selector(name == "ttl" ? .ttl(n) : .writetime(n), table: t)
            default:
                return try functionSelector(fn, args, table: t)
            }
        case .field(let inner, let f):
            let (p, name, type) = try selector(inner, table: t)
            guard case .udt(_, _, let fields) = type.unfrozen else {
                throw .invalid("Invalid field selection: \(name) of type \(type.cqlName) is not a user type")
            }
            guard let i = fields.firstIndex(where: { $0.name == f }) else {
                throw .invalid("\(type.cqlName) has no field \(f)")
            }
            return (.field(p, index: i, name: f), "\(name).\(f)", fields[i].type)
        case .element(let inner, let key):
            let (p, name, type) = try selector(inner, table: t)
            let keyType: CQLType, resultType: CQLType
            switch type.unfrozen {
            case .map(let k, let v): keyType = k; resultType = v
            case .set(let e): keyType = e; resultType = e
            default: throw .invalid("Element selection is only allowed on sets and maps, but \(name) is a \(type.cqlName)")
            }
            let k = try value(key, for: spec(t, "key(\(name))", keyType))
            return (.element(p, key: k), "\(name)[\(CQLPrinter.term(key))]", resultType)
        case .term(let term):
            // A constant is only selectable once its type is known: require a type hint.
            throw .invalid("Cannot infer type for term \(term) in selection clause (try using a cast to force a type)")
        case .typeHint(let te, .term(let term)):
            let type = try resolveType(te, keyspace: t.keyspace)
            let v = try value(term, for: spec(t, "[selection]", type))
            return (.term(v), "(\(type.cqlName))\(term)", type)
        case .operation(let op, let l, let r):
            return try operationSelector(op, l, r, table: t)
        case .negation(let inner):
            let (p, name, type) = try selector(inner, table: t)
            guard CQLNumber.numericTypes.contains(type.unfrozen) else {
                throw .invalid("Invalid call to function system._negate, none of its type signatures match (argument \(name) of type \(type.cqlName))")
            }
            let rt: CQLType = type.unfrozen == .counter ? .bigint : type.unfrozen
            return (.call(.negate(rt), [p], rt), "-\(name)", rt)
        default:
            throw .invalid("Selector \(e) is not supported yet")
        }
    }
}
