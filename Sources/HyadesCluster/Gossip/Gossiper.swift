/// Cassandra's Gossiper as a state machine: no threads, no clock, no sockets. The driver calls
/// `tick` once a second and `receive` for every gossip message; both return what to send and
/// whom to tell. Randomness (peer choice, digest order) is passed into `tick`, so one seed
/// replays a whole cluster.
///
/// A round, as in Cassandra's GossipTask: bump our heartbeat; send a SYN (digests of every
/// endpoint we know) to a random live peer; with probability unreachable / (live + 1) also to
/// a random unreachable one; and, unless the live peer was a seed (or fewer peers are live
/// than there are seeds), with probability seeds / (live + unreachable) to a random seed
/// (always, when nobody is live). Then every peer's phi is checked and silent ones convicted.
/// SYN → ACK (what each side lacks) → ACK2 (what the receiver asked for) reconcile by
/// (generation, max version). A newer generation replaces an endpoint's whole state; a
/// node newly seen or back from the dead is marked UP only after it answers an ECHO.
public struct Gossiper: Sendable {
    /// Local view of one remote endpoint beside its gossiped state.
    struct Liveness: Sendable {
        var isAlive: Bool
        var updateTimestamp: ClusterTime
    }

    public let identity: NodeIdentity
    public let configuration: GossipConfiguration
    public private(set) var endpointStates: [InternodeAddress: EndpointState]
    public private(set) var failureDetector: FailureDetector
    /// Seeds other than ourselves.
    public let seeds: Set<InternodeAddress>
    public private(set) var liveEndpoints: Set<InternodeAddress> = []
    /// Unreachable endpoints and since when.
    public private(set) var unreachableEndpoints: [InternodeAddress: ClusterTime] = [:]
    /// Endpoints whose gossip is ignored until the quarantine delay has passed.
    public private(set) var quarantined: [InternodeAddress: ClusterTime] = [:]
    /// False after `shutdown`: nothing is sent, everything received is ignored.
    public private(set) var isEnabled = true
    private var liveness: [InternodeAddress: Liveness] = [:]
    private var expireTimes: [InternodeAddress: ClusterTime] = [:]
    private var echoesInFlight: [InternodeAddress: ClusterTime] = [:]
    /// Cassandra's VersionGenerator: one counter for the heartbeat and every local state.
    private var lastVersion: Int32 = 0

    /// `generation`: the node's start time in seconds, higher than any earlier run's
    /// (Cassandra stores it in system.local and takes max(stored + 1, now)).
    public init(identity: NodeIdentity, generation: Int32, configuration: GossipConfiguration) {
        self.identity = identity
        self.configuration = configuration
        self.seeds = Set(configuration.seeds.filter { $0 != identity.address })
        self.failureDetector = FailureDetector(configuration: configuration.failureDetector)
        endpointStates = [identity.address: EndpointState(heartBeat: HeartBeatState(generation: generation))]
        _ = setLocal(.hostID, identity.hostID.description)
    }

    public var localAddress: InternodeAddress { identity.address }
    public var localState: EndpointState { endpointStates[identity.address]! }

    /// Whether the endpoint is UP in our view (ourselves always).
    public func isAlive(_ endpoint: InternodeAddress) -> Bool {
        if endpoint == identity.address { return true }
        guard let state = endpointStates[endpoint], let l = liveness[endpoint] else { return false }
        return l.isAlive && !state.isDeadState
    }

    /// Sets one of our application states at a new version; it spreads with the next rounds.
    @discardableResult
    public mutating func setLocal(_ key: ApplicationState, _ value: String) -> [GossipAction] {
        let v = VersionedValue(value, version: nextVersion())
        endpointStates[identity.address]!.states[key] = v
        return [.notify(.change(identity.address, key, v))]
    }

    // MARK: - The gossip round

