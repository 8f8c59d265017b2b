import HyadesCore

/// `BEGIN [UNLOGGED] BATCH ... APPLY BATCH`: the statements share the marker numbering
/// (markers are numbered across the whole batch text) and the batch's timestamp.
public struct BatchPlan: Hashable, Sendable {
    public var kind: BatchStatement.Kind
    public var statements: [ModificationPlan]
    public var timestamp: ValueTerm?
    public var variables: VariableSpecifications

    public init(kind: BatchStatement.Kind, statements: [ModificationPlan], timestamp: ValueTerm?, variables: VariableSpecifications) {
        self.kind = kind
        self.statements = statements
        self.timestamp = timestamp
        self.variables = variables
    }

    public func mutation(values: [CQLBoundValue], timestamp defaultTimestamp: Int64, nowInSeconds: Int32) throws(CQLAnalysisError) -> Mutation {
        var ts = defaultTimestamp
        let time = ExecutionTime(timestamp: ts, nowInSeconds: nowInSeconds)
        if let timestamp {
            switch try timestamp.resolve(values, time: time) {
            case .value(let b):
                guard let v = CQLLiteralBytes.readInt64(b) else { throw .invalid("Invalid timestamp value") }
                ts = v
            case .null: throw .invalid("Invalid null value of timestamp")
            case .unset: break
            }
        }
        return try Self.mutation(of: statements.map { ($0, values) }, timestamp: ts, nowInSeconds: nowInSeconds,
                                 clock: ts == defaultTimestamp ? nil : defaultTimestamp)
    }

    /// The protocol's BATCH message: separately prepared statements, each with its own values.
    /// `clock`: the execution's time when `timestamp` is one the client chose (functions use it).
    public static func mutation(of statements: [(ModificationPlan, [CQLBoundValue])], timestamp: Int64,
                                nowInSeconds: Int32, clock: Int64? = nil) throws(CQLAnalysisError) -> Mutation {
        var merger = UpdateMerger()
        var time = ExecutionTime(timestamp: timestamp, nowInSeconds: nowInSeconds)
        time.clock = clock
        for (plan, values) in statements { try plan.apply(values: values, time: time, into: &merger) }
        return Mutation(merger.updates())
    }
}

extension AnalysisContext {
    static let conditionalNotSupported = "Conditional updates (IF ...) are not supported yet"

    mutating func insert(_ s: InsertStatement) throws(CQLAnalysisError) -> ModificationPlan {
        let t = try table(s.table)
        guard case .columns(let names, let terms) = s.values else {
            guard case .json(let doc, let defaultUnset) = s.values else { throw .invalid("INSERT without values") }
            var columns = s
            columns.values = try jsonColumns(doc, defaultUnset: defaultUnset, table: t)
            return try insert(columns)
        }
        if t.isCounter { throw .invalid("INSERT statements are not allowed on counter tables, use UPDATE instead") }
        guard names.count == terms.count else { throw .invalid("Unmatched column names/values") }
        guard Set(names).count == names.count else { throw .invalid("The column names contains duplicates") }
        var given: [String: Term] = [:]
        var ops: [ColumnOperation] = []
        for (n, term) in zip(names, terms) {
            let c = try column(n, in: t)
            given[n] = term
            if !c.kind.isPrimaryKey {
                ops.append(ColumnOperation(column: c, kind: .set(try value(term, for: spec(t, c)))))
            }
        }
        var pkValues: [KeyValues] = []
        let missingPK = t.partitionKeyColumns.filter { given[$0.name] == nil }.map(\.name)
        guard missingPK.isEmpty else { throw .invalid("Some partition key parts are missing: \(missingPK.joined(separator: ", "))") }
        // Values are analyzed in marker (text) order above for regular columns; key
        // columns are analyzed here, which records the same marker metadata.
        for c in t.partitionKeyColumns { pkValues.append(.eq(try value(given[c.name]!, for: spec(t, c)))) }
        var clustering = ClusteringRestriction()
        let ck = t.clusteringColumns
        let missingCK = ck.filter { given[$0.name] == nil }.map(\.name)
        let onlyStatic = !ops.isEmpty && ops.allSatisfy { $0.column.isStatic }
        if !missingCK.isEmpty {
            if !(onlyStatic && missingCK.count == ck.count) {
                throw .invalid("Some clustering keys are missing: \(missingCK.joined(separator: ", "))")
            }
        } else {
            for c in ck { clustering.prefix.append(.eq(try value(given[c.name]!, for: spec(t, c)))) }
        }
        let ttl = try optionalValue(s.using.ttl, name: "[ttl]", type: .int, table: t)
        let ts = try optionalValue(s.using.timestamp, name: "[timestamp]", type: .bigint, table: t)
        let cond = try condition(s.ifNotExists ? .ifNotExists : .none, table: t, partitionKey: pkValues,
                                 clustering: clustering, timestamp: s.using.timestamp)
        var plan = ModificationPlan(kind: .insert, table: t, partitionKey: pkValues, clustering: clustering, operations: ops,
                                    ttl: ttl, timestamp: ts, variables: try variableSpecifications(partitionKeyIndexes: pkIndexes(pkValues)))
        plan.condition = cond
        return plan
    }

