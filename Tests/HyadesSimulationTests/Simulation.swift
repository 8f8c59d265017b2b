import Foundation
import HyadesCluster
import HyadesCore
import HyadesService
import HyadesStorage

/// What one simulated run does; the defaults are what CI runs per seed.
struct SimConfig {
    var nodes = 5
    var tokensPerNode = 4
    var keys = 6
    var clusterings = 3
    /// Client operations, issued at random times in `durationMillis` to random live nodes.
    var operations = 120
    var durationMillis: Int64 = 30_000
    /// Crashes, partitions and loss bursts injected while clients run.
    var faults = 2...10
    /// nil: chosen by the seed, small enough on most seeds that memtables flush to
    /// SSTables (in the engine's background) and crashes replay past flushed positions.
    var memtableLimitBytes: Int?
    /// Checker self-test: node 0 acknowledges mutations, hints and read repairs without
    /// applying them. Every
    /// run with it must report violations, or the checks cannot fail.
    var lyingReplica = false
}

/// One client operation and what became of it.
struct SimOp {
    enum Kind: Equatable {
        case write(Int64)
        case delete
        case read
        /// A scan of the whole table, piece by piece in ring order, paged.
        case scan
    }
    var id: Int
    var kind: Kind
    var key: Int
    var clustering: Int
    var consistency: ConsistencyLevel
    var coordinator: Int
    var timestamp: Int64 = 0
    var startTime: Int64
    var startStep: Int
    /// The logical step at which the coordinator acknowledged it (writes).
    var ackStep: Int?
    var outcome = "pending"
    /// Its coordinator crashed before every replica's answer or timeout: replicas may
    /// differ about it until a read repairs them (no hint was written).
    var orphaned = false

    var isWrite: Bool { kind != .read && kind != .scan }
}

/// A cell's resolved state on a replica or in an answer: the newest write or deletion.
struct SimVersion: Equatable, CustomStringConvertible {
    var timestamp: Int64
    var live: Bool
    var value: Int64?
    var description: String { live ? "live(ts \(timestamp), v \(value.map(String.init) ?? "?"))" : "deleted(ts \(timestamp))" }
}

struct SimReport {
    var seed: UInt64
    var violations: [String]
    var summary: String
    var trace: [String]
}

/// Five nodes in one process over a seeded, simulated network (SimNetwork), driven by one
/// event queue in simulated time: client operations through each node's real StorageProxy,
/// crashes and restarts (engine reopened with commit-log replay), partitions, message loss,
/// clock skew, failure-detector views that follow the faults late, hints and their replay.
/// No wall clock and no threads decide anything: one seed replays one run exactly.
final class Simulation: @unchecked Sendable {
    let seed: UInt64
    let config: SimConfig
    var rng: SimRandom
    let clock = SimClock()
    private var queue = EventQueue()
    private(set) var now: Int64 = 0
    lazy var network = SimNetwork(sim: self)
    var nodes: [SimNode] = []
    let root: String
    var ring = TokenMetadata()
    let location = Location(dataCenter: "datacenter1", rack: "rack1")
    private var hostIndex: [HostID: Int] = [:]
    private var clusteringIndex: [[UInt8]: Int] = [:]

    // History and checks.
    var ops: [SimOp] = []
    private var opByTimestamp: [Int64: Int] = [:]
    private var step = 0
    var violations: [String] = []
    var trace: [String] = []
    /// Calm network for the final phase: no loss, short delays.
    var calm = false
    private var finalReads = 0
    private var digestDifferences = 0
    var memtableLimitBytes = 64 << 20
    private var crashes = 0, partitions = 0, readsChecked = 0, divergencesFromOrphans = 0

    init(seed: UInt64, config: SimConfig = SimConfig()) {
        self.seed = seed
        self.config = config
        rng = SimRandom(seed: seed)
        root = NSTemporaryDirectory() + "hyades-sim-\(seed)-" + UUID().uuidString
        for c in 0..<config.clusterings { clusteringIndex[SimSchema.clustering(c)] = c }
    }

    func index(of host: HostID) -> Int? { hostIndex[host] }

    func schedule(at time: Int64, _ run: @escaping () -> Void) {
        queue.schedule(at: max(time, now), run)
    }

    func log(_ s: String) { trace.append("[\(now) ms] \(s)") }

    func violation(_ s: String) {
        log("VIOLATION: " + s)
        violations.append("[\(now) ms] " + s)
    }

