import HyadesClient
import HyadesProtocol
import NIOCore
import Synchronization

/// The state the workers share: which operation is next, when it is due, and when all are done.
final class StressRun: Sendable {
    let settings: StressSettings
    let schema: StressSchema
    let client: HyadesClient
    let group: any EventLoopGroup
    let loops: [any EventLoop]
    let insert: CQLPreparedStatement?
    let select: CQLPreparedStatement?
    let scan: CQLPreparedStatement?
    let options: CQLStatementOptions
    let start: NIODeadline
    let end: NIODeadline?
    /// Operations claimed so far (scan: ranges).
    private let issued = Atomic<Int>(0)
    private let running = Atomic<Int>(0)
    let finished: EventLoopPromise<Void>

    init(settings: StressSettings, schema: StressSchema, client: HyadesClient, group: any EventLoopGroup,
         insert: CQLPreparedStatement?, select: CQLPreparedStatement?, scan: CQLPreparedStatement?) {
        self.settings = settings
        self.schema = schema
        self.client = client
        self.group = group
        var loops: [any EventLoop] = []
        for l in group.makeIterator() { loops.append(l) }
        self.loops = loops
        self.insert = insert
        self.select = select
        self.scan = scan
        self.options = CQLStatementOptions(consistency: settings.consistency,
                                           timeout: .nanoseconds(Int64(settings.timeoutSeconds * 1e9)))
        self.start = .now()
        self.end = settings.durationSeconds.map { .now() + .nanoseconds(Int64($0 * 1e9)) }
        self.finished = loops[0].makePromise(of: Void.self)
    }

    func eventLoop(for worker: Int) -> any EventLoop { loops[worker % loops.count] }

    /// The next operation's number, or nil when the run is over.
    @inline(__always)
    func claim() -> Int? {
        let op = issued.wrappingAdd(1, ordering: .relaxed).oldValue
        let limit = settings.workload == .scan ? settings.ranges : settings.count
        if let limit, op >= limit { return nil }
        if let end, NIODeadline.now() >= end { return nil }
        return op
    }

    /// When operation `op` may start under `--rate` (a fixed schedule, so a slow period is
    /// followed by catching up, as with cassandra-stress's fixed rate); nil without a rate.
    @inline(__always)
    func dueTime(_ op: Int) -> NIODeadline? {
        guard let rate = settings.rate else { return nil }
        return start + .nanoseconds(Int64(Double(op) * 1e9 / rate))
    }

    func workersStarted(_ n: Int) { running.store(n, ordering: .relaxed) }

    func workerFinished() {
        if running.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
            finished.succeed(())
        }
    }

    var operationsClaimed: Int { issued.load(ordering: .relaxed) }
}
