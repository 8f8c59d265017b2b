import Dispatch
import HyadesCluster
import HyadesCore
import HyadesProtocol
import HyadesStorage
import Logging
import Synchronization

/// What `hyades nodetool` asks a node to do or tell where Cassandra's nodetool uses JMX:
/// gossipinfo, tablestats, flush, compact, drain. Requests arrive on storage_port as
/// management frames (docs/formats/admin.md, `AdminInboundHandler`); every one passes
/// through `handle`, the one place a later authentication of storage_port guards.
public final class AdminService: Sendable {
    let node: HyadesNode
    let logger: Logger
    /// Requests answered at once; more are refused (busy), so a loop of nodetool calls
    /// cannot queue unbounded work (each flush or compaction holds a thread).
    static let maxConcurrentRequests = 4

    private struct State {
        var gossip: GossipService?
        var running = 0
        var draining = false
        var pendingDrain: DrainRequest?
    }
    private let state = Mutex(State())
    private let drainStream: (stream: AsyncStream<DrainRequest>, continuation: AsyncStream<DrainRequest>.Continuation)

    public init(node: HyadesNode, logger: Logger) {
        self.node = node
        self.logger = logger
        drainStream = AsyncStream<DrainRequest>.makeStream()
    }

    /// Gossip runs once storage_port listens; gossipinfo reads it from then on.
    func attach(gossip: GossipService?) { state.withLock { $0.gossip = gossip } }

    /// `nodetool drain` requests, taken by `NodeService` (which owns the listeners).
    var drainRequests: AsyncStream<DrainRequest> { drainStream.stream }

    /// The node stops for another reason: a drain asked for and not yet taken fails, and
    /// no further drain is accepted.
    func refuseDrains(_ why: String) {
        let pending = state.withLock { s -> DrainRequest? in
            s.draining = true
            defer { s.pendingDrain = nil }
            return s.pendingDrain
        }
        pending?.finish(AdminRefusal(code: AdminFormat.errorUnavailable, message: why))
        drainStream.continuation.finish()
    }

    /// Answers one request; for a drain, also what the connection calls once the answer is
    /// written (the node then closes its remaining connections).
    func answer(_ request: AdminRequest) async -> (AdminResponse, afterWrite: (@Sendable () -> Void)?) {
        guard case .drain = request else { return (await handle(request), nil) }
        do {
            let drained = try await drain()
            return (.done, { drained.answered() })
        } catch let e as AdminRefusal {
            return (.error(code: e.code, message: e.message), nil)
        } catch {
            return (.error(code: AdminFormat.errorNode, message: "\(error)"), nil)
        }
    }

    /// Answers one request. Never throws: failures are ERROR responses.
    func handle(_ request: AdminRequest) async -> AdminResponse {
        let admitted = state.withLock { s -> Bool in
            guard s.running < Self.maxConcurrentRequests else { return false }
            s.running += 1
            return true
        }
        guard admitted else {
            return .error(code: AdminFormat.errorUnavailable,
                          message: "the node is busy with \(Self.maxConcurrentRequests) nodetool requests; try again")
        }
        defer { state.withLock { $0.running -= 1 } }
        do {
            switch request {
            case .gossipInfo: return .gossipInfo(gossipInfo())
            case .tableStats(let names): return .tableStats(try tableStats(names))
            case .flush(let keyspace, let tables):
                let stores = try resolve(keyspace, tables)
                try refuseWhileDraining()
                try await blocking { for (_, store) in stores { try store.flush() } }
                logger.info("nodetool flush: \(stores.count) table(s) flushed")
                return .done
            case .compact(let keyspace, let tables):
                let stores = try resolve(keyspace, tables)
                try refuseWhileDraining()
                try await blocking { for (_, store) in stores { try store.compact(major: true) } }
                logger.info("nodetool compact: major compaction of \(stores.count) table(s) done")
                return .done
            case .drain:
                try await drain().answered()
                return .done
            }
        } catch let e as AdminRefusal {
            return .error(code: e.code, message: e.message)
        } catch {
            return .error(code: AdminFormat.errorNode, message: "\(error)")
        }
    }

    // MARK: gossipinfo

