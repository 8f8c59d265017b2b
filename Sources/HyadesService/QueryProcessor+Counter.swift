import Foundation
import HyadesCore
import HyadesCQL

/// Counters on one node. An increment reads the counter's current value, adds the delta
/// and writes the result, all under the same per-partition lock the LWT path takes, so
/// increments of a partition are linearizable with respect to each other (and to
/// conditional writes). The commit log records the resulting value, so replay is
/// idempotent. Several replicas would need Cassandra's counter shards (per-replica
/// sub-counters merged by addition); that is a later issue.
extension QueryProcessor {
    /// One statement on a counter table: increments, or a DELETE of counters / rows.
    func executeCounter(_ m: ModificationPlan, values: [CQLBoundValue], options: QueryOptions) throws(QueryError) {
        guard m.hasIncrements else {
            // A DELETE: an ordinary write, timed after every increment already applied.
            let mutation: Mutation
            do {
                mutation = try m.mutation(values: values, timestamp: options.timestamp ?? CounterClock.shared.next(clock()),
                                          nowInSeconds: nowInSeconds)
            } catch { throw QueryError(error) }
            try apply(mutation, options: options)
            return
        }
        let key = try conditionKey(m, values: values, purpose: "counter updates")
        let lock = ConditionalUpdateLocks.lock(table: m.table.id, key: key.partition)
        lock.lock()
        defer { lock.unlock() }

        let (columns, row) = try currentRow(m.table, keyColumns: key.columns, keyValues: key.row)
        var current: [String: Int64] = [:]
        if let row {
            for (i, c) in columns.enumerated() where c.type == .counter {
                guard let b = row[i], b.count == 8 else { continue }
                current[c.name] = b.withUnsafeBytes { Int64(bigEndian: $0.loadUnaligned(as: Int64.self)) }
            }
        }
        let mutation: Mutation
        do {
            let resolved = try m.resolvingIncrements(values: values, nowInSeconds: nowInSeconds, current: current)
            // Strictly increasing timestamps: two increments in one microsecond must not
            // tie (a tie is resolved by value, which would lose a decrement).
            mutation = try resolved.mutation(values: values, timestamp: CounterClock.shared.next(clock()), nowInSeconds: nowInSeconds)
        } catch { throw QueryError(error) }
        try requireLocalReplica(mutation, what: "Counter updates")
        try apply(mutation, options: options, writeType: "COUNTER")
    }

    /// A batch of counter statements (BEGIN COUNTER BATCH, or a protocol batch): applied
    /// one after the other, each atomic on its partition, as Cassandra's counter batches
    /// are not atomic across partitions either.
    func executeCounterBatch(_ statements: [(ModificationPlan, [CQLBoundValue])], options: QueryOptions) throws(QueryError) {
        for (m, values) in statements { try executeCounter(m, values: values, options: options) }
    }
}

/// Hands out write timestamps for counters that never repeat or go backwards.
final class CounterClock: @unchecked Sendable {
    static let shared = CounterClock()
    private let lock = NSLock()
    private var last: Int64 = 0

    func next(_ now: Int64) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        last = max(now, last + 1)
        return last
    }
}
