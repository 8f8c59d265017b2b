import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage

/// Lightweight transactions on one node: `INSERT ... IF NOT EXISTS`, `UPDATE / DELETE ...
/// IF EXISTS` and `IF col = v AND ...`. Cassandra runs Paxos among the replicas; with one
/// replica, holding a per-partition lock across the read, the check and the write makes
/// conditional writes to a partition linearizable with respect to each other (plain
/// writes do not take the lock, as they do not take part in Paxos in Cassandra either).
/// The answer is Cassandra's: a row with `[applied]`, plus the current values when the
/// condition failed.
extension QueryProcessor {
    func executeConditional(_ m: ModificationPlan, condition: ModificationCondition,
                            values: [CQLBoundValue], options: QueryOptions) throws(QueryError) -> QueryResult {
        let key = try conditionKey(m, values: values)
        let lock = ConditionalUpdateLocks.lock(table: m.table.id, key: key.partition)
        lock.lock()
        defer { lock.unlock() }

        let check = try evaluate(m, condition: condition, key: key, values: values)
        let appliedSpec = Self.appliedSpec(m.table)
        if check.applied {
            let mutation: Mutation
            do { mutation = try m.mutation(values: values, timestamp: clock(), nowInSeconds: nowInSeconds) } catch { throw QueryError(error) }
            try requireLocalReplica(mutation, what: "Conditional updates")
            try apply(mutation, options: options, writeType: "CAS")
            return .rows(ResultPage(columns: [appliedSpec], rows: [[[1]]]))
        }
        try acknowledgeRead(options)
        guard let current = check.current else { return .rows(ResultPage(columns: [appliedSpec], rows: [[[0]]])) }
        return .rows(ResultPage(columns: [appliedSpec] + check.shown.map { check.columns[$0] },
                                rows: [[[0]] + check.shown.map { current[$0] }]))
    }

    /// A BATCH holding conditional statements (Cassandra's rule: one table, one partition):
    /// every condition is checked against its row under the partition's lock, and the
    /// whole batch is applied only if all hold. Not applied: `[applied]` false with the
    /// current rows the conditions read, one result row each: with only column
    /// conditions, the primary key columns (which rows) then the condition columns in the
    /// order the IFs name them; with an IF EXISTS / IF NOT EXISTS, every column (Cassandra's
    /// ModificationStatement.buildCasFailureResultSet for batches).
    func executeConditionalBatch(_ statements: [(ModificationPlan, [CQLBoundValue])],
                                 options: QueryOptions) throws(QueryError) -> QueryResult {
        guard let first = statements.first else { return .void }
        var keys: [ConditionKey] = []
        for (m, values) in statements {
            guard m.table.id == first.0.table.id else {
                throw QueryError.invalid("BATCH with conditions cannot span multiple tables")
            }
            let k = try conditionKey(m, values: values)
            if let p = keys.first?.partition, p != k.partition {
                throw QueryError.invalid("BATCH with conditions cannot span multiple partitions")
            }
            keys.append(k)
        }
        let lock = ConditionalUpdateLocks.lock(table: first.0.table.id, key: keys[0].partition)
        lock.lock()
        defer { lock.unlock() }

        var applied = true
        var rows: [[[UInt8]?]] = []
        var columns: [ColumnSpecification] = []
        var seen = Set<[CQLBoundValue]>()
        for ((m, values), key) in zip(statements, keys) {
            guard let condition = m.condition else { continue }
            let check = try evaluate(m, condition: condition, key: key, values: values)
            if !check.applied { applied = false }
            columns = check.columns
            if let current = check.current, seen.insert(key.row).inserted { rows.append(current) }
        }
        let appliedSpec = Self.appliedSpec(first.0.table)
        if applied {
            let mutation: Mutation
            do {
                // Like single conditional writes, the node's clock, not a client timestamp.
                mutation = try BatchPlan.mutation(of: statements, timestamp: clock(), nowInSeconds: nowInSeconds)
            } catch { throw QueryError(error) }
            try requireLocalReplica(mutation, what: "Conditional updates")
            try apply(mutation, options: options, writeType: "CAS")
            return .rows(ResultPage(columns: [appliedSpec], rows: [[[1]]]))
        }
        try acknowledgeRead(options)
        guard !rows.isEmpty else { return .rows(ResultPage(columns: [appliedSpec], rows: [[[0]]])) }
        let shown = Self.batchFailureColumns(statements.map(\.0), available: columns)
        return .rows(ResultPage(columns: [appliedSpec] + shown.map { columns[$0] },
                                rows: rows.map { r in [[0]] + shown.map { r[$0] } }))
    }

    /// Indexes into `available` (a SELECT * row) of the columns a failed conditional batch
    /// shows: all of them when a statement has IF [NOT] EXISTS, else the primary key
    /// columns followed by each condition's column once, in the order of the IFs.
    static func batchFailureColumns(_ statements: [ModificationPlan], available: [ColumnSpecification]) -> [Int] {
        var names: [String] = []
        for m in statements {
            switch m.condition {
            case .ifExists, .ifNotExists: return Array(available.indices)
            case .columns(let conditions): names.append(contentsOf: conditions.map(\.column.name))
            case nil: break
            }
        }
        guard let table = statements.first?.table else { return [] }
        var out: [Int] = []
        for name in table.partitionKeyColumns.map(\.name) + table.clusteringColumns.map(\.name) + names {
            if let i = available.firstIndex(where: { $0.name == name }), !out.contains(i) { out.append(i) }
        }
        return out
    }