    /// Runs events up to `time` (or until `until` holds, checked after each event).
    func run(to time: Int64, until: () -> Bool = { false }) {
        while let t = queue.nextTime, t <= time {
            let e = queue.pop()!
            now = e.time
            clock.set(now)
            e.run()
            network.flush()
            if until() { return }
        }
        now = max(now, time)
        clock.set(now)
    }

    // MARK: the cluster

    func setUp() throws {
        var used = Set<Int64>()
        var members: [(Endpoint, [Token])] = []
        for i in 0..<config.nodes {
            let host = HostID(high: 0x5157_0000_0000_0000 | UInt64(i + 1), low: 0x1000 + UInt64(i))
            hostIndex[host] = i
            let node = SimNode(index: i, host: host, directory: root + "/node\(i)")
            node.skewMillis = Int64(rng.int(in: -400...400))
            nodes.append(node)
            var tokens: [Token] = []
            while tokens.count < config.tokensPerNode {
                let t = Int64(bitPattern: rng.next())
                if used.insert(t).inserted { tokens.append(Token(t)) }
            }
            members.append((Endpoint(hostID: host, address: "10.0.0.\(i + 1)", location: location), tokens))
        }
        ring = try TokenMetadata(members)
        memtableLimitBytes = config.memtableLimitBytes ?? [1 << 10, 4 << 10, 64 << 20][rng.below(3)]
        // Now and then one node's clock is far off (last write wins by timestamp, so its
        // writes shadow newer ones: allowed, the checks go by timestamps).
        if rng.chance(0.2) { nodes[rng.below(config.nodes)].skewMillis = Int64(rng.int(in: -5000...5000)) }
        network.lossRate = [0.0, 0.01, 0.03][rng.below(3)]
        for node in nodes {
            try node.open(sim: self)
            node.view = Set(0..<config.nodes)
            publish(node)
            startHintTicks(node)
        }
        log("ring of \(config.nodes) nodes x \(config.tokensPerNode) tokens, memtables \(memtableLimitBytes) B, loss \(network.lossRate), skews "
            + nodes.map { "n\($0.index):\($0.skewMillis)ms" }.joined(separator: " "))
    }

