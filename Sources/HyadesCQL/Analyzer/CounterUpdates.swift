import HyadesCore

/// Counters on one node. Cassandra merges counter shards by addition across replicas;
/// Hyades (single node for counters, for now) stores a counter as an ordinary bigint cell
/// holding its current value and turns `c = c + d` into a read-modify-write run by the
/// service under the partition's lock. The write (and so the commit log) carries the
/// resulting value, not the delta, so replaying the log twice gives the same value.
extension TableMetadata {
    /// Cassandra's counter table: every column besides the primary key is a counter.
    public var isCounter: Bool { columns.contains { $0.type == .counter } }
}

extension ModificationPlan {
    /// Whether the statement increments anything (a counter DELETE does not).
    public var hasIncrements: Bool {
        operations.contains { if case .increment = $0.kind { return true }; return false }
    }

    /// The same statement with every increment replaced by `c = resulting value`, given
    /// the current values of the row's counters (a counter never set counts as 0).
    public func resolvingIncrements(values: [CQLBoundValue], nowInSeconds: Int32,
                                    current: [String: Int64]) throws(CQLAnalysisError) -> ModificationPlan {
        let time = ExecutionTime(timestamp: .min, nowInSeconds: nowInSeconds)
        var ops: [ColumnOperation] = []
        for op in operations {
            guard case .increment(let term, let negative) = op.kind else { ops.append(op); continue }
            let delta: Int64
            switch try term.resolve(values, time: time) {
            case .unset: continue
            case .null: throw .invalid("Invalid null value for counter increment")
            case .value(let b):
                guard let v = CQLLiteralBytes.readInt64(b) else {
                    throw .invalid("Invalid counter increment for \(op.column.name): expected 8 bytes, got \(b.count)")
                }
                if negative && v == .min {
                    throw .invalid("The negation of \(v) overflows supported counter precision (signed 8 bytes integer)")
                }
                delta = negative ? -v : v
            }
            // Counters wrap on overflow, as Cassandra's long addition does.
            let result = (current[op.column.name] ?? 0) &+ delta
            ops.append(ColumnOperation(column: op.column, kind: .set(.constant(CQLLiteralBytes.int64(result)))))
        }
        return ModificationPlan(kind: .update, table: table, partitionKey: partitionKey, clustering: clustering,
                                operations: ops, ttl: nil, timestamp: nil, variables: variables)
    }
}

extension BatchPlan {
    /// Cassandra's batch rules for counters (BatchStatement.validate).
    public static func checkCounterBatch(kind: BatchStatement.Kind, statements: [ModificationPlan],
                                         hasTimestamp: Bool) throws(CQLAnalysisError) {
        let counters = statements.reduce(0) { $0 + ($1.isCounter ? 1 : 0) }
        if counters > 0 && hasTimestamp { throw .invalid("Cannot provide custom timestamp for counter BATCH") }
        if counters > 0 && counters < statements.count {
            throw .invalid("Counter and non-counter mutations cannot exist in the same batch")
        }
        if kind == .counter && counters < statements.count {
            throw .invalid("Cannot include non-counter statement in a counter batch")
        }
        if kind == .logged && counters > 0 { throw .invalid("Cannot include a counter statement in a logged batch") }
    }
}