    /// A condition that failed answers with the values it read, which may come from writes
    /// not durable yet: the answer waits for everything appended so far, as a write would.
    func acknowledgeRead(_ options: QueryOptions) throws(QueryError) {
        let engine = schema.engine
        let appended = CommitLogAppend(position: engine.currentCommitLogPosition, needsSync: engine.acknowledgementNeedsSync)
        if let ack = options.acknowledgement {
            ack.require(appended)
            return
        }
        do { try engine.waitUntilAcknowledgeable(appended) } catch { throw QueryError.server("Write failed: \(error)") }
    }

    static func appliedSpec(_ t: TableMetadata) -> ColumnSpecification {
        ColumnSpecification(keyspace: t.keyspace, table: t.name, name: "[applied]", type: .boolean)
    }

    /// The resolved primary key a conditional statement reads and writes.
    struct ConditionKey {
        var columns: [ColumnMetadata]
        /// Partition key values, then the clustering prefix.
        var row: [CQLBoundValue]
        var partitionCount: Int
        var partition: [CQLBoundValue] { Array(row.prefix(partitionCount)) }
    }

    func conditionKey(_ m: ModificationPlan, values: [CQLBoundValue],
                      purpose: String = "conditional updates") throws(QueryError) -> ConditionKey {
        let time = ExecutionTime(timestamp: .min, nowInSeconds: nowInSeconds)
        var key = ConditionKey(columns: [], row: [], partitionCount: m.table.partitionKeyColumns.count)
        func resolve(_ kv: KeyValues, _ column: ColumnMetadata) throws(QueryError) {
            guard case .eq(let term) = kv else {
                throw QueryError.invalid("IN on the primary key is not supported with \(purpose)")
            }
            let resolved: ResolvedValue
            do { resolved = try term.resolve(values, time: time) } catch { throw QueryError(error) }
            guard case .value(let bytes) = resolved else {
                throw QueryError.invalid("Invalid null value for primary key column \(column.name)")
            }
            key.row.append(.value(bytes))
            key.columns.append(column)
        }
        for (kv, c) in zip(m.partitionKey, m.table.partitionKeyColumns) { try resolve(kv, c) }
        for (kv, c) in zip(m.clustering.prefix, m.table.clusteringColumns) { try resolve(kv, c) }
        return key
    }

    /// Reads the statement's current row and checks its condition (caller holds the lock).
    func evaluate(_ m: ModificationPlan, condition: ModificationCondition, key: ConditionKey,
                  values: [CQLBoundValue]) throws(QueryError)
        -> (applied: Bool, columns: [ColumnSpecification], current: [[UInt8]?]?, shown: [Int]) {
        let (columns, current) = try currentRow(m.table, keyColumns: key.columns, keyValues: key.row)
        var applied: Bool
        var shown: [Int] = []
        switch condition {
        case .ifNotExists:
            applied = current == nil
            shown = Array(columns.indices)
        case .ifExists:
            applied = current != nil
        case .columns(let conditions):
            applied = true
            for c in conditions {
                let bound: BoundCondition
                do { bound = try c.bind(values) } catch { throw QueryError(error) }
                let index = columns.firstIndex { $0.name == c.column.name }
                if let index, !shown.contains(index) { shown.append(index) }
                if !bound.matches(index.flatMap { current?[$0] }) { applied = false }
            }
            shown.sort()
        }
        return (applied, columns, current, shown)
    }

    /// The row (or, with only the partition key, the partition's first row) the condition
    /// is checked against, through the ordinary SELECT path: nil when there is none.
    func currentRow(_ t: TableMetadata, keyColumns: [ColumnMetadata],
                            keyValues: [CQLBoundValue]) throws(QueryError) -> ([ColumnSpecification], [[UInt8]?]?) {
        let restriction = keyColumns.map { SchemaDescriber.quoted($0.name) + " = ?" }.joined(separator: " AND ")
        let text = "SELECT * FROM \(SchemaDescriber.quoted(t.keyspace)).\(SchemaDescriber.quoted(t.name)) WHERE \(restriction) LIMIT 1"
        guard case .select(let plan) = try analyze(text, keyspace: nil) else {
            throw QueryError.server("conditional update: the read of the current row did not analyze as a SELECT")
        }
        let page = try select(plan, values: keyValues, options: QueryOptions())
        return (page.columns, page.rows.first)
    }
}

/// Striped locks: a conditional write holds the stripe of its partition from the read to
/// the write. 1024 stripes keep unrelated partitions from waiting on each other.
enum ConditionalUpdateLocks {
    static let stripes: [NSLock] = (0..<1024).map { _ in NSLock() }

    static func lock(table: TableID, key: [CQLBoundValue]) -> NSLock {
        // FNV-1a over the table id and the key bytes.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ b: UInt8) { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        for b in "\(table)".utf8 { mix(b) }
        for v in key {
            if case .value(let bytes) = v { for b in bytes { mix(b) } }
            mix(0xFF)
        }
        return stripes[Int(h % UInt64(stripes.count))]
    }
}

extension QueryProcessor {
    /// `BEGIN BATCH ... IF ... APPLY BATCH` from text: the statements share the values and
    /// the batch's USING TIMESTAMP (refused with conditions, as Cassandra does).
    func conditionalBatch(_ b: BatchPlan, values: [CQLBoundValue], options: QueryOptions) throws(QueryError) -> QueryResult {
        if b.timestamp != nil { throw QueryError.invalid("Cannot provide custom timestamp for conditional BATCH") }
        return try executeConditionalBatch(b.statements.map { ($0, values) }, options: options)
    }
}
