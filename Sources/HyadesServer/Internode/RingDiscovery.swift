import Foundation
import HyadesCluster
import HyadesCore
import Logging
import NIOCore
import NIOPosix

/// Before a node's first start picks its tokens: learn the ring through gossip, so the
/// tokens can be allocated against it (`allocate_tokens_for_local_replication_factor`),
/// as Cassandra's bootstrap gossips for `ring_delay` before it allocates.
///
/// The node is not built yet (its tokens are part of what it serves in system.local), so
/// this runs a short gossip session of its own: a listener on `storage_port` that takes
/// internode connections only, an `InternodeMessaging` under the node's host id, and a
/// `Gossiper` with no STATUS and no TOKENS (to the others a gossip-only member, never a
/// ring member). It gossips with the seeds until one of them has answered and one more
/// round has passed (a seed's ACK carries every state the seed knows), or until
/// `timeoutSeconds`. Then it closes everything; the node's own gossip starts later under a
/// higher generation, which replaces this session's state on the other nodes.
enum RingDiscovery {
    /// The ring as the seeds describe it: every endpoint gossiping a member STATUS
    /// (NORMAL, LEAVING, MOVING) or `shutdown` (down, still owning its tokens), with its
    /// host id, DC, rack and tokens. Empty when no seed answered in time.
    static func learnRing(config: ServerConfig, hostID: HostID, timeoutSeconds: Double,
                          logger: Logger) throws -> (ring: TokenMetadata, seedAnswered: Bool) {
        let group = MultiThreadedEventLoopGroup.singleton
        let address = InternodeAddress(host: config.broadcastAddress ?? config.listenAddress, port: UInt16(config.storagePort))
        let identity = HyadesCluster.NodeIdentity(hostID: hostID, address: address)
        let messaging = InternodeMessaging(identity: identity, clusterName: config.clusterName, group: group, logger: logger)
        let seeds = config.seeds.compactMap { seed -> InternodeAddress? in
            let parts = seed.split(separator: ":")
            if parts.count == 2, let port = UInt16(parts[1]) { return InternodeAddress(host: String(parts[0]), port: port) }
            return parts.count == 1 ? InternodeAddress(host: String(parts[0]), port: UInt16(config.storagePort)) : nil
        }
        var configuration = GossipConfiguration(clusterName: config.clusterName, seeds: seeds)
        configuration.failureDetector.phiConvictThreshold = config.phiConvictThreshold
        // One second below now: the node's own gossip (generation = its start second, at
        // least a round later) is always newer, so it replaces this session everywhere.
        let generation = Int32(clamping: InternodeMessaging.now().seconds - 1)
        let session = DiscoverySession(gossiper: Gossiper(identity: identity, generation: generation, configuration: configuration),
                                       messaging: messaging)
        let children = ChildChannels()
        let server = try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                children.add(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StoragePortSniffer { messaging.makeInboundHandler() })
                }
            }
            .bind(host: config.listenAddress, port: config.storagePort).wait()
        defer {
            try? server.close().wait()
            children.closeAll()
            let done = DispatchSemaphore(value: 0)
            Task { await messaging.shutdown(); done.signal() }
            done.wait()
        }
        for verb in [InternodeVerb.gossipDigestSyn, .gossipDigestAck, .gossipDigestAck2, .echoReq, .echoRsp] {
            messaging.register(verb) { frame, from in session.received(frame, from: from) }
        }
        let interval = configuration.intervalMillis
        let task = group.next().scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(interval)) { _ in session.round() }
        defer { task.cancel() }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var answeredAt: Date?
        while Date() < deadline {
            if answeredAt == nil, session.heardFromSeed { answeredAt = Date() }
            // One more round after the first answer: states the seed learned meanwhile.
            if let t = answeredAt, Date().timeIntervalSince(t) >= Double(interval) / 1000 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return (session.ring(logger: logger), answeredAt != nil)
    }
}

/// The gossip of `RingDiscovery`: the pure Gossiper under a lock, its sends performed.
private final class DiscoverySession: @unchecked Sendable {
    private let lock = NSLock()
    private var gossiper: Gossiper
    private let messaging: InternodeMessaging
    private var rng = SystemRandomNumberGenerator()

    init(gossiper: Gossiper, messaging: InternodeMessaging) {
        self.gossiper = gossiper
        self.messaging = messaging
    }

    var heardFromSeed: Bool {
        lock.withLock { gossiper.seeds.contains { gossiper.endpointStates[$0] != nil } }
    }

    func round() {
        perform(lock.withLock { gossiper.tick(now: InternodeMessaging.now(), using: &rng) })
    }

    func received(_ frame: InternodeFrame, from: InternodeAddress) {
        guard let message = try? GossipCodec.decode(verb: frame.verb, payload: frame.payload) else { return }
        perform(lock.withLock { gossiper.receive(message, from: from, now: InternodeMessaging.now()) })
    }