    func tearDown() {
        for n in nodes where n.isUp { n.crash() }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Publishes node's failure-detector view as its topology (CoordinatorService.ringChanged):
    /// down-since times for the newly down, hint replay to the newly up.
    func publish(_ node: SimNode) {
        let alive = Set(node.view.map { nodes[$0].host })
        let before = node.topology.current?.alive ?? alive
        var cameUp: [HostID] = []
        for n in nodes where n.host != node.host {
            if alive.contains(n.host) {
                node.downSince[n.host] = nil
                if !before.contains(n.host) { cameUp.append(n.host) }
            } else if node.downSince[n.host] == nil {
                node.downSince[n.host] = clock.nowMillis
            }
        }
        node.topology.update(ClusterTopology(local: node.host, localLocation: location, ring: ring, alive: alive,
                                             downSinceMillis: node.downSince))
        guard let hints = node.hints, let dispatcher = node.dispatcher else { return }
        let waiting = Set(hints.hostsWithHints)
        for host in cameUp.sorted() where waiting.contains(host) {
            log("n\(node.index) sees n\(hostIndex[host]!) up: replaying hints")
            dispatcher.dispatch(to: host)
        }
    }

    /// Every 10 s, hints for nodes held up are retried (CoordinatorService.dispatchPendingHints).
    func startHintTicks(_ node: SimNode) {
        let incarnation = node.incarnation
        schedule(at: now + 10_000) { [unowned self] in
            guard node.isUp, node.incarnation == incarnation else { return }
            if let hints = node.hints, let dispatcher = node.dispatcher, let t = node.topology.current {
                for host in hints.hostsWithHints where host != node.host && t.isAlive(host) {
                    dispatcher.dispatch(to: host)
                }
            }
            startHintTicks(node)
        }
    }

    /// Whom `observer` hears from now (a failure detector convicts the silent).
    func truth(for observer: Int) -> Set<Int> {
        var s: Set<Int> = [observer]
        for n in nodes where n.isUp && network.connected(n.index, observer) { s.insert(n.index) }
        return s
    }

    /// A fault began or ended: each live node's failure detector notices after its own delay.
    func faultsChanged() {
        for node in nodes where node.isUp {
            let incarnation = node.incarnation
            schedule(at: now + Int64(rng.int(in: 200...3000))) { [unowned self] in
                guard node.isUp, node.incarnation == incarnation else { return }
                let view = truth(for: node.index)
                guard view != node.view else { return }
                log("n\(node.index) failure detector: up \(view.sorted())")
                node.view = view
                publish(node)
            }
        }
    }

    /// Coordinator counters of every incarnation so far.
    var metrics = (digestMismatches: 0, readRepairs: 0, hintsWritten: 0, hintsDropped: 0, hintsReplayed: 0)

    func collectMetrics(_ node: SimNode) {
        guard let c = node.proxy?.metrics.snapshot else { return }
        metrics.digestMismatches += c.digestMismatches
        metrics.readRepairs += c.readRepairs
        metrics.hintsWritten += c.hintsWritten
        metrics.hintsDropped += c.hintsDropped
        metrics.hintsReplayed += c.hintsReplayed
    }

    func crash(_ i: Int) {
        let node = nodes[i]
        guard node.isUp else { return }
        collectMetrics(node)
        crashes += 1
        log("CRASH n\(i)")
        // Writes it coordinated within a write timeout may have reached only some replicas,
        // with no hint for the others.
        let horizon = now - (node.proxy?.timeouts.writeRequestMillis ?? 2000) - 1
        for k in ops.indices where ops[k].coordinator == i && ops[k].isWrite && ops[k].startTime >= horizon {
            ops[k].orphaned = true
        }
        node.crash()
        faultsChanged()
    }

    func restart(_ i: Int) {
        let node = nodes[i]
        guard !node.isUp else { return }
        do {
            try node.open(sim: self)
        } catch {
            violation("n\(i) failed to restart: \(error)")
            return
        }
        node.skewMillis = Int64(rng.int(in: -400...400))
        node.view = truth(for: i)
        log("RESTART n\(i) (skew \(node.skewMillis) ms, sees \(node.view.sorted()))")
        publish(node)
        startHintTicks(node)
        faultsChanged()
    }

    // MARK: replica side

    /// A request delivered to node `target` (the server's ReplicaVerbService).
    func handle(_ verb: InternodeVerb, _ payload: [UInt8], at target: Int, from: Int) -> ReplicaReply {
        guard let engine = nodes[target].engine else { return .failure("node down") }
        let handler = ReplicaVerbHandler(engine: engine)
        do {
            switch verb {
            case .mutationReq, .readRepairReq, .hintReq:
                if config.lyingReplica && target == 0 { return .response([]) }
                let appended = try handler.applyMutation(payload)
                try engine.write(upTo: appended.position)
                if appended.needsSync { try engine.waitUntilAcknowledgeable(appended) }
                return .response([])
            case .readReq:
                return .response(try handler.read(payload))
            case .rangeReq:
                return .response(try handler.range(payload))
            default:
                return .failure("unexpected verb \(verb)")
            }
        } catch {
            return .failure("\(error)")
        }
    }

    // MARK: clients

    func nextStep() -> Int {
        step += 1
        return step
    }

    func uniqueTimestamp(_ node: SimNode) -> Int64 {
        var ts = (clock.nowMillis + node.skewMillis) * 1000 + Int64(rng.below(1000))
        while opByTimestamp[ts] != nil { ts += 1 }
        return ts
    }

    func startOperation() {
        let live = nodes.filter { $0.isUp }
        guard !live.isEmpty else { return }
        let node = live[rng.below(live.count)]
        let r = rng.below(100)
        let kind: SimOp.Kind = r < 50 ? .write(Int64(ops.count + 1)) : (r < 65 ? .delete : (r < 90 ? .read : .scan))
        let key = rng.below(config.keys), clustering = rng.below(config.clusterings)
        let c = rng.below(100)
        let consistency: ConsistencyLevel = c < 70 ? .quorum : (c < 85 ? .one : .all)
        let op = SimOp(id: ops.count, kind: kind, key: key, clustering: clustering, consistency: consistency,
                       coordinator: node.index, startTime: now, startStep: nextStep())
        guard let proxy = node.proxy, let engine = node.engine, let topology = node.topology.current else { return }
        let id = op.id
        if kind == .scan {
            ops.append(op)
            log("op \(id): n\(node.index) scans the table at \(consistency)")
            do {
                let splits = proxy.splits(.all, params: SimSchema.replication, topology: topology)
                for split in splits { _ = try proxy.rangeTargets(split, params: SimSchema.replication, consistency: consistency, topology: topology) }
                scanNext(id, node: node, incarnation: node.incarnation, splits: splits[...], topology: topology, found: [])
            } catch {
                ops[id].outcome = "\(error.code)"
                log("op \(id): \(error)")
            }
            return
        }
        if case .read = kind {
            ops.append(op)
            log("op \(id): n\(node.index) reads k\(key) at \(consistency)")
            do {
                try proxy.readPartition(SimSchema.table, key: SimSchema.partitionKey(key), slices: .all,
                                        consistency: consistency, topology: topology) { [unowned self] result in
                    readDone(id, result)
                }
            } catch {
                ops[id].outcome = "\(error.code)"
                log("op \(id): \(error)")
            }
            return
        }
        // Now and then a batch: rows of two or three partitions in one mutation (each row
        // its own operation in the history, acknowledged together).
        var keys = [key]
        if rng.chance(0.15) {
            let size = rng.int(in: 2...3)
            while keys.count < size {
                let k = rng.below(config.keys)
                if !keys.contains(k) { keys.append(k) }
            }
        }
        var ids: [Int] = []
        var updates: [PartitionUpdate] = []
        for (n, k) in keys.enumerated() {
            var rowOp = op
            rowOp.id = ops.count
            rowOp.key = k
            if n > 0 {
                rowOp.clustering = rng.below(config.clusterings)
                rowOp.kind = rng.chance(0.75) ? .write(Int64(rowOp.id + 1)) : .delete
            }
            rowOp.timestamp = uniqueTimestamp(node)
            var row = Row(clustering: SimSchema.clustering(rowOp.clustering))
            switch rowOp.kind {
            case .write(let v):
                row.liveness = LivenessInfo(timestamp: rowOp.timestamp)
                row.columns = [.simple(SimSchema.valueColumn, .live(timestamp: rowOp.timestamp, value: SimSchema.value(v)))]
            default:
                row.deletion = DeletionTime(markedForDeleteAt: rowOp.timestamp, localDeletionTime: clock.nowSeconds)
            }
            ops.append(rowOp)
            opByTimestamp[rowOp.timestamp] = rowOp.id
            ids.append(rowOp.id)
            updates.append(PartitionUpdate(table: SimSchema.table, key: SimSchema.partitionKey(k), rows: [row]))
            log("op \(rowOp.id): n\(node.index) \(rowOp.kind == .delete ? "deletes" : "writes \(rowOp.kind)") k\(k) c\(rowOp.clustering) "
                + "ts \(rowOp.timestamp) at \(consistency)" + (keys.count > 1 ? " (batch of ops \(ids.first!)...)" : ""))
        }
        do {
            try proxy.mutate(Mutation(updates), consistency: consistency, writeType: keys.count > 1 ? "UNLOGGED_BATCH" : "SIMPLE",
                             topology: topology,
                             applyLocally: { (m: Mutation) throws(QueryError) in try SimLocalWrite.apply(engine, m) },
                             completion: { [unowned self, ids] error in writeDone(ids, error) })
        } catch {
            for id in ids { ops[id].outcome = "\(error.code)" }
            log("ops \(ids): \(error)")
        }
    }

    func writeDone(_ ids: [Int], _ error: QueryError?) {
        let step = nextStep()
        for id in ids {
            if let error {
                ops[id].outcome = "\(error.code)"
            } else {
                ops[id].outcome = "ok"
                ops[id].ackStep = step
            }
        }
        log("op\(ids.count > 1 ? "s \(ids)" : " \(ids[0])") " + (error.map { "failed: \($0)" } ?? "acknowledged"))
    }

    /// The scan's next piece (as DistributedRangeSource reads them): from the local engine
    /// when this node alone meets the level, else chunks of a few partitions from the
    /// replicas, reconciled and repaired, resuming after each chunk's last partition.
    func scanNext(_ id: Int, node: SimNode, incarnation: Int, splits: ArraySlice<StorageProxy.RangeSplit>,
                  topology: ClusterTopology, found: [PartitionUpdate]) {
        guard node.isUp, node.incarnation == incarnation, let proxy = node.proxy, let engine = node.engine else { return }
        guard let split = splits.first else {
            ops[id].outcome = "ok"
            var byKey: [Int: PartitionUpdate] = [:]
            for p in found {
                guard let k = (0..<config.keys).first(where: { SimSchema.partitionKey($0) == p.key }) else {
                    violation("op \(id) (scan) returned a partition no operation wrote: \(p.key)")
                    continue
                }
                if byKey[k] != nil { violation("op \(id) (scan) returned k\(k) twice") }
                byKey[k] = p
            }
            let order = found.map(\.key)
            if order != order.sorted() { violation("op \(id) (scan) returned partitions out of ring order") }
            log("op \(id) scanned \(found.count) partitions")
            for k in 0..<config.keys { checkRead(id, key: k, byKey[k]) }
            return
        }
        let targets: [HostID]
        do {
            targets = try proxy.rangeTargets(split, params: SimSchema.replication, consistency: ops[id].consistency, topology: topology)
        } catch {
            ops[id].outcome = "\(error.code)"
            log("op \(id) failed: \(error)")
            return
        }
        if targets == [topology.local] {
            do {
                let command = ReplicaMessages.RangeCommand(table: SimSchema.table, range: split.range, slices: .all, limit: Int.max)
                let r = try ReplicaVerbHandler.readRange(engine, command, maxBytes: Int.max)
                scanNext(id, node: node, incarnation: incarnation, splits: splits.dropFirst(), topology: topology, found: found + r.partitions)
            } catch {
                violation("op \(id) (scan): local range read failed: \(error)")
            }
            return
        }
        let limit = rng.int(in: 1...3)
        proxy.readRange(SimSchema.table, split: split, targets: targets, slices: .all, limit: limit,
                        consistency: ops[id].consistency, topology: topology) { [unowned self] result in
            switch result {
            case .failure(let error):
                ops[id].outcome = "\(error.code)"
                log("op \(id) failed: \(error)")
            case .success(let response):
                var rest = splits
                if !response.complete, let last = response.partitions.last {
                    rest[rest.startIndex].range = PartitionRange.after(last.key, upper: split.range.upper)
                } else {
                    rest = rest.dropFirst()
                }
                scanNext(id, node: node, incarnation: incarnation, splits: rest, topology: topology, found: found + response.partitions)
            }
        }
    }

    func readDone(_ id: Int, _ result: Result<PartitionUpdate?, QueryError>) {
        switch result {
        case .failure(let error):
            ops[id].outcome = "\(error.code)"
            log("op \(id) failed: \(error)")
        case .success(let partition):
            ops[id].outcome = "ok"
            checkRead(id, key: ops[id].key, partition)
        }
    }

    /// A read's answer for one partition against the history.
    func checkRead(_ id: Int, key: Int, _ partition: PartitionUpdate?) {
        do {
            var op = ops[id]
            op.key = key
            let state = resolve(partition)
            log("op \(id) read k\(op.key): " + (0..<config.clusterings).map { "c\($0)=\(state[$0].map(\.description) ?? "-")" }.joined(separator: " "))
            readsChecked += 1
            for c in 0..<config.clusterings {
                let seen = state[c]
                if let why = invalid(seen, key: op.key, clustering: c) {
                    violation("op \(id) (\(op.kind == .scan ? "scan" : "read") k\(op.key) at \(op.consistency) via n\(op.coordinator)) saw c\(c) = \(seen!): \(why)")
                }
                guard let needed = newestAcknowledged(key: op.key, clustering: c, before: op.startStep,
                                                      readBlock: blockFor(op.consistency)) else { continue }
                if (seen?.timestamp ?? Int64.min) < needed.timestamp {
                    violation("op \(id) (\(op.kind == .scan ? "scan" : "read") k\(op.key) at \(op.consistency) via n\(op.coordinator), started \(op.startTime) ms) "
                              + "saw c\(c) = \(seen.map(\.description) ?? "nothing") but op \(needed.id) "
                              + "(\(needed.kind == .delete ? "delete" : "write") ts \(needed.timestamp) at \(needed.consistency) via n\(needed.coordinator)) "
                              + "was acknowledged before it started")
                }
            }
            // Blocking read repair makes reads monotonic: what a read returned is on as many
            // replicas as it read, so a later overlapping read sees it or something newer.
            let done = nextStep()
            for c in 0..<config.clusterings {
                let seen = state[c]
                for earlier in observations where earlier.key == key && earlier.clustering == c && earlier.step < op.startStep
                    && earlier.block + blockFor(op.consistency) > SimSchema.replicationFactor
                    && (seen?.timestamp ?? Int64.min) < earlier.version.timestamp {
                    violation("op \(id) (\(op.kind == .scan ? "scan" : "read") k\(key) at \(op.consistency) via n\(op.coordinator), started \(op.startTime) ms) "
                              + "saw c\(c) = \(seen.map(\.description) ?? "nothing") but op \(earlier.op), which finished before it started, "
                              + "read \(earlier.version) (reads went back in time)")
                    break
                }
                if let seen { observations.append((key, c, seen, done, blockFor(op.consistency), id)) }
            }
        }
    }

    /// What each finished read returned (for the monotonic-read check).
    var observations: [(key: Int, clustering: Int, version: SimVersion, step: Int, block: Int, op: Int)] = []

    // MARK: checks

    func blockFor(_ cl: ConsistencyLevel) -> Int {
        switch cl {
        case .one: return 1
        case .quorum: return SimSchema.replicationFactor / 2 + 1
        default: return SimSchema.replicationFactor
        }
    }

    /// The newest (by timestamp) write or delete of (key, clustering) acknowledged before
    /// `step` whose level overlaps a read at `readBlock` replicas (R + W > RF); nil for any.
    func newestAcknowledged(key: Int, clustering: Int, before step: Int, readBlock: Int?) -> SimOp? {
        var best: SimOp?
        for op in ops where op.isWrite && op.key == key && op.clustering == clustering {
            guard let ack = op.ackStep, ack < step else { continue }
            if let readBlock, blockFor(op.consistency) + readBlock <= SimSchema.replicationFactor { continue }
            if best == nil || op.timestamp > best!.timestamp { best = op }
        }
        return best
    }

    /// Why a version seen for (key, clustering) cannot be: nil when an operation wrote it.
    func invalid(_ v: SimVersion?, key: Int, clustering: Int) -> String? {
        guard let v else { return nil }
        guard let id = opByTimestamp[v.timestamp] else { return "no operation wrote timestamp \(v.timestamp)" }
        let op = ops[id]
        guard op.key == key, op.clustering == clustering else { return "timestamp of op \(id), which wrote k\(op.key) c\(op.clustering)" }
        switch op.kind {
        case .write(let value):
            if !v.live || v.value != value { return "op \(id) wrote live value \(value) at that timestamp" }
        case .delete:
            if v.live { return "op \(id) deleted the row at that timestamp" }
        case .read, .scan: return "a read"
        }
        return nil
    }

    /// The newest write or deletion of each clustering in a partition (with tombstones).
    func resolve(_ p: PartitionUpdate?) -> [Int: SimVersion] {
        guard let p else { return [:] }
        var out: [Int: SimVersion] = [:]
        for row in p.rows {
            guard let c = clusteringIndex[row.clustering] else { continue }
            var deleted = p.partitionDeletion.isLive ? Int64.min : p.partitionDeletion.markedForDeleteAt
            if !row.deletion.isLive { deleted = max(deleted, row.deletion.markedForDeleteAt) }
            for rt in p.rangeTombstones where rt.covers(row.clustering) { deleted = max(deleted, rt.deletion.markedForDeleteAt) }
            var liveTs = row.liveness.isEmpty ? Int64.min : row.liveness.timestamp
            var value: Int64?
            for column in row.columns {
                guard case .simple(let id, let cell) = column, id == SimSchema.valueColumn else { continue }
                if cell.isTombstone {
                    deleted = max(deleted, cell.timestamp)
                } else if cell.timestamp >= liveTs {
                    liveTs = cell.timestamp
                    value = SimSchema.readValue(cell.value)
                }
            }
            if liveTs > deleted {
                out[c] = SimVersion(timestamp: liveTs, live: true, value: value)
            } else if deleted > Int64.min {
                out[c] = SimVersion(timestamp: deleted, live: false, value: nil)
            }
        }
        return out
    }

    /// Each replica's own stored state of each key (read straight from its engine).
    func replicaStates() throws -> [(key: Int, replicas: [Int], states: [[Int: SimVersion]])] {
        var out: [(Int, [Int], [[Int: SimVersion]])] = []
        let t = nodes[0].topology.current!
        for k in 0..<config.keys {
            let key = SimSchema.partitionKey(k)
            let replicas = nodes[0].proxy!.naturalReplicas(SimSchema.replication, key.token, t).map { hostIndex[$0]! }
            var states: [[Int: SimVersion]] = []
            for r in replicas {
                let p = try ReplicaVerbHandler.readPartition(nodes[r].engine!, SimSchema.table, key, .all)
                states.append(resolve(p))
            }
            out.append((k, replicas, states))
        }
        return out
    }

    /// After healing and hint replay: replicas may differ only about writes whose
    /// coordinator crashed mid-write (no hint was written for them).
    func checkConvergenceAfterHints() throws {
        for (k, replicas, states) in try replicaStates() {
            for c in 0..<config.clusterings {
                let versions = states.map { $0[c] }
                var distinct: [SimVersion?] = []
                for v in versions where !distinct.contains(v) { distinct.append(v) }
                guard distinct.count > 1 else { continue }
                let sorted = distinct.sorted { ($0?.timestamp ?? Int64.min) < ($1?.timestamp ?? Int64.min) }
                let unexplained = sorted.dropFirst().filter { v in !(opByTimestamp[v!.timestamp].map { ops[$0].orphaned } ?? false) }
                let detail = zip(replicas, versions).map { "n\($0)=\($1.map(\.description) ?? "nothing")" }.joined(separator: " ")
                if unexplained.isEmpty {
                    divergencesFromOrphans += 1
                    log("k\(k) c\(c) differs only by writes of crashed coordinators: \(detail)")
                } else {
                    let ids = unexplained.map { "op \(opByTimestamp[$0!.timestamp].map(String.init) ?? "?")" }
                    violation("after hint replay the replicas of k\(k) c\(c) differ: \(detail); not explained by a crash: \(ids.joined(separator: ", "))")
                }
            }
        }
    }

    /// After the final read repair: every replica the same, holding the newest
    /// acknowledged write or delete (or something newer), nothing no operation wrote.
    func checkFinalState() throws {
        // Raw digests (what a digest read compares): differing ones mean every later read of
        // the key mismatches and repairs again although the data agree.
        let t = nodes[0].topology.current!
        for k in 0..<config.keys {
            let key = SimSchema.partitionKey(k)
            let replicas = nodes[0].proxy!.naturalReplicas(SimSchema.replication, key.token, t).map { hostIndex[$0]! }
            let digests = try replicas.map { ReplicaMessages.digest(try ReplicaVerbHandler.readPartition(nodes[$0].engine!, SimSchema.table, key, .all)) }
            if Set(digests).count > 1 {
                digestDifferences += 1
                log("k\(k): replica digests still differ after the read at ALL")
            }
        }
        for (k, replicas, states) in try replicaStates() {
            for c in 0..<config.clusterings {
                let versions = states.map { $0[c] }
                if Set(versions.map { $0?.description ?? "-" }).count > 1 {
                    let detail = zip(replicas, versions).map { "n\($0)=\($1.map(\.description) ?? "nothing")" }.joined(separator: " ")
                    violation("after read repair at ALL the replicas of k\(k) c\(c) still differ: \(detail)")
                }
                for (r, v) in zip(replicas, versions) {
                    if let why = invalid(v, key: k, clustering: c) { violation("n\(r) holds k\(k) c\(c) = \(v!): \(why)") }
                    if let needed = newestAcknowledged(key: k, clustering: c, before: Int.max, readBlock: nil),
                       (v?.timestamp ?? Int64.min) < needed.timestamp {
                        violation("acknowledged op \(needed.id) (\(needed.kind == .delete ? "delete" : "write") k\(k) c\(c) ts \(needed.timestamp) "
                                  + "at \(needed.consistency) via n\(needed.coordinator)) is lost: n\(r) holds \(v.map(\.description) ?? "nothing")")
                    }
                }
            }
        }
    }

    // MARK: the run

    func scheduleFaults() {
        let count = rng.int(in: config.faults)
        for _ in 0..<count {
            let at = Int64(rng.int(in: 0...Int(config.durationMillis)))
            let kind = rng.below(10)
            schedule(at: at) { [unowned self] in
                if kind < 3 {
                    let live = nodes.filter(\.isUp)
                    guard !live.isEmpty else { return }
                    let i = live[rng.below(live.count)].index
                    crash(i)
                    let back = now + Int64(rng.int(in: 500...12_000))
                    schedule(at: back) { [unowned self] in restart(i) }
                } else if kind < 5 {
                    // One-way: one node stops hearing from (or reaching) some others.
                    let a = rng.below(config.nodes)
                    let others = Set((0..<config.nodes).filter { $0 != a && rng.chance(0.5) })
                    guard !others.isEmpty else { return }
                    let deaf = rng.chance(0.5)
                    network.oneWay = deaf ? (from: others, to: [a]) : (from: [a], to: others)
                    partitions += 1
                    let label = partitions
                    log("ONE-WAY PARTITION \(deaf ? "\(others.sorted()) -> n\(a)" : "n\(a) -> \(others.sorted())") dropped")
                    faultsChanged()
                    schedule(at: now + Int64(rng.int(in: 1000...8000))) { [unowned self] in
                        // The latest partition's end heals every partition.
                        guard partitions == label else { return }
                        network.oneWay = nil
                        network.sides = nil
                        log("partitions healed")
                        faultsChanged()
                    }
                } else if kind < 8 {
                    var sides = (0..<config.nodes).map { _ in rng.below(2) }
                    if Set(sides).count == 1 { sides[rng.below(config.nodes)] ^= 1 }
                    partitions += 1
                    let label = partitions
                    network.sides = sides
                    log("PARTITION \(sides.enumerated().filter { $0.element == 0 }.map(\.offset)) | \(sides.enumerated().filter { $0.element == 1 }.map(\.offset))")
                    faultsChanged()
                    schedule(at: now + Int64(rng.int(in: 1000...10_000))) { [unowned self] in
                        guard partitions == label, network.sides != nil else { return }
                        network.sides = nil
                        log("partition healed")
                        faultsChanged()
                    }
                } else {
                    let before = network.lossRate
                    network.lossRate = 0.3
                    log("LOSS 30%")
                    schedule(at: now + Int64(rng.int(in: 500...5000))) { [unowned self] in
                        network.lossRate = before
                        log("loss back to \(before)")
                    }
                }
            }
        }
    }

    func run() throws -> SimReport {
        defer { tearDown() }
        try setUp()
        // Half the operations spread out, half in bursts of concurrent requests.
        let bursts = (0..<rng.int(in: 2...6)).map { _ in rng.int(in: 0...Int(config.durationMillis)) }
        for i in 0..<config.operations {
            let at = i % 2 == 0 ? rng.int(in: 0...Int(config.durationMillis)) : bursts[rng.below(bursts.count)] + rng.int(in: 0...300)
            schedule(at: Int64(at)) { [unowned self] in startOperation() }
        }
        scheduleFaults()
        run(to: config.durationMillis)

        // Heal: no more faults; every node back; wait for the failure detectors and hints.
        let healAt = config.durationMillis + 6000
        run(to: healAt)
        log("HEAL")
        network.sides = nil
        network.oneWay = nil
        network.lossRate = 0
        calm = true
        for n in nodes where !n.isUp { restart(n.index) }
        faultsChanged()
        let everyone = Set(0..<config.nodes)
        let settled: () -> Bool = { [unowned self] in
            nodes.allSatisfy { $0.isUp && $0.view == everyone && ($0.hints?.hostsWithHints.isEmpty ?? true) }
        }
        let deadline = healAt + 120_000
        while !settled() && now < deadline { run(to: now + 1000) }
        if !settled() {
            violation("hints not replayed 120 s after healing: "
                      + nodes.map { "n\($0.index) has hints for \(($0.hints?.hostsWithHints ?? []).compactMap { hostIndex[$0] })" }.joined(separator: ", "))
        }
        run(to: now + 5000)
        try checkConvergenceAfterHints()

        // Read repair at ALL of every key, then every replica must agree.
        finalReads = 0
        let coordinator = nodes[0]
        for k in 0..<config.keys {
            try coordinator.proxy!.readPartition(SimSchema.table, key: SimSchema.partitionKey(k), slices: .all, consistency: .all,
                                                 topology: coordinator.topology.current!) { [unowned self] result in
                if case .failure(let e) = result { violation("final read at ALL of k\(k) failed: \(e)") }
                finalReads += 1
            }
            network.flush()
        }
        run(to: now + 30_000) { finalReads == config.keys }
        if finalReads < config.keys { violation("final reads at ALL did not finish") }
        try checkFinalState()
        for n in nodes { collectMetrics(n) }
        let sstables = nodes.reduce(0) { $0 + ($1.engine?.table(SimSchema.table)?.liveSSTables.count ?? 0) }

        let writes = ops.filter(\.isWrite), reads = ops.filter { !$0.isWrite }
        let acknowledged = writes.filter { $0.outcome == "ok" }.count
        var summary = "seed \(seed): \(writes.count) writes (\(acknowledged) acknowledged), "
        summary += "\(reads.count) reads (\(readsChecked) partitions checked), \(crashes) crashes, \(partitions) partitions, "
        summary += "\(network.messagesSent) messages (\(network.messagesLost) lost), \(metrics.hintsWritten) hints written, "
        summary += "\(metrics.hintsReplayed) replayed, \(metrics.digestMismatches) digest mismatches, \(metrics.readRepairs) read repairs, "
        summary += "\(sstables) SSTables at the end, \(digestDifferences) keys with differing digests after repair, \(divergencesFromOrphans) divergences from crashed coordinators, \(violations.count) violations"
        return SimReport(seed: seed, violations: violations, summary: summary, trace: trace)
    }
}

/// The coordinator's local write, for either form of `StorageProxy.mutate`'s
/// `applyLocally`: returning the commit-log append (the proxy waits for it to be
/// acknowledgeable) or returning once it is (the overload the closure's type selects).
enum SimLocalWrite {
    @_disfavoredOverload
    static func apply(_ engine: StorageEngine, _ m: Mutation) throws(QueryError) -> CommitLogAppend {
        do { return try engine.applyDeferringAcknowledgement(m) } catch {
            throw QueryError(.serverError, "local write failed: \(error)")
        }
    }

    static func apply(_ engine: StorageEngine, _ m: Mutation) throws(QueryError) {
        do { try engine.apply(m) } catch { throw QueryError(.serverError, "local write failed: \(error)") }
    }
}