    func gossipInfo() -> [AdminEndpointState] {
        guard let gossip = state.withLock({ $0.gossip }) else { return [] }
        return gossip.endpointStates.sorted { $0.key < $1.key }.map { address, s in
            AdminEndpointState(host: address.host, port: address.port, generation: s.heartBeat.generation,
                               heartbeat: s.heartBeat.version,
                               states: s.states.sorted { $0.key < $1.key }.map {
                                   AdminApplicationState(key: $0.key.rawValue, version: $0.value.version, value: $0.value.value)
                               })
        }
    }

    // MARK: flush, compact

    /// The tables named: keyspace nil is every keyspace; no tables, every table of the
    /// keyspace. The system keyspaces are virtual here (nothing stored, nothing to flush).
    func resolve(_ keyspace: String?, _ tables: [String]) throws(AdminRefusal) -> [(TableMetadata, TableStore)] {
        let schema = node.schema.snapshot
        var chosen: [TableMetadata] = []
        if let keyspace {
            guard let ks = schema.keyspaces[keyspace] else {
                if SystemKeyspaceNames.all.contains(keyspace) { return [] }
                throw AdminRefusal(code: AdminFormat.errorUnknownTable, message: "Keyspace [\(keyspace)] does not exist.")
            }
            if tables.isEmpty {
                chosen = ks.tables.values.sorted { $0.name < $1.name }
            } else {
                for name in tables {
                    guard let t = ks.tables[name] else {
                        throw AdminRefusal(code: AdminFormat.errorUnknownTable, message: "Unknown keyspace/cf pair (\(keyspace).\(name))")
                    }
                    chosen.append(t)
                }
            }
        } else {
            chosen = schema.keyspaces.values.sorted { $0.name < $1.name }
                .flatMap { $0.tables.values.sorted { $0.name < $1.name } }
        }
        return chosen.compactMap { t in node.engine.table(t.id).map { (t, $0) } }
    }

    func refuseWhileDraining() throws(AdminRefusal) {
        if state.withLock({ $0.draining }) {
            throw AdminRefusal(code: AdminFormat.errorUnavailable, message: "the node is draining or drained")
        }
    }

    /// Runs engine work (flush and compaction block) off the event loops and the
    /// concurrency pool.
    func blocking(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global().async {
                do { try work(); c.resume() } catch { c.resume(throwing: error) }
            }
        }
    }

    // MARK: drain

    /// Hands the drain to `NodeService` and waits until it has stopped the listeners and
    /// flushed every memtable.
    func drain() async throws -> DrainRequest {
        let first = state.withLock { s -> Bool in
            if s.draining { return false }
            s.draining = true
            return true
        }
        guard first else { throw AdminRefusal(code: AdminFormat.errorUnavailable, message: "the node is already draining or drained") }
        logger.info("nodetool drain: stopping client and internode traffic, flushing memtables")
        let request = DrainRequest()
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            request.start(c)
            state.withLock { $0.pendingDrain = request }
            if case .terminated = drainStream.continuation.yield(request) {
                request.finish(AdminRefusal(code: AdminFormat.errorUnavailable, message: "the node is stopping"))
            }
        }
        return request
    }

    func drainTaken() { state.withLock { $0.pendingDrain = nil } }
}

/// One `nodetool drain`: finished once the node has drained (or failed to), then
/// `answered` once nodetool's connection has its answer, so the node closes that
/// connection only after the answer left.
final class DrainRequest: Sendable {
    private struct State {
        var drained: CheckedContinuation<Void, any Error>?
        var answered = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    init() {}

    func start(_ c: CheckedContinuation<Void, any Error>) { state.withLock { $0.drained = c } }

    func finish(_ error: (any Error)? = nil) {
        guard let c = state.withLock({ s -> CheckedContinuation<Void, any Error>? in defer { s.drained = nil }; return s.drained }) else { return }
        if let error { c.resume(throwing: error) } else { c.resume() }
    }

    func answered() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.answered = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func waitAnswered() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.answered { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}

/// A request refused with an error code of the management protocol.
struct AdminRefusal: Error, CustomStringConvertible {
    var code: UInt16
    var message: String
    var description: String { message }
}

/// The keyspaces the node serves without storing them (HyadesService's system keyspaces).
enum SystemKeyspaceNames {
    static let all: Set<String> = ["system", "system_schema", "system_auth", "system_traces"]
}