    /// One gossip round (call every `intervalMillis`).
    public mutating func tick(now: ClusterTime, using rng: inout some RandomNumberGenerator) -> [GossipAction] {
        guard isEnabled else { return [] }
        endpointStates[identity.address]!.heartBeat.version = nextVersion()
        var actions: [GossipAction] = []

        var endpoints = endpointStates.keys.sorted()
        endpoints.shuffle(using: &rng)
        let digests = endpoints.map { ep -> GossipDigest in
            let s = endpointStates[ep]!
            return GossipDigest(endpoint: ep, generation: s.heartBeat.generation, maxVersion: s.maxVersion)
        }
        let syn = GossipMessage.syn(GossipDigestSyn(clusterName: configuration.clusterName,
                                                    partitioner: configuration.partitioner, digests: digests))

        // A random live member.
        var gossipedToSeed = false
        if !liveEndpoints.isEmpty, let to = pick(liveEndpoints, &rng) {
            actions.append(.send(syn, to: to))
            gossipedToSeed = seeds.contains(to)
        }
        // An unreachable member, to see whether it is back.
        if !unreachableEndpoints.isEmpty {
            let probability = Double(unreachableEndpoints.count) / Double(liveEndpoints.count + 1)
            if Double.random(in: 0 ..< 1, using: &rng) < probability,
               let to = pick(Set(unreachableEndpoints.keys), &rng) {
                actions.append(.send(syn, to: to))
            }
        }
        // A seed, so partitions heal and newcomers are introduced (CASSANDRA-150).
        if !gossipedToSeed || liveEndpoints.count < seeds.count, !seeds.isEmpty {
            if liveEndpoints.isEmpty {
                if let to = pick(seeds, &rng) { actions.append(.send(syn, to: to)) }
            } else {
                let probability = Double(seeds.count) / Double(liveEndpoints.count + unreachableEndpoints.count)
                if Double.random(in: 0 ..< 1, using: &rng) <= probability, let to = pick(seeds, &rng) {
                    actions.append(.send(syn, to: to))
                }
            }
        }
        actions += statusCheck(now: now)
        return actions
    }

    private func pick(_ set: Set<InternodeAddress>, _ rng: inout some RandomNumberGenerator) -> InternodeAddress? {
        let sorted = set.sorted()
        guard !sorted.isEmpty else { return nil }
        return sorted.count == 1 ? sorted[0] : sorted[Int.random(in: 0 ..< sorted.count, using: &rng)]
    }

    /// Convicts silent peers, removes silent gossip-only members and expired dead states, ends
    /// quarantines (Gossiper.doStatusCheck).
    private mutating func statusCheck(now: ClusterTime) -> [GossipAction] {
        var actions: [GossipAction] = []
        for endpoint in endpointStates.keys.sorted() where endpoint != identity.address {
            if failureDetector.interpret(endpoint, now: now) {
                actions += convict(endpoint, now: now)
            }
            guard let state = endpointStates[endpoint], let l = liveness[endpoint] else { continue }
            let gossipOnly = !state.isDeadState && !state.isRingMember
            if gossipOnly, quarantined[endpoint] == nil,
               now.since(l.updateTimestamp) > configuration.fatClientTimeoutMillis * 1_000_000 {
                actions += removeEndpoint(endpoint, now: now)
                evict(endpoint, now: now)
                continue
            }
            let expireAt = expireTimes[endpoint] ?? now.adding(milliseconds: configuration.veryLongTimeMillis)
            if !l.isAlive, now > expireAt, !state.isRingMember {
                evict(endpoint, now: now)
            }
        }
        for (endpoint, since) in quarantined where now.since(since) > configuration.quarantineDelayMillis * 1_000_000 {
            quarantined[endpoint] = nil
        }
        return actions
    }

    // MARK: - Messages

    /// Handles one gossip message from `from`.
    public mutating func receive(_ message: GossipMessage, from: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        guard isEnabled, from != identity.address else { return [] }
        switch message {
        case .syn(let syn):
            guard syn.clusterName == configuration.clusterName, syn.partitioner == configuration.partitioner else {
                return []
            }
            let (wanted, states) = examine(syn.digests)
            return [.send(.ack(GossipDigestAck(digests: wanted, states: states)), to: from)]
        case .ack(let ack):
            var actions: [GossipAction] = []
            if !ack.states.isEmpty {
                notifyFailureDetector(ack.states, now: now)
                actions += applyStateLocally(ack.states, now: now)
            }
            var reply: [InternodeAddress: EndpointState] = [:]
            for d in ack.digests {
                if let s = endpointStates[d.endpoint]?.newer(than: d.maxVersion) { reply[d.endpoint] = s }
            }
            actions.append(.send(.ack2(GossipDigestAck2(states: reply)), to: from))
            return actions
        case .ack2(let ack2):
            notifyFailureDetector(ack2.states, now: now)
            return applyStateLocally(ack2.states, now: now)
        case .shutdown:
            return markAsShutdown(from, now: now)
        case .echoRequest:
            return [.send(.echoResponse, to: from)]
        case .echoResponse:
            guard echoesInFlight.removeValue(forKey: from) != nil, let state = endpointStates[from],
                  !state.isDeadState, !state.isShutdown, liveness[from]?.isAlive == false else { return [] }
            return realMarkAlive(from, now: now)
        }
    }