    /// `INSERT INTO t JSON '{...}'` as the equivalent `(columns) VALUES (terms)`: columns
    /// left out are set to null, or left alone with `DEFAULT UNSET`.
    func jsonColumns(_ doc: Term, defaultUnset: Bool, table t: TableMetadata) throws(CQLAnalysisError) -> InsertStatement.Values {
        guard case .constant(let c) = doc.kind, c.kind == .string else {
            if doc.bindMarker != nil {
                throw .invalid("INSERT JSON with a bind marker is not supported inside BEGIN BATCH; send a protocol batch of prepared statements instead")
            }
            throw .invalid("INSERT JSON expects a string holding a JSON object")
        }
        guard case .object(let entries) = try JSONParser.parse(c.text) else {
            throw .invalid("Could not decode JSON string: expected a JSON object of column names to values")
        }
        var names: [String] = [], terms: [Term] = []
        for (key, value) in entries {
            let name = JSONTerms.fieldName(key)
            guard let col = t.columns.first(where: { $0.name == name }) else {
                throw .invalid("JSON values map contains unrecognized column: \(name)")
            }
            guard !names.contains(name) else { throw .invalid("JSON values map contains column \(name) twice") }
            names.append(name)
            terms.append(try JSONTerms.term(value, type: col.type, column: name))
        }
        if !defaultUnset {
            for col in t.columns where !col.kind.isPrimaryKey && !names.contains(col.name) {
                names.append(col.name)
                terms.append(Term(.null))
            }
        }
        return .columns(names, terms)
    }

    func pkIndexes(_ pk: [KeyValues]) -> [Int] {
        var out: [Int] = []
        for kv in pk {
            guard case .eq(let t) = kv, let i = t.markerIndex else { return [] }
            out.append(i)
        }
        return out
    }

    mutating func update(_ s: UpdateStatement) throws(CQLAnalysisError) -> ModificationPlan {
        let t = try table(s.table)
        let ttl = try optionalValue(s.using.ttl, name: "[ttl]", type: .int, table: t)
        let ts = try optionalValue(s.using.timestamp, name: "[timestamp]", type: .bigint, table: t)
        if t.isCounter {
            // An increment is a read-modify-write the node times itself (see CounterUpdates).
            if s.using.ttl != nil { throw .invalid("Cannot provide custom TTL for counter updates") }
            if s.using.timestamp != nil { throw .invalid("Cannot provide custom timestamp for counter updates") }
            if s.condition != .none { throw .invalid("Conditional updates are not supported on counter tables") }
        }
        var ops: [ColumnOperation] = []
        for a in s.assignments { ops.append(try operation(a, table: t)) }
        let r = try restrictions(s.whereClause, table: t, mode: .modification)
        try checkModificationClustering(r.clustering, table: t, ops: ops, isDelete: false)
        let pk = r.partitionKey ?? []
        let cond = try condition(s.condition, table: t, partitionKey: pk, clustering: r.clustering, timestamp: s.using.timestamp)
        var plan = ModificationPlan(kind: .update, table: t, partitionKey: pk, clustering: r.clustering, operations: ops,
                                    ttl: ttl, timestamp: ts, variables: try variableSpecifications(partitionKeyIndexes: pkIndexes(pk)))
        plan.condition = cond
        return plan
    }

