import Foundation
import HyadesCluster
import HyadesCore
import HyadesService
import HyadesStorage
import Logging

/// One simulated node: a real StorageEngine over its own directory with the simulation's
/// table, a real StorageProxy (coordinator), HintStore and HintsDispatcher, wired as
/// CoordinatorService wires them in the server, but over the simulated network. A crash
/// throws the whole incarnation away (pending callbacks included); a restart builds a new
/// one from the same directory (commit-log replay, hints files kept).
final class SimNode: @unchecked Sendable {
    let index: Int
    let host: HostID
    let directory: String
    /// Bumped at every crash: messages addressed to an earlier incarnation are dropped.
    var incarnation = 0
    var isUp = false
    var engine: StorageEngine?
    var proxy: StorageProxy?
    var hints: HintStore?
    var dispatcher: HintsDispatcher?
    var topology = ClusterTopologyHolder()
    /// This node's failure-detector view: the nodes it holds up (itself included).
    var view: Set<Int> = []
    var downSince: [HostID: Int64] = [:]
    /// Clock skew of this node's write timestamps, in ms.
    var skewMillis: Int64 = 0
    /// Reply callbacks of requests this incarnation sent, by message id.
    var pending: [UInt64: @Sendable (ReplicaReply) -> Void] = [:]

    init(index: Int, host: HostID, directory: String) {
        self.index = index
        self.host = host
        self.directory = directory
    }

    func open(sim: Simulation) throws {
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        options.commitLog = CommitLogOptions(segmentSizeBytes: 1 << 20)
        let clock = sim.clock
        options.nowInSeconds = { clock.nowSeconds }
        // Five engines restarting all the time: only their warnings are worth printing.
        var logger = Logger(label: "hyades.sim.n\(index)")
        logger.logLevel = .warning
        let engine = try StorageEngine(commitLogDirectory: directory + "/commitlog", fileSystem: PosixFileSystem(),
                                       options: options, logger: logger)
        var tableOptions = TableOptions()
        tableOptions.memtableLimitBytes = sim.memtableLimitBytes
        _ = try engine.openTable(SimSchema.table, directory: directory + "/data/sim-kv", options: tableOptions)
        try engine.replayCommitLog()
        let hints = try HintStore(directory: directory + "/hints", fileSystem: engine.fileSystem,
                                  maxWindowMillis: 3 * 3600 * 1000, maxBytesPerHost: 0,
                                  nowMillis: { clock.nowMillis })
        topology = ClusterTopologyHolder()
        let transport = SimTransport(sim: sim, from: index, incarnation: incarnation)
        let proxy = StorageProxy(engine: engine, topology: topology, transport: transport, hints: hints,
                                 replicationOf: { $0 == SimSchema.table ? SimSchema.replication : nil })
        self.engine = engine
        self.hints = hints
        self.proxy = proxy
        dispatcher = HintsDispatcher(store: hints, transport: transport, timeoutMillis: proxy.timeouts.writeRequestMillis,
                                     metrics: proxy.metrics)
        pending = [:]
        downSince = [:]
        isUp = true
    }

    /// The process dies: nothing more is answered, callbacks are gone. What the engine and
    /// the hints wrote is in the kernel and survives (a process crash, not a power loss).
    func crash() {
        isUp = false
        incarnation += 1
        pending = [:]
        proxy = nil
        dispatcher = nil
        hints?.close()
        hints = nil
        try? engine?.shutdown()
        engine = nil
        view = []
    }
}

/// The simulation's table: `k int, c int, v bigint, PRIMARY KEY (k, c)` in a keyspace with
/// SimpleStrategy RF 3, opened on every node under one fixed id.
enum SimSchema {
    static let table = TableID(high: 0x5157_0000_0000_0001, low: 0x0000_0000_0000_0001)
    static let valueColumn: ColumnID = 2
    static let replication = ReplicationParams.simple(replicationFactor: 3)
    static let replicationFactor = 3

    static func partitionKey(_ k: Int) -> DecoratedKey {
        DecoratedKey(key: withUnsafeBytes(of: Int32(k).bigEndian, Array.init))
    }

    static func clustering(_ c: Int) -> [UInt8] {
        // Infallible for an int.
        try! ClusteringEncoding.encode([withUnsafeBytes(of: Int32(c).bigEndian, Array.init)], types: [.int], descending: [false])
    }

    static func value(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

    static func readValue(_ b: [UInt8]) -> Int64? {
        guard b.count == 8 else { return nil }
        return b.reduce(0) { $0 << 8 | Int64($1) }
    }
}

/// The coordinator's ReplicaTransport in the simulation: hands every request to the
/// simulated network of one node incarnation.
final class SimTransport: ReplicaTransport, @unchecked Sendable {
    weak var sim: Simulation?
    let from: Int
    let incarnation: Int

    init(sim: Simulation, from: Int, incarnation: Int) {
        self.sim = sim
        self.from = from
        self.incarnation = incarnation
    }

    func send(_ verb: InternodeVerb, payload: [UInt8], to replica: HostID, timeoutMillis: Int64,
              reply: @escaping @Sendable (ReplicaReply) -> Void) {
        guard let sim else { return }
        sim.network.submit(SimNetwork.Outgoing(from: from, incarnation: incarnation, verb: verb, payload: payload,
                                               to: replica, timeoutMillis: timeoutMillis, reply: reply))
    }

    /// Timers of the coordinator (speculative retries): an event in simulated time, dropped
    /// if this incarnation crashed meanwhile.
    func schedule(afterMillis: Int64, _ body: @escaping @Sendable () -> Void) {
        guard let sim else { return }
        let from = from, incarnation = incarnation
        sim.schedule(at: sim.now + afterMillis) { [weak sim] in
            guard let sim, sim.nodes[from].isUp, sim.nodes[from].incarnation == incarnation else { return }
            body()
        }
    }
}

/// The simulation's clock, read by engines and hint stores (possibly from their own
/// threads, hence atomic).
final class SimClock: Sendable {
    /// An arbitrary fixed epoch, so engine times look like real ones.
    static let epochMillis: Int64 = 1_760_000_000_000
    private let millis = AtomicInt64()

    var now: Int64 { millis.load() }
    func set(_ t: Int64) { millis.store(t) }
    var nowMillis: Int64 { Self.epochMillis + now }
    var nowSeconds: Int32 { Int32(nowMillis / 1000) }
}

import Synchronization
final class AtomicInt64: Sendable {
    private let value = Atomic<Int64>(0)
    func load() -> Int64 { value.load(ordering: .relaxed) }
    func store(_ v: Int64) { value.store(v, ordering: .relaxed) }
}