    /// Leaves gossip cleanly: STATUS becomes shutdown and every live peer is told, so they
    /// mark us DOWN at once (Gossiper.stop with announce).
    public mutating func shutdown(now: ClusterTime) -> [GossipAction] {
        guard isEnabled else { return [] }
        var actions = setLocal(.status, GossipStatus.shutdownValue)
        for peer in liveEndpoints.sorted() { actions.append(.send(.shutdown, to: peer)) }
        isEnabled = false
        return actions
    }

    /// What the SYN's sender lacks (states newer than its digest) and what we lack (digests
    /// with the version we have), endpoint by endpoint (Gossiper.examineGossiper).
    func examine(_ digests: [GossipDigest]) -> ([GossipDigest], [InternodeAddress: EndpointState]) {
        var wanted: [GossipDigest] = []
        var states: [InternodeAddress: EndpointState] = [:]
        // A completely empty SYN is a shadow round: answer with everything.
        let list = digests.isEmpty
            ? endpointStates.keys.sorted().map { GossipDigest(endpoint: $0, generation: 0, maxVersion: 0) }
            : digests
        for d in list {
            guard let local = endpointStates[d.endpoint] else {
                wanted.append(GossipDigest(endpoint: d.endpoint, generation: d.generation, maxVersion: 0))
                continue
            }
            let localGeneration = local.heartBeat.generation
            let localMax = local.maxVersion
            if d.generation == localGeneration && d.maxVersion == localMax { continue }
            if d.generation > localGeneration {
                wanted.append(GossipDigest(endpoint: d.endpoint, generation: d.generation, maxVersion: 0))
            } else if d.generation < localGeneration {
                if let s = local.newer(than: 0) { states[d.endpoint] = s }
            } else if d.maxVersion > localMax {
                wanted.append(GossipDigest(endpoint: d.endpoint, generation: d.generation, maxVersion: localMax))
            } else if let s = local.newer(than: d.maxVersion) {
                states[d.endpoint] = s
            }
        }
        return (wanted, states)
    }

    /// Reports peers whose heartbeat moved to the failure detector, before the states are
    /// applied (Gossiper.notifyFailureDetector).
    private mutating func notifyFailureDetector(_ remote: [InternodeAddress: EndpointState], now: ClusterTime) {
        for endpoint in remote.keys.sorted() {
            guard let local = endpointStates[endpoint], let r = remote[endpoint] else { continue }
            if r.heartBeat.generation > local.heartBeat.generation {
                liveness[endpoint]?.updateTimestamp = now
                // Restarted (or taken over) while we thought it dead: relearn its intervals.
                if liveness[endpoint]?.isAlive != true { failureDetector.remove(endpoint) }
                failureDetector.report(endpoint, now: now)
            } else if r.heartBeat.generation == local.heartBeat.generation, r.heartBeat.version > local.maxVersion {
                liveness[endpoint]?.updateTimestamp = now
                failureDetector.report(endpoint, now: now)
            }
        }
    }

    /// Applies states newer than ours (Gossiper.applyStateLocally).
    private mutating func applyStateLocally(_ remote: [InternodeAddress: EndpointState], now: ClusterTime) -> [GossipAction] {
        var actions: [GossipAction] = []
        for endpoint in remote.keys.sorted() where endpoint != identity.address && quarantined[endpoint] == nil {
            let r = remote[endpoint]!
            guard let local = endpointStates[endpoint] else {
                failureDetector.report(endpoint, now: now)
                actions += handleMajorStateChange(endpoint, r, now: now)
                continue
            }
            if Int64(r.heartBeat.generation) > now.seconds + configuration.maxGenerationDifferenceSeconds {
                continue // an unbelievable generation: some peer's memory is corrupt
            }
            if r.heartBeat.generation > local.heartBeat.generation {
                actions += handleMajorStateChange(endpoint, r, now: now)
            } else if r.heartBeat.generation == local.heartBeat.generation {
                if r.maxVersion > local.maxVersion {
                    actions += applyNewStates(endpoint, r)
                }
                if liveness[endpoint]?.isAlive == false, !endpointStates[endpoint]!.isDeadState {
                    actions += markAlive(endpoint, now: now)
                }
            }
        }
        return actions
    }

    private mutating func applyNewStates(_ endpoint: InternodeAddress, _ remote: EndpointState) -> [GossipAction] {
        var state = endpointStates[endpoint]!
        if remote.heartBeat.version > state.heartBeat.version { state.heartBeat = remote.heartBeat }
        var changed: [ApplicationState] = []
        for (key, value) in remote.states where (state.states[key]?.version ?? Int32.min) < value.version {
            state.states[key] = value
            changed.append(key)
        }
        endpointStates[endpoint] = state
        noteExpireTime(endpoint)
        // TOKENS before STATUS, as Cassandra orders them: a NORMAL status needs its tokens.
        changed.sort { ($0 == .tokens ? -1 : Int($0.rawValue)) < ($1 == .tokens ? -1 : Int($1.rawValue)) }
        return changed.map { .notify(.change(endpoint, $0, state.states[$0]!)) }
    }

