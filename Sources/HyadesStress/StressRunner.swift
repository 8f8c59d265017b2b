import Histogram
import HyadesClient
import HyadesProtocol
import NIOCore
import Synchronization

/// What a finished run measured.
public struct StressSummary: Sendable {
    public var operations: Int
    public var rows: Int
    public var errors: Int
    /// Reads that found no row.
    public var notFound: Int
    public var seconds: Double
    /// Latency percentiles in microseconds: 50, 95, 99, 99.9, max, and the mean.
    public var p50: UInt64, p95: UInt64, p99: UInt64, p999: UInt64, max: UInt64
    public var mean: Double
    public var firstErrors: [String]

    public var operationsPerSecond: Double { seconds > 0 ? Double(operations) / seconds : 0 }
    public var rowsPerSecond: Double { seconds > 0 ? Double(rows) / seconds : 0 }
}

/// Runs one stress workload against a node and prints cassandra-stress-like progress.
public enum StressRunner {
    /// Connects, creates the schema (write / mixed), prepares, runs the workers on `group`,
    /// prints a line per interval and the summary through `output`.
    public static func run(_ settings: StressSettings, group: any EventLoopGroup,
                           output: @escaping @Sendable (String) -> Void) async throws -> StressSummary {
        if let problem = settings.problem { throw CQLClientError.invalidArgument(problem) }
        let schema = StressSchema(settings)
        var config = HyadesClientConfiguration(contactPoints: ["\(settings.host):\(settings.port)"], defaultPort: settings.port)
        config.connectionsPerHost = settings.effectiveConnections
        config.consistency = settings.consistency
        config.requestTimeout = .nanoseconds(Int64(settings.timeoutSeconds * 1e9))
        config.connection.compression = settings.compression
        let client = try await HyadesClient.connect(config, group: group)
        do {
            let summary = try await run(settings, schema: schema, client: client, group: group, output: output)
            await client.close()
            return summary
        } catch {
            await client.close()
            throw error
        }
    }

    static func run(_ settings: StressSettings, schema: StressSchema, client: HyadesClient, group: any EventLoopGroup,
                    output: @escaping @Sendable (String) -> Void) async throws -> StressSummary {
        let w = settings.workload
        if w == .write || w == .mixed {
            _ = try await client.execute(schema.createKeyspace)
            _ = try await client.execute(schema.createTable)
        }
        func prepare(_ q: String) async throws -> CQLPreparedStatement {
            do { return try await client.prepare(q) } catch let e as CQLClientError where e.code == CQLClientError.invalidCode {
                throw CQLClientError.invalidArgument("\(e.message) (run `hyades stress write` first to create \(schema.qualifiedTable))")
            }
        }
        let insert = w == .write || w == .mixed ? try await prepare(schema.insert) : nil
        let select = w == .read || w == .mixed ? try await prepare(schema.select) : nil
        let scan = w == .scan ? try await prepare(schema.scan) : nil

        var plan = "Running \(w.rawValue.uppercased()) with \(settings.threads) threads"
        if w == .scan { plan += " over \(settings.ranges) token ranges, \(settings.pageSize) rows per page" }
        else if let c = settings.count { plan += " for \(c) iterations" }
        if let d = settings.durationSeconds { plan += " for \(d) seconds" }
        if let r = settings.rate { plan += " at \(Int(r)) op/s" }
        plan += "; \(settings.effectiveConnections) connection(s), \(settings.consistency)"
        if let c = settings.compression { plan += ", \(c.rawValue)" }
        output(plan)
        output(StressReport.header)

        let run = StressRun(settings: settings, schema: schema, client: client, group: group,
                            insert: insert, select: select, scan: scan)
        let recorders = run.loops.map { _ in StressRecorder() }
        let pacers = run.loops.map { StressPacer(eventLoop: $0) }
        let workers = (0..<settings.threads).map {
            StressWorker(run: run, id: $0, recorder: recorders[$0 % recorders.count], pacer: pacers[$0 % pacers.count])
        }
        run.workersStarted(workers.count)
        for wk in workers { run.eventLoop(for: wk.id).execute { wk.start() } }

        // Progress lines until every worker has stopped.
        var done = false
        var totalOps = 0, totalRows = 0, totalErrors = 0
        var last = NIODeadline.now()
        let finishedFlag = FinishFlag()
        run.finished.futureResult.whenSuccess { finishedFlag.set() }
        while !done {
            let wake = last + .nanoseconds(Int64(settings.intervalSeconds * 1e9))
            while NIODeadline.now() < wake && !finishedFlag.isSet {
                try? await Task.sleep(nanoseconds: 25_000_000)
            }
            done = finishedFlag.isSet
            let now = NIODeadline.now()
            var h = StressRecorder.makeHistogram()
            var rows = 0, errors = 0
            for r in recorders {
                let (ih, ir, ie) = r.takeInterval()
                h.add(ih)
                rows += ir
                errors += ie
            }
            let ops = Int(h.totalCount) + errors
            totalOps += ops; totalRows += rows; totalErrors += errors
            let secs = Double((now - last).nanoseconds) / 1e9
            let elapsed = Double((now - run.start).nanoseconds) / 1e9
            if ops > 0 || !done {
                output(StressReport.line(totalOps: totalOps, ops: ops, rows: rows, seconds: secs, histogram: h,
                                         elapsed: elapsed, errors: totalErrors))
            }
            last = now
        }
        let elapsed = Double((NIODeadline.now() - run.start).nanoseconds) / 1e9
        var total = StressRecorder.makeHistogram()
        var notFound = 0
        var firstErrors: [String] = []
        for r in recorders {
            r.state.withLock { s in
                total.add(s.total)
                notFound += s.notFound
                firstErrors += s.firstErrors
            }
        }
        let summary = StressSummary(operations: totalOps, rows: totalRows, errors: totalErrors, notFound: notFound,
                                    seconds: elapsed, p50: total.valueAtPercentile(50), p95: total.valueAtPercentile(95),
                                    p99: total.valueAtPercentile(99), p999: total.valueAtPercentile(99.9),
                                    max: total.max, mean: total.mean, firstErrors: Array(firstErrors.prefix(5)))
        output(StressReport.summary(summary, workload: w))
        return summary
    }
}

/// Set once from an event loop, polled by the reporter.
final class FinishFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
