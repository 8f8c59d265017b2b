import HyadesCQL
import HyadesStorage

/// tombstone_warn_threshold / tombstone_failure_threshold on reads, as Cassandra's
/// ReadCommand applies them: a `TombstoneMonitor` is bound while the read runs (every
/// read path of the engine counts into it); past the failure threshold the engine stops
/// the read and the client gets READ_FAILURE (0x1300, Cassandra's
/// READ_TOO_MANY_TOMBSTONES); past the warn threshold the rows are answered with a client
/// warning naming the counts. Counted per page, as Cassandra counts per read command.
extension QueryProcessor {
    func monitoringTombstones(_ plan: SelectPlan, options: QueryOptions,
                              _ read: () throws -> ResultPage) throws(QueryError) -> ResultPage {
        let monitor = TombstoneMonitor(failureThreshold: tombstoneThresholds.failure)
        let page: ResultPage
        do {
            page = try TombstoneMonitor.$current.withValue(monitor) { try read() }
        } catch {
            // Read paths turn what they meet into QueryError(reading:), which keeps a
            // TombstoneOverwhelmingError as READ_FAILURE.
            var failure = QueryError(reading: error)
            if failure.code == .readFailure {
                failure.consistency = options.consistency
                failure.required = 1
                failure.alive = 0
                failure.failures = 1
            }
            throw failure
        }
        if monitor.tombstones > tombstoneThresholds.warn, let warnings = options.warnings {
            let selected = plan.resultColumns.map { SchemaDescriber.quoted($0.name) }.joined(separator: ", ")
            let query = "SELECT \(selected) FROM \(SchemaDescriber.quoted(plan.table.keyspace)).\(SchemaDescriber.quoted(plan.table.name))"
            warnings.add("Read \(monitor.liveRows) live rows and \(monitor.tombstones) tombstone cells for query "
                         + "\(query) (see tombstone_warn_threshold)")
        }
        return page
    }
}