    private func perform(_ actions: [GossipAction]) {
        for case .send(let message, let to) in actions {
            let (verb, payload) = GossipCodec.encode(message)
            messaging.send(verb, payload: payload, to: to)
        }
    }

    /// Ring members from the states gossip brought (ourselves excluded).
    func ring(logger: Logger) -> TokenMetadata {
        let states = lock.withLock { gossiper.endpointStates.filter { $0.key != gossiper.localAddress } }
        var ring = TokenMetadata()
        for (address, s) in states.sorted(by: { $0.key < $1.key }) where s.isRingMember || s.isShutdown {
            guard let id = s[.hostID].flatMap({ HostID($0.value) }) else { continue }
            let tokens = (s[.tokens]?.value ?? "").split(separator: ",").compactMap { Int64($0).map(Token.init) }
            let location = Location(dataCenter: s[.dc]?.value ?? Location.default.dataCenter, rack: s[.rack]?.value ?? Location.default.rack)
            do {
                try ring.add(Endpoint(hostID: id, address: address.host, location: location), tokens: tokens)
            } catch {
                logger.warning("token allocation: \(address)'s tokens left out of the ring: \(error)")
            }
        }
        return ring
    }
}

/// Connections the discovery listener accepted, closed with it.
private final class ChildChannels: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [any Channel] = []

    func add(_ c: any Channel) { lock.withLock { channels.append(c) } }

    func closeAll() {
        for c in lock.withLock({ channels }) { try? c.close().wait() }
    }
}

extension RingDiscovery {
    /// Whether a seed ("host" or "host:port") is this node: its address resolved, compared
    /// with the broadcast (or listen) address resolved, and the port with storage_port.
    static func isSelf(_ seed: String, config: ServerConfig) -> Bool {
        let parts = seed.split(separator: ":")
        guard let host = parts.first else { return false }
        let port = parts.count == 2 ? Int(parts[1]) : config.storagePort
        guard port == config.storagePort else { return false }
        let mine = config.broadcastAddress ?? config.listenAddress
        return String(host) == mine || resolve(String(host)).map { $0 == resolve(mine) } == true
    }

    /// The first IPv4 address of a host name (or the address itself).
    static func resolve(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let info = list else { return nil }
        defer { freeaddrinfo(list) }
        var buffer = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        return info.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
            var a = sin.pointee.sin_addr
            return inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
    }


    /// Cassandra's default `ring_delay_ms`: how long a new node waits for the seeds' states.
    static let ringDelaySeconds = 30.0

    /// The tokens of a node starting for the first time, with
    /// `allocate_tokens_for_local_replication_factor: rf` (TokenAllocation, against the ring
    /// learned from the seeds). The first node (no seed but itself), a node whose seeds do
    /// not answer within the ring delay, and a node without a fixed `storage_port` allocate
    /// against an empty ring: the allocator's first-node split (a random start, then each
    /// token splitting the largest range at 1/4..3/4), not plain random tokens.
    static func allocateTokens(config: ServerConfig, hostID: UUID, replicationFactor rf: Int,
                               logger: Logger = Logger(label: "hyades.tokens")) -> [Token] {
        let id = withUnsafeBytes(of: hostID.uuid) { HostID(bytes: Array($0)) }
        let location = Location(dataCenter: config.dataCenter, rack: config.rack)
        let otherSeeds = config.seeds.filter { !isSelf($0, config: config) }
        var ring = TokenMetadata()
        if otherSeeds.isEmpty {
            logger.info("token allocation: no seed but this node: first node, \(config.numTokens) tokens split from a random start")
        } else if config.storagePort == 0 {
            logger.warning("token allocation: storage_port 0 (ephemeral): cannot gossip before start; tokens allocated as for a first node")
        } else {
            logger.info("token allocation: learning the ring from seeds \(otherSeeds.joined(separator: ", ")) (up to \(Int(ringDelaySeconds)) s)")
            do {
                let learned = try learnRing(config: config, hostID: id, timeoutSeconds: ringDelaySeconds, logger: logger)
                ring = learned.ring
                if !learned.seedAnswered {
                    logger.warning("token allocation: no seed answered within \(Int(ringDelaySeconds)) s; tokens allocated as for a first node")
                }
            } catch {
                logger.warning("token allocation: cannot gossip before start (storage_port \(config.storagePort): \(error)); tokens allocated as for a first node")
            }
        }
        var rng = SystemRandomNumberGenerator()
        let tokens = TokenAllocation.allocate(numTokens: config.numTokens, location: location, ring: ring,
                                              replicationFactor: rf, using: &rng)
        logger.info("token allocation: \(tokens.count) tokens for \(location) against a ring of \(ring.endpoints.count) node(s), allocate_tokens_for_local_replication_factor \(rf)")
        return tokens
    }
}
