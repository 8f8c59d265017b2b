import Foundation
import HyadesCluster
import HyadesProtocol
import HyadesService
import HyadesStorage
import Logging
import NIOCore

/// Runs the pure `Gossiper` state machine on the real network: a round every second on an
/// event loop, gossip messages in and out through `InternodeMessaging`, and its
/// notifications turned into what the rest of the node and the drivers see:
/// `system.peers` / `peers_v2` (the processor's `ClusterView`) and the protocol events
/// TOPOLOGY_CHANGE NEW_NODE / REMOVED_NODE and STATUS_CHANGE UP / DOWN, pushed to every
/// connection registered for them. This node's own application states (Cassandra's:
/// STATUS, TOKENS, HOST_ID, DC, RACK, SCHEMA, LOAD, NATIVE_ADDRESS, RELEASE_VERSION,
/// RPC_READY) are set at start and kept current (SCHEMA after every DDL).
final class GossipService: @unchecked Sendable {
    let messaging: InternodeMessaging
    let processor: QueryProcessor
    let events: EventRegistry
    let logger: Logger
    private let lock = NSLock()
    private var gossiper: Gossiper
    private var rng = SystemRandomNumberGenerator()
    private var task: RepeatedTask?
    /// What was last published, to turn changes into driver events.
    private var published: [InternodeAddress: PeerInfo] = [:]
    /// Nodes drivers were told about with NEW_NODE.
    private var announced: Set<InternodeAddress> = []
    /// Pulls the schema of a live peer whose schema version differs from ours.
    var schemaSync: SchemaSync?
    /// Rebuilds the coordinator's ring on every change.
    var coordinator: CoordinatorService?
    /// Told the peers after each publication (the storage engine's shard boundaries).
    var peersPublished: (@Sendable ([PeerInfo]) -> Void)?

    init(messaging: InternodeMessaging, configuration: GossipConfiguration, processor: QueryProcessor,
         events: EventRegistry, logger: Logger) {
        self.messaging = messaging
        self.processor = processor
        self.events = events
        self.logger = logger
        let generation = Int32(clamping: InternodeMessaging.now().seconds)
        gossiper = Gossiper(identity: messaging.identity, generation: generation, configuration: configuration)
    }