    /// A node new to us, or with a new generation: its state replaces ours wholesale.
    private mutating func handleMajorStateChange(_ endpoint: InternodeAddress, _ state: EndpointState, now: ClusterTime) -> [GossipAction] {
        var actions: [GossipAction] = []
        let known = endpointStates[endpoint] != nil
        endpointStates[endpoint] = state
        liveness[endpoint, default: Liveness(isAlive: true, updateTimestamp: now)].updateTimestamp = now
        noteExpireTime(endpoint)
        if known { actions.append(.notify(.restart(endpoint))) }
        if !state.isDeadState {
            actions += markAlive(endpoint, now: now)
        } else {
            actions += markDead(endpoint, now: now)
        }
        actions.append(.notify(.join(endpoint, state)))
        if state.isShutdown { actions += markAsShutdown(endpoint, now: now) }
        return actions
    }

    // MARK: - Liveness

    /// Asks the endpoint for an ECHO before marking it UP: gossip about a node is not proof
    /// that we can reach it.
    private mutating func markAlive(_ endpoint: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        liveness[endpoint]?.isAlive = false
        if let sent = echoesInFlight[endpoint], now.since(sent) < configuration.echoTimeoutMillis * 1_000_000 {
            return []
        }
        echoesInFlight[endpoint] = now
        return [.send(.echoRequest, to: endpoint)]
    }

    private mutating func realMarkAlive(_ endpoint: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        liveness[endpoint] = Liveness(isAlive: true, updateTimestamp: now)
        liveEndpoints.insert(endpoint)
        unreachableEndpoints[endpoint] = nil
        expireTimes[endpoint] = nil
        return [.notify(.alive(endpoint))]
    }

    private mutating func markDead(_ endpoint: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        liveness[endpoint, default: Liveness(isAlive: false, updateTimestamp: now)].isAlive = false
        liveEndpoints.remove(endpoint)
        unreachableEndpoints[endpoint] = now
        return [.notify(.dead(endpoint))]
    }

    /// The failure detector convicted the endpoint (Gossiper.convict).
    private mutating func convict(_ endpoint: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        guard let state = endpointStates[endpoint], liveness[endpoint]?.isAlive == true else { return [] }
        return state.isShutdown ? markAsShutdown(endpoint, now: now) : markDead(endpoint, now: now)
    }

    /// The endpoint left cleanly: record its shutdown STATUS at the highest possible version
    /// of its generation, so no older gossip revives it, and mark it DOWN.
    private mutating func markAsShutdown(_ endpoint: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        guard var state = endpointStates[endpoint] else { return [] }
        state.states[.status] = VersionedValue(GossipStatus.shutdownValue, version: Int32.max)
        state.heartBeat.version = Int32.max
        endpointStates[endpoint] = state
        echoesInFlight[endpoint] = nil
        if unreachableEndpoints[endpoint] != nil { return [] } // already DOWN: say it once
        return markDead(endpoint, now: now)
    }

    private mutating func noteExpireTime(_ endpoint: InternodeAddress) {
        if let status = endpointStates[endpoint]?[.status]?.value, let ms = GossipStatus.expireTimeMillis(of: status) {
            expireTimes[endpoint] = .milliseconds(ms)
        }
    }

    // MARK: - Removal

    /// Drops an endpoint from the live and unreachable sets and quarantines it; its state is
    /// kept until `evict` (Gossiper.removeEndpoint).
    public mutating func removeEndpoint(_ endpoint: InternodeAddress, now: ClusterTime) -> [GossipAction] {
        liveEndpoints.remove(endpoint)
        unreachableEndpoints[endpoint] = nil
        quarantined[endpoint] = now
        return [.notify(.remove(endpoint))]
    }

    /// Forgets an endpoint entirely and quarantines it (Gossiper.evictFromMembership).
    public mutating func evict(_ endpoint: InternodeAddress, now: ClusterTime) {
        guard endpoint != identity.address else { return }
        unreachableEndpoints[endpoint] = nil
        liveEndpoints.remove(endpoint)
        endpointStates[endpoint] = nil
        liveness[endpoint] = nil
        expireTimes[endpoint] = nil
        echoesInFlight[endpoint] = nil
        failureDetector.remove(endpoint)
        quarantined[endpoint] = now
    }

    private mutating func nextVersion() -> Int32 {
        lastVersion += 1
        return lastVersion
    }
}
