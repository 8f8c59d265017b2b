import Foundation
import HyadesCluster
import HyadesCore
import HyadesService
import HyadesStorage
import Logging
import NIOCore
import NIOPosix

/// Makes this node a coordinator and a replica (issue 11 item 5): the internode transport
/// for the `StorageProxy`, the replica verbs, hints on disk and their replay. Gossip tells
/// it the ring (`ringChanged`): it rebuilds the topology the coordinator works on, the
/// addresses requests go to, and replays hints to nodes that came back.
final class CoordinatorService: @unchecked Sendable {
    let node: HyadesNode
    let messaging: InternodeMessaging
    let transport: InternodeReplicaTransport
    let verbs: ReplicaVerbService
    let hints: HintStore
    let batchlog: BatchlogStore
    let dispatcher: HintsDispatcher
    let proxy: StorageProxy
    let logger: Logger
    let replicaPool: NIOThreadPool
    private let lock = NSLock()
    private var wasAlive: [HostID: Bool] = [:]
    private var downSince: [HostID: Int64] = [:]
    private var task: RepeatedTask?

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    init(node: HyadesNode, messaging: InternodeMessaging, logger: Logger) throws {
        self.node = node
        self.messaging = messaging
        self.logger = logger
        let config = node.config
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        transport = InternodeReplicaTransport(messaging: messaging, eventLoop: loop)
        replicaPool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        replicaPool.start()
        batchlog = try BatchlogStore(directory: config.dataDirectory + "/batchlog", fileSystem: node.engine.fileSystem)
        verbs = ReplicaVerbService(messaging: messaging, processor: node.processor, pool: replicaPool, batchlog: batchlog,
                                   logger: logger)
        hints = try HintStore(directory: config.dataDirectory + "/hints", fileSystem: node.engine.fileSystem,
                              enabled: config.hintedHandoffEnabled, maxWindowMillis: Int64(config.maxHintWindowMs),
                              maxBytesPerHost: Int64(config.maxHintsSizePerHostBytes), nowMillis: Self.nowMillis)
        var timeouts = InternodeTimeouts()
        timeouts.writeRequestMillis = Int64(config.writeRequestTimeoutMs)
        timeouts.readRequestMillis = Int64(config.readRequestTimeoutMs)
        timeouts.rangeRequestMillis = Int64(config.rangeRequestTimeoutMs)
        timeouts.requestMillis = Int64(config.requestTimeoutMs)
        let processor = node.processor
        proxy = StorageProxy(engine: node.engine, topology: processor.topology, transport: transport, hints: hints,
                             timeouts: timeouts, replicationOf: { [weak processor] id in processor?.replicationOf(id) })
        dispatcher = HintsDispatcher(store: hints, transport: transport, timeoutMillis: timeouts.writeRequestMillis,
                                     metrics: proxy.metrics)
    }

    func start() {
        transport.start()
        verbs.start()
        node.processor.storageProxy = proxy
        ringChanged([:])
        // Hints left for nodes that are up (a replay that failed, hints from before a
        // restart) are retried every 10 s (Cassandra's hints dispatch period).
        task = transport.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { [weak self] _ in
            self?.dispatchPendingHints()
            self?.replayBatchlog()
        }
    }

    func stop() {
        task?.cancel()
        hints.close()
        try? replicaPool.syncShutdownGracefully()
    }

    private func dispatchPendingHints() {
        guard let t = node.processor.topology.current else { return }
        for host in hints.hostsWithHints where host != t.local && t.isAlive(host) {
            replay(to: host)
        }
    }

    /// Batches logged here that their coordinator never removed (it died, or lost the
    /// removal) are applied once they are older than twice the write timeout (Cassandra's
    /// batchlog timeout): written to every replica at ONE, hints for the ones down, then
    /// removed. Applying a batch twice is harmless (same timestamps).
    private func replayBatchlog() {
        guard let t = proxy.clustered else { return }
        let before = Self.nowMillis() - 2 * Int64(node.config.writeRequestTimeoutMs)
        proxy.replayBatchlog(batchlog, createdBeforeMillis: before, topology: t) { [logger] id, error in
            if let error { logger.info("batch \(id) not replayed yet: \(error)") } else { logger.info("batch \(id) replayed from the batchlog") }
        }
    }

    private func replay(to host: HostID) {
        dispatcher.dispatch(to: host) { [logger] ok in
            if ok { logger.info("hints replayed to \(host)") } else { logger.info("hint replay to \(host) incomplete; will retry") }
        }
    }

    /// Gossip's view changed: the ring, who is up, where each node is.
    func ringChanged(_ peers: [InternodeAddress: PeerInfo]) {
        let identity = node.internodeIdentity
        let local = identity.hostID
        let location = Location(dataCenter: node.config.dataCenter, rack: node.config.rack)
        var ring = TokenMetadata()
        try? ring.add(Endpoint(hostID: local, address: identity.address.host, location: location),
                      tokens: node.identity.tokens)
        var addresses: [HostID: InternodeAddress] = [local: identity.address]
        var alive: Set<HostID> = [local]
        let now = Self.nowMillis()
        var cameUp: [HostID] = []
        lock.lock()
        for (address, peer) in peers.sorted(by: { $0.key < $1.key }) where peer.isRingMember {
            guard let uuid = peer.hostID, let host = HostID(uuid.uuidString), host != local else { continue }
            let tokens = peer.tokens.compactMap { Int64($0) }.map(Token.init)
            let where_ = Location(dataCenter: peer.dataCenter ?? location.dataCenter, rack: peer.rack ?? location.rack)
            do {
                try ring.add(Endpoint(hostID: host, address: address.host, location: where_), tokens: tokens)
            } catch {
                logger.warning("node \(host) at \(address) left out of the ring: \(error)")
                continue
            }
            addresses[host] = address
            if peer.isAlive {
                alive.insert(host)
                downSince[host] = nil
                if wasAlive[host] == false { cameUp.append(host) }
            } else if downSince[host] == nil {
                downSince[host] = now
            }
            wasAlive[host] = peer.isAlive
        }
        let since = downSince
        lock.unlock()
        transport.update(addresses: addresses)
        node.processor.topology.update(ClusterTopology(local: local, localLocation: location, ring: ring, alive: alive,
                                                       downSinceMillis: since))
        for host in cameUp where hints.hostsWithHints.contains(host) { replay(to: host) }
    }
}