    /// Sets this node's states, starts answering gossip and the rounds.
    func start(node: NodeInfo, nativeHost: String, nativePort: Int, tokens: [Int64], eventLoop: any EventLoop) {
        let schemaVersion = processor.schema.schemaVersion.uuidString.lowercased()
        lock.withLock {
            _ = gossiper.setLocal(.dc, node.dataCenter)
            _ = gossiper.setLocal(.rack, node.rack)
            _ = gossiper.setLocal(.releaseVersion, "5.0.0")
            _ = gossiper.setLocal(.schema, schemaVersion)
            _ = gossiper.setLocal(.nativeAddress, "\(nativeHost):\(nativePort)")
            _ = gossiper.setLocal(.tokens, tokens.map(String.init).joined(separator: ","))
            _ = gossiper.setLocal(.load, localLoad())
            _ = gossiper.setLocal(.status, GossipStatus.normal(tokens: tokens))
            _ = gossiper.setLocal(.rpcReady, "true")
        }
        for verb in [InternodeVerb.gossipDigestSyn, .gossipDigestAck, .gossipDigestAck2, .gossipShutdown, .echoReq, .echoRsp] {
            messaging.register(verb) { [weak self] frame, from in self?.received(frame, from: from) }
        }
        processor.schema.addChangeListener { [weak self] _, _ in
            guard let self else { return }
            self.setLocal(.schema, self.processor.schema.schemaVersion.uuidString.lowercased())
        }
        let interval = gossiper.configuration.intervalMillis
        task = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(interval), delay: .milliseconds(interval)) { [weak self] _ in
            self?.round()
        }
    }

    /// Every endpoint's gossiped state, this node's included (`nodetool gossipinfo`).
    var endpointStates: [InternodeAddress: EndpointState] { lock.withLock { gossiper.endpointStates } }

    /// The peers gossip considers up.
    var livePeers: [InternodeAddress] { lock.withLock { gossiper.liveEndpoints.sorted() } }

    func setLocal(_ key: ApplicationState, _ value: String) {
        let actions = lock.withLock { gossiper.setLocal(key, value) }
        perform(actions)
    }

    private func round() {
        let actions = lock.withLock { gossiper.tick(now: InternodeMessaging.now(), using: &rng) }
        perform(actions)
        broadcastLoad()
    }

    /// Rounds since LOAD was last published.
    private var roundsSinceLoad = 0
    /// Cassandra's LoadBroadcaster publishes LOAD once a minute.
    static let loadBroadcastRounds = 60

    /// LOAD: bytes of this node's live SSTables, as a decimal (Cassandra's double), kept
    /// current once a minute (what `nodetool gossipinfo` shows for the node).
    private func broadcastLoad() {
        let due = lock.withLock { () -> Bool in
            roundsSinceLoad += 1
            guard roundsSinceLoad >= Self.loadBroadcastRounds else { return false }
            roundsSinceLoad = 0
            return true
        }
        guard due else { return }
        let load = localLoad()
        let current = lock.withLock { gossiper.localState[.load]?.value }
        if load != current { setLocal(.load, load) }
    }

    private func localLoad() -> String {
        var bytes: Int64 = 0
        let schema = processor.schema
        for ks in schema.snapshot.keyspaces.values {
            for t in ks.tables.values {
                bytes += schema.engine.table(t.id)?.liveSSTables.reduce(0) { $0 + $1.onDiskSizeBytes } ?? 0
            }
        }
        return String(Double(bytes))
    }

    private func received(_ frame: InternodeFrame, from: InternodeAddress) {
        let message: GossipMessage
        do {
            guard let m = try GossipCodec.decode(verb: frame.verb, payload: frame.payload) else { return }
            message = m
        } catch {
            logger.warning("gossip \(frame.verb) from \(from) not understood: \(error)")
            return
        }
        let actions = lock.withLock { gossiper.receive(message, from: from, now: InternodeMessaging.now()) }
        perform(actions)
    }

    private func perform(_ actions: [GossipAction]) {
        var changed = false
        for action in actions {
            switch action {
            case .send(let message, let to):
                let (verb, payload) = GossipCodec.encode(message)
                messaging.send(verb, payload: payload, to: to)
            case .notify(let n):
                switch n {
                case .change(let who, _, _) where who == messaging.identity.address: break
                default: changed = true
                }
            }
        }
        if changed { publish() }
    }

    /// A node is its host id, not its address (Cassandra's host id collision rule): when a
    /// node comes back on another address, the state gossiped under its old address (same
    /// host id, older generation) is evicted, so drivers see the node move, not two nodes.
    private func evictMovedNodes() {
        let moved = lock.withLock { () -> [(InternodeAddress, String)] in
            let me = gossiper.localAddress
            let myID = gossiper.identity.hostID.description.lowercased()
            var latest: [String: (address: InternodeAddress, generation: Int32)] = [:]
            var losers: [(InternodeAddress, String)] = []
            for (address, state) in gossiper.endpointStates.sorted(by: { $0.key < $1.key }) where address != me {
                guard let id = state[.hostID]?.value.lowercased() else { continue }
                if id == myID {
                    losers.append((address, id))
                    continue
                }
                let generation = state.heartBeat.generation
                if let other = latest[id] {
                    if generation > other.generation {
                        losers.append((other.address, id))
                        latest[id] = (address, generation)
                    } else {
                        losers.append((address, id))
                    }
                } else {
                    latest[id] = (address, generation)
                }
            }
            let now = InternodeMessaging.now()
            for (address, _) in losers {
                _ = gossiper.removeEndpoint(address, now: now)
                gossiper.evict(address, now: now)
            }
            return losers
        }
        for (address, id) in moved {
            logger.info("node \(id) is no longer at \(address): it came back on another address")
        }
    }

    /// Rebuilds the peers the system tables show and tells drivers what changed.
    private func publish() {
        evictMovedNodes()
        let (states, alive) = lock.withLock { () -> ([InternodeAddress: EndpointState], Set<InternodeAddress>) in
            let s = gossiper.endpointStates.filter { $0.key != messaging.identity.address }
            return (s, Set(s.keys.filter { gossiper.isAlive($0) }))
        }
        var now: [InternodeAddress: PeerInfo] = [:]
        for (address, state) in states {
            now[address] = Self.peerInfo(address, state, alive: alive.contains(address))
        }
        let peers = now.keys.sorted().map { now[$0]! }
        processor.cluster.update(peers)
        coordinator?.ringChanged(now)
        peersPublished?(peers)
        let ours = processor.schema.schemaVersion
        for (address, peer) in now where peer.isAlive && peer.schemaVersion != nil && peer.schemaVersion != ours {
            schemaSync?.pull(from: address)
        }
        let before = lock.withLock { () -> [InternodeAddress: PeerInfo] in
            defer { published = now }
            return published
        }
        for (address, peer) in now.sorted(by: { $0.key < $1.key }) {
            guard let inet = peer.nativeAddress, let port = peer.nativePort else { continue }
            let client = CQLInet(address: inet, port: port)
            let old = before[address]
            // NEW_NODE once the node is a ring member that is up (it serves CQL: drivers
            // connect on the event), as Cassandra waits for RPC_READY.
            let isNew = lock.withLock { () -> Bool in
                guard peer.isRingMember && peer.isAlive && !announced.contains(address) else { return false }
                announced.insert(address)
                return true
            }
            if isNew {
                logger.info("node \(address) joined the ring (\(peer.tokens.count) tokens)")
                events.broadcast(.topologyChange(.newNode, client))
            } else if let old, old.isAlive != peer.isAlive {
                logger.info("node \(address) is \(peer.isAlive ? "UP" : "DOWN")")
                events.broadcast(.statusChange(peer.isAlive ? .up : .down, client))
            }
        }
        for (address, old) in before where now[address] == nil || (old.isRingMember && !(now[address]?.isRingMember ?? false)) {
            guard let inet = old.nativeAddress, let port = old.nativePort else { continue }
            let wasAnnounced = lock.withLock { announced.remove(address) != nil }
            guard wasAnnounced else { continue }
            logger.info("node \(address) left the ring")
            events.broadcast(.topologyChange(.removedNode, CQLInet(address: inet, port: port)))
        }
    }

    static func peerInfo(_ address: InternodeAddress, _ s: EndpointState, alive: Bool) -> PeerInfo {
        let native = s[.nativeAddress]?.value
        var nativeHost: String?, nativePort: Int32?
        if let native, let colon = native.lastIndex(of: ":") {
            nativeHost = String(native[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            nativePort = Int32(native[native.index(after: colon)...])
        }
        return PeerInfo(address: HyadesNode.ipv4(address.host), storagePort: Int32(address.port),
                        hostID: s[.hostID].flatMap { UUID(uuidString: $0.value) },
                        dataCenter: s[.dc]?.value, rack: s[.rack]?.value, releaseVersion: s[.releaseVersion]?.value,
                        nativeAddress: nativeHost.map(HyadesNode.ipv4), nativePort: nativePort,
                        schemaVersion: s[.schema].flatMap { UUID(uuidString: $0.value) },
                        tokens: (s[.tokens]?.value ?? "").split(separator: ",").map(String.init),
                        status: s.status, isAlive: alive, load: s[.load].flatMap { Double($0.value) },
                        generation: s.heartBeat.generation, heartbeat: s.heartBeat.version)
    }

    /// Announces the shutdown to peers (they mark this node down at once) and stops rounds.
    func shutdown() {
        task?.cancel()
        let actions = lock.withLock { gossiper.shutdown(now: InternodeMessaging.now()) }
        for action in actions {
            if case .send(let message, let to) = action {
                let (verb, payload) = GossipCodec.encode(message)
                messaging.send(verb, payload: payload, to: to)
            }
        }
    }
}
