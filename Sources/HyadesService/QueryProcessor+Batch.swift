import HyadesCore
import HyadesCQL

/// One statement of a protocol BATCH message.
public enum BatchChild: Sendable, Hashable {
    case query(String, values: [CQLBoundValue])
    case prepared(id: [UInt8], values: [CQLBoundValue])
}

extension QueryProcessor {
    /// The native protocol's BATCH message: each child is a query string or a prepared id
    /// with its own values; all become one mutation with one timestamp (Spark's unlogged
    /// batches of prepared inserts arrive this way).
    public func executeBatch(_ children: [BatchChild], state: inout ClientState,
                             options: QueryOptions = QueryOptions()) throws(QueryError) -> QueryResult {
        var statements: [(ModificationPlan, [CQLBoundValue])] = []
        statements.reserveCapacity(children.count)
        // Re-analysis of each text child would dominate large batches: cache per batch.
        var analyzed: [String: StatementPlan] = [:]
        for child in children {
            let plan: StatementPlan, values: [CQLBoundValue]
            switch child {
            case .query(let cql, let v):
                if let p = analyzed[cql] { plan = p } else {
                    plan = try analyze(cql, keyspace: state.keyspace)
                    analyzed[cql] = plan
                }
                values = v
            case .prepared(let id, let v):
                plan = try preparedPlan(id: id)
                values = v
            }
            var modification: StatementPlan = plan
            if case .insertJSON(let j) = plan {
                do { modification = .modification(try j.modification(values: values, schema: analysisSchema)) } catch { throw QueryError(error) }
            }
            guard case .modification(let m) = modification else {
                throw QueryError.invalid("Invalid statement in batch: only UPDATE, INSERT and DELETE statements are allowed.")
            }
            try refuseSystem(m.table.keyspace)
            do { try m.variables.checkBound(values) } catch { throw QueryError(error) }
            statements.append((m, values))
        }
        try checkConsistency(.batch(BatchPlan(kind: .logged, statements: statements.map(\.0), timestamp: nil,
                                              variables: VariableSpecifications())), options: options)
        if statements.contains(where: { $0.0.condition != nil }) {
            return try executeConditionalBatch(statements, options: options)
        }
        let counters = statements.reduce(0) { $0 + ($1.0.isCounter ? 1 : 0) }
        if counters > 0 {
            // The message's batch type is not passed down; the mixing rule still holds.
            guard counters == statements.count else {
                throw QueryError.invalid("Counter and non-counter mutations cannot exist in the same batch")
            }
            try executeCounterBatch(statements, options: options)
            return .void
        }
        let mutation: Mutation
        do {
            mutation = try BatchPlan.mutation(of: statements, timestamp: options.timestamp ?? clock(), nowInSeconds: nowInSeconds)
        } catch { throw QueryError(error) }
        try verifyBatch(mutation, type: options.batchType, options: options)
        try apply(mutation, options: options, writeType: options.batchType == .unlogged ? "UNLOGGED_BATCH" : "BATCH")
        return .void
    }

    /// Size limits and client warnings of a batch's mutation (`BatchGuards`).
    func verifyBatch(_ mutation: Mutation, type: BatchType, options: QueryOptions) throws(QueryError) {
        try batchGuards.verify(mutation, type: type, warnings: options.warnings) { [schema] id in
            for ks in schema.snapshot.keyspaces.values {
                if let t = ks.tables.values.first(where: { $0.id == id }) { return "\(t.keyspace).\(t.name)" }
            }
            return "\(id)"
        }
    }
}
