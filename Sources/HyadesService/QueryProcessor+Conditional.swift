import Foundation
import HyadesCore
import HyadesCQL

/// Lightweight transactions on one node: `INSERT ... IF NOT EXISTS`, `UPDATE / DELETE ...
/// IF EXISTS` and `IF col = v AND ...`. Cassandra runs Paxos among the replicas; with one
/// replica, holding a per-partition lock across the read, the check and the write makes
/// conditional writes to a partition linearizable with respect to each other (plain
/// writes do not take the lock, as they do not take part in Paxos in Cassandra either).
/// The answer is Cassandra's: a row with `[applied]`, plus the current values when the
/// condition failed.
extension QueryProcessor {
    func executeConditional(_ m: ModificationPlan, condition: ModificationCondition,
                            values: [CQLBoundValue]) throws(QueryError) -> QueryResult {
        let time = ExecutionTime(timestamp: 0, nowInSeconds: nowInSeconds)
        var keyValues: [CQLBoundValue] = []
        var keyColumns: [ColumnMetadata] = []
        func resolveKey(_ kv: KeyValues, _ column: ColumnMetadata) throws(QueryError) {
            guard case .eq(let term) = kv else {
                throw QueryError.invalid("IN on the primary key is not supported with conditional updates")
            }
            let resolved: ResolvedValue
            do { resolved = try term.resolve(values, time: time) } catch { throw QueryError(error) }
            guard case .value(let bytes) = resolved else {
                throw QueryError.invalid("Invalid null value for primary key column \(column.name)")
            }
            keyValues.append(.value(bytes))
            keyColumns.append(column)
        }
        for (kv, c) in zip(m.partitionKey, m.table.partitionKeyColumns) { try resolveKey(kv, c) }
        for (kv, c) in zip(m.clustering.prefix, m.table.clusteringColumns) { try resolveKey(kv, c) }

        let lock = ConditionalUpdateLocks.lock(table: m.table.id, key: keyValues)
        lock.lock()
        defer { lock.unlock() }

        let (columns, current) = try currentRow(m.table, keyColumns: keyColumns, keyValues: keyValues)
        var applied: Bool
        var shownColumns: [Int] = []
        switch condition {
        case .ifNotExists:
            applied = current == nil
            shownColumns = Array(columns.indices)
        case .ifExists:
            applied = current != nil
        case .columns(let conditions):
            applied = true
            for c in conditions {
                let bound: BoundCondition
                do { bound = try c.bind(values) } catch { throw QueryError(error) }
                let index = columns.firstIndex { $0.name == c.column.name }
                if let index, !shownColumns.contains(index) { shownColumns.append(index) }
                if !bound.matches(index.flatMap { current?[$0] }) { applied = false }
            }
            shownColumns.sort()
        }

        let appliedSpec = ColumnSpecification(keyspace: m.table.keyspace, table: m.table.name, name: "[applied]", type: .boolean)
        if applied {
            let mutation: Mutation
            do { mutation = try m.mutation(values: values, timestamp: clock(), nowInSeconds: nowInSeconds) } catch { throw QueryError(error) }
            try apply(mutation)
            return .rows(ResultPage(columns: [appliedSpec], rows: [[[1]]]))
        }
        guard let current else { return .rows(ResultPage(columns: [appliedSpec], rows: [[[0]]])) }
        return .rows(ResultPage(columns: [appliedSpec] + shownColumns.map { columns[$0] },
                                rows: [[[0]] + shownColumns.map { current[$0] }]))
    }

    /// The row (or, with only the partition key, the partition's first row) the condition
    /// is checked against, through the ordinary SELECT path: nil when there is none.
    private func currentRow(_ t: TableMetadata, keyColumns: [ColumnMetadata],
                            keyValues: [CQLBoundValue]) throws(QueryError) -> ([ColumnSpecification], [[UInt8]?]?) {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let restriction = keyColumns.map { quoted($0.name) + " = ?" }.joined(separator: " AND ")
        let text = "SELECT * FROM \(quoted(t.keyspace)).\(quoted(t.name)) WHERE \(restriction) LIMIT 1"
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