    mutating func delete(_ s: DeleteStatement) throws(CQLAnalysisError) -> ModificationPlan {
        let t = try table(s.table)
        var ops: [ColumnOperation] = []
        for target in s.targets {
            switch target {
            case .column(let n):
                let c = try column(n, in: t)
                if c.kind.isPrimaryKey { throw .invalid("Invalid identifier \(n) for deletion (should not be a PRIMARY KEY part)") }
                ops.append(ColumnOperation(column: c, kind: .delete))
            case .element(let n, let key):
                let c = try column(n, in: t)
                switch c.type {
                case .map(let kt, _):
                    ops.append(ColumnOperation(column: c, kind: .deleteElement(try value(key, for: spec(t, "key(\(n))", kt)))))
                case .list:
                    throw .invalid("Deleting list elements by index requires a read, which is not supported yet (column \(n))")
                default:
                    throw .invalid("Invalid deletion operation for non map column \(n)")
                }
            case .field(let n, let f):
                let c = try column(n, in: t)
                guard case .udt(_, _, let fields) = c.type else {
                    throw .invalid("Invalid deletion operation for non-UDT column \(n)")
                }
                guard let i = fields.firstIndex(where: { $0.name == f }) else {
                    throw .invalid("UDT column \(n) does not have a field named \(f)")
                }
                ops.append(ColumnOperation(column: c, kind: .deleteField(i)))
            }
        }
        let ts = try optionalValue(s.using.timestamp, name: "[timestamp]", type: .bigint, table: t)
        if s.using.ttl != nil { throw .invalid("TTL attributes are not allowed on DELETE statements") }
        let r = try restrictions(s.whereClause, table: t, mode: .modification)
        try checkModificationClustering(r.clustering, table: t, ops: ops, isDelete: true)
        let pk = r.partitionKey ?? []
        let cond = try condition(s.condition, table: t, partitionKey: pk, clustering: r.clustering, timestamp: s.using.timestamp)
        var plan = ModificationPlan(kind: .delete, table: t, partitionKey: pk, clustering: r.clustering, operations: ops,
                                    ttl: nil, timestamp: ts, variables: try variableSpecifications(partitionKeyIndexes: pkIndexes(pk)))
        plan.condition = cond
        return plan
    }

    func checkModificationClustering(_ c: ClusteringRestriction, table t: TableMetadata, ops: [ColumnOperation], isDelete: Bool) throws(CQLAnalysisError) {
        let ck = t.clusteringColumns
        let full = c.prefixWidth == ck.count && !c.hasSlice
        let onlyStatic = !ops.isEmpty && ops.allSatisfy { $0.column.isStatic }
        if isDelete && ops.isEmpty {
            return  // partition, row, prefix or slice deletion
        }
        if onlyStatic {
            if !c.isEmpty && !isDelete {
                throw .invalid("Invalid restrictions on clustering columns since the UPDATE statement modifies only static columns")
            }
            return
        }
        if c.hasSlice {
            throw .invalid(isDelete ? "Range deletions are not supported for specific columns"
                                    : "Slice restrictions are not supported on the clustering columns in UPDATE statements")
        }
        if !full {
            let missing = ck.dropFirst(c.prefixWidth).map(\.name)
            if isDelete {
                throw .invalid("Primary key column '\(missing.first ?? "")' must be specified in order to delete column '\(ops.first { !$0.column.isStatic }?.column.name ?? "")'")
            }
            throw .invalid("Some clustering keys are missing: \(missing.joined(separator: ", "))")
        }
    }

