import HyadesCore
import HyadesCQL

/// Writes to `system_traces`. In Cassandra it is a replicated keyspace of ordinary tables:
/// clients delete traces (the Python driver's tests delete a session's `duration` to make
/// it look unfinished) and truncate them. Here the traces live in the processor's
/// `TraceStore`, so a DELETE's mutation is applied to it: a partition or row deletion
/// removes the session (or the event), a cell tombstone clears that column, a range
/// tombstone removes the events it covers. Rows are written by the node's own tracing
/// only: an INSERT or UPDATE is refused with InvalidRequest.
extension QueryProcessor {
    static let tracesKeyspace = "system_traces"

    func applyToTraces(_ m: ModificationPlan, values: [CQLBoundValue], options: QueryOptions) throws(QueryError) {
        let mutation: Mutation
        do {
            mutation = try m.mutation(values: values, timestamp: options.timestamp ?? clock(), nowInSeconds: nowInSeconds)
        } catch { throw QueryError(error) }
        try applyToTraces(mutation, table: m.table)
    }

    func applyToTraces(_ mutation: Mutation, table: TableMetadata) throws(QueryError) {
        for u in mutation.updates {
            let live = (u.staticRow.map { Self.writesValues($0) } ?? false) || u.rows.contains(where: Self.writesValues)
            if live {
                throw QueryError.invalid("Only DELETE and TRUNCATE are supported on \(table.keyspace).\(table.name): its rows are written by the node's tracing")
            }
        }
        for u in mutation.updates {
            let session = u.key.key
            switch table.name {
            case "sessions":
                if !u.partitionDeletion.isLive || u.rows.contains(where: { !$0.deletion.isLive }) {
                    traces.removeSession(session)
                    continue
                }
                var columns: Set<String> = []
                for r in u.rows {
                    for c in r.columns {
                        if let name = table.columns.first(where: { $0.id == c.column })?.name { columns.insert(name) }
                    }
                }
                if !columns.isEmpty { traces.clearColumns(columns, ofSession: session) }
            case "events":
                if !u.partitionDeletion.isLive {
                    traces.removeEvents(ofSession: session) { _ in true }
                    continue
                }
                let encode: ([UInt8]) -> [UInt8]? = { id in try? table.encodeClustering([id]) }
                let rowKeys = Set(u.rows.filter { !$0.deletion.isLive || !$0.columns.isEmpty }.map(\.clustering))
                let ranges = u.rangeTombstones
                traces.removeEvents(ofSession: session) { eventID in
                    guard let ck = encode(eventID) else { return false }
                    return rowKeys.contains(ck) || ranges.contains { $0.covers(ck) }
                }
            default:
                throw QueryError.invalid("\(table.keyspace).\(table.name) cannot be modified")
            }
        }
    }

    /// Whether a row of a mutation writes anything live (an INSERT's marker, a value).
    static func writesValues(_ r: Row) -> Bool {
        if !r.liveness.isEmpty { return true }
        for c in r.columns {
            switch c {
            case .simple(_, let cell): if !cell.isTombstone { return true }
            case .complex(_, let d): if d.cells.contains(where: { !$0.isTombstone }) { return true }
            }
        }
        return false
    }
}