    mutating func operation(_ a: Assignment, table t: TableMetadata) throws(CQLAnalysisError) -> ColumnOperation {
        let c = try column(a.column, in: t)
        if c.kind.isPrimaryKey { throw .invalid("PRIMARY KEY part \(c.name) found in SET part") }
        let receiver = spec(t, c)
        switch a {
        case .set(_, let term):
            if c.type == .counter {
                throw .invalid("Cannot set the value of counter column \(c.name) (counters can only be incremented/decremented, not set)")
            }
            // `c = c + x` arrives as .add; a plain set.
            return ColumnOperation(column: c, kind: .set(try value(term, for: receiver)))
        case .setElement(_, let key, let term):
            switch c.type {
            case .map(let kt, let vt):
                let k = try value(key, for: spec(t, "key(\(c.name))", kt))
                let v = try value(term, for: spec(t, "value(\(c.name))", vt))
                return ColumnOperation(column: c, kind: .setElement(key: k, value: v))
            case .list:
                throw .invalid("Setting list elements by index requires a read, which is not supported yet (column \(c.name))")
            default:
                throw .invalid("Invalid operation (\(c.name)[?] = ?) for non-collection column \(c.name)")
            }
        case .setField(_, let field, let term):
            guard case .udt(_, _, let fields) = c.type else {
                throw .invalid("Invalid operation (\(c.name).\(field) = ...) for non-UDT or frozen UDT column \(c.name)")
            }
            guard let i = fields.firstIndex(where: { $0.name == field }) else {
                throw .invalid("UDT column \(c.name) does not have a field named \(field)")
            }
            return ColumnOperation(column: c, kind: .setField(i, try value(term, for: spec(t, "\(c.name).\(field)", fields[i].type))))
        case .add(_, let term):
            switch c.type {
            case .list, .set, .map:
                return ColumnOperation(column: c, kind: .append(try value(term, for: receiver)))
            case .counter:
                return ColumnOperation(column: c, kind: .increment(try value(term, for: receiver), negative: false))
            default:
                throw .invalid("Invalid operation (\(c.name) = \(c.name) + ?) for non counter column \(c.name)")
            }
        case .prepend(_, let term):
            guard case .list = c.type else {
                throw .invalid("Invalid operation (\(c.name) = ? + \(c.name)) for non list column \(c.name)")
            }
            return ColumnOperation(column: c, kind: .prepend(try value(term, for: receiver)))
        case .subtract(_, let term):
            switch c.type {
            case .set:
                return ColumnOperation(column: c, kind: .remove(try value(term, for: receiver)))
            case .map(let kt, _):
                return ColumnOperation(column: c, kind: .remove(try value(term, for: spec(t, c.name, .set(kt)))))
            case .list:
                throw .invalid("Removing list elements by value requires a read, which is not supported yet (column \(c.name))")
            case .counter:
                return ColumnOperation(column: c, kind: .increment(try value(term, for: receiver), negative: true))
            default:
                throw .invalid("Invalid operation (\(c.name) = \(c.name) - ?) for non counter column \(c.name)")
            }
        }
    }

    mutating func batch(_ s: BatchStatement) throws(CQLAnalysisError) -> BatchPlan {
        if s.using.ttl != nil { throw .invalid("Global TTL on the BATCH statement is not supported.") }
        var plans: [ModificationPlan] = []
        var batchTimestamp: ValueTerm?
        inBatch = true
        for st in s.statements {
            let p: ModificationPlan
            switch st {
            case .insert(let i): p = try insert(i)
            case .update(let u): p = try update(u)
            case .delete(let d): p = try delete(d)
            default: throw .invalid("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
            }
            if s.using.timestamp != nil && p.timestamp != nil {
                throw .invalid("Timestamp must be set either on BATCH or individual statements")
            }
            plans.append(p)
        }
        try BatchPlan.checkCounterBatch(kind: s.kind, statements: plans, hasTimestamp: s.using.timestamp != nil)
        if let ts = s.using.timestamp, let first = plans.first {
            batchTimestamp = try value(ts, for: spec(first.table, "[timestamp]", .bigint))
        }
        inBatch = false
        // Sub-plans keep only the batch-wide variable list.
        let vars = try variableSpecifications()
        for i in plans.indices { plans[i].variables = vars }
        return BatchPlan(kind: s.kind, statements: plans, timestamp: batchTimestamp, variables: vars)
    }
}
