import Testing
@testable import HyadesCluster

/// The Gossiper's rules one message at a time; GossipSimulationTests runs whole clusters.
@Suite struct GossiperTests {
    static let t0 = ClusterTime.seconds(1_800_000_000)
    static func address(_ i: Int) -> InternodeAddress { InternodeAddress(host: "127.0.9.\(i)") }

    static func node(_ i: Int, generation: Int32 = 1_800_000_000, seeds: [Int] = [1], cluster: String = "c") -> Gossiper {
        var g = Gossiper(identity: NodeIdentity(hostID: HostID(high: UInt64(i), low: 0), address: address(i)),
                         generation: generation, configuration: GossipConfiguration(clusterName: cluster, seeds: seeds.map(address)))
        g.setLocal(.status, GossipStatus.normal(tokens: [Int64(i)]))
        return g
    }

    static func sends(_ actions: [GossipAction]) -> [(GossipMessage, InternodeAddress)] {
        actions.compactMap { if case .send(let m, let to) = $0 { return (m, to) } else { return nil } }
    }

    static func notes(_ actions: [GossipAction]) -> [GossipNotification] {
        actions.compactMap { if case .notify(let n) = $0 { return n } else { return nil } }
    }

    @Test func localStatesShareOneVersionCounterWithTheHeartbeat() {
        var g = Self.node(2)
        // HOST_ID (1) and STATUS (2) were set at start.
        #expect(g.localState[.hostID] == VersionedValue(HostID(high: 2, low: 0).description, version: 1))
        #expect(g.localState[.status]?.version == 2)
        var rng = SimulationRandom(seed: 1)
        _ = g.tick(now: Self.t0, using: &rng)
        #expect(g.localState.heartBeat.version == 3)
        let actions = g.setLocal(.load, "10")
        #expect(g.localState[.load]?.version == 4)
        #expect(Self.notes(actions) == [.change(Self.address(2), .load, VersionedValue("10", version: 4))])
        #expect(g.localState.maxVersion == 4)
    }

    @Test func aLoneNodeGossipsToItsSeedEveryRound() {
        var g = Self.node(2)
        var rng = SimulationRandom(seed: 1)
        for s in 0 ..< 5 {
            let sends = Self.sends(g.tick(now: Self.t0.adding(milliseconds: Int64(s) * 1000), using: &rng))
            #expect(sends.count == 1)
            #expect(sends.first?.1 == Self.address(1))
            guard case .syn(let syn) = sends.first?.0 else { Issue.record("not a SYN"); return }
            #expect(syn.clusterName == "c")
            #expect(syn.digests == [GossipDigest(endpoint: Self.address(2), generation: 1_800_000_000, maxVersion: Int32(3 + s))])
        }
        // The only seed being ourselves: nobody to talk to.
        var seed = Self.node(1)
        #expect(Self.sends(seed.tick(now: Self.t0, using: &rng)).isEmpty)
    }

    /// Runs SYN → ACK → ACK2 (and ECHO) between two gossipers until nothing more is sent.
    static func exchange(_ nodes: inout [InternodeAddress: Gossiper], start: [(GossipMessage, InternodeAddress, InternodeAddress)],
                         now: ClusterTime) -> [InternodeAddress: [GossipNotification]] {
        var pending = start
        var notes: [InternodeAddress: [GossipNotification]] = [:]
        while !pending.isEmpty {
            let (m, from, to) = pending.removeFirst()
            let actions = nodes[to]!.receive(m, from: from, now: now)
            notes[to, default: []] += Self.notes(actions)
            pending += Self.sends(actions).map { ($0.0, to, $0.1) }
        }
        return notes
    }

    @Test func synAckAck2BringsTwoNodesTogether() {
        var nodes = [Self.address(1): Self.node(1), Self.address(2): Self.node(2)]
        var rng = SimulationRandom(seed: 3)
        let syn = Self.sends(nodes[Self.address(2)]!.tick(now: Self.t0, using: &rng))
        let notes = Self.exchange(&nodes, start: syn.map { ($0.0, Self.address(2), $0.1) }, now: Self.t0)
        // The seed learned node 2 from its ACK2, and marked it UP after an ECHO.
        let n1 = nodes[Self.address(1)]!
        #expect(n1.endpointStates[Self.address(2)] == nodes[Self.address(2)]!.localState)
        #expect(n1.isAlive(Self.address(2)))
        let seen = notes[Self.address(1)] ?? []
        #expect(seen.contains(.alive(Self.address(2))))
        #expect(seen.contains { if case .join(Self.address(2), _) = $0 { return true } else { return false } })
        // Node 2 learns node 1 when node 1 gossips back.
        let back = Self.sends(nodes[Self.address(1)]!.tick(now: Self.t0.adding(milliseconds: 1000), using: &rng))
        #expect(back.map(\.1) == [Self.address(2)]) // the only live peer
        _ = Self.exchange(&nodes, start: back.map { ($0.0, Self.address(1), $0.1) }, now: Self.t0.adding(milliseconds: 1000))
        #expect(nodes[Self.address(2)]!.isAlive(Self.address(1)))
        #expect(nodes[Self.address(2)]!.endpointStates[Self.address(1)]?[.status] == nodes[Self.address(1)]!.localState[.status])
    }

    @Test func digestsAreComparedByGenerationThenMaxVersion() {
        var g = Self.node(1)
        let peer = Self.address(2)
        let known = EndpointState(heartBeat: HeartBeatState(generation: 100, version: 10),
                                  states: [.status: VersionedValue("NORMAL,2", version: 5), .load: VersionedValue("7", version: 12)])
        _ = g.receive(.ack2(GossipDigestAck2(states: [peer: known])), from: peer, now: Self.t0)
        func examine(_ generation: Int32, _ version: Int32) -> ([GossipDigest], [InternodeAddress: EndpointState]) {
            g.examine([GossipDigest(endpoint: peer, generation: generation, maxVersion: version)])
        }
        // Same: nothing either way.
        #expect(examine(100, 12).0.isEmpty && examine(100, 12).1.isEmpty)
        // Remote newer generation: ask for everything.
        #expect(examine(101, 1).0 == [GossipDigest(endpoint: peer, generation: 101, maxVersion: 0)])
        // Remote older generation: send everything.
        #expect(examine(99, 50).1 == [peer: known])
        // Same generation, remote ahead: ask from our max version.
        #expect(examine(100, 20).0 == [GossipDigest(endpoint: peer, generation: 100, maxVersion: 12)])
        // Same generation, remote behind: send what is newer than its version (heartbeat rides along).
        #expect(examine(100, 6).1 == [peer: EndpointState(heartBeat: known.heartBeat, states: [.load: known[.load]!])])
        #expect(examine(100, 11).1 == [peer: EndpointState(heartBeat: known.heartBeat, states: [.load: known[.load]!])])
        // Unknown endpoint: ask for everything.
        let stranger = Self.address(9)
        #expect(g.examine([GossipDigest(endpoint: stranger, generation: 5, maxVersion: 5)]).0
                == [GossipDigest(endpoint: stranger, generation: 5, maxVersion: 0)])
        // An empty SYN (shadow round) is answered with everything.
        #expect(Set(g.examine([]).1.keys) == [Self.address(1), peer])
    }

    @Test func olderOrEqualStatesAreIgnoredAndNewerOnesNotified() {
        var g = Self.node(1)
        let peer = Self.address(2)
        let base = EndpointState(heartBeat: HeartBeatState(generation: 100, version: 10),
                                 states: [.status: VersionedValue("NORMAL,2", version: 5)])
        _ = g.receive(.ack2(GossipDigestAck2(states: [peer: base])), from: peer, now: Self.t0)
        // An older value at a lower version does not overwrite.
        var stale = base
        stale.states[.status] = VersionedValue("BOOT", version: 4)
        stale.heartBeat.version = 11
        _ = g.receive(.ack2(GossipDigestAck2(states: [peer: stale])), from: peer, now: Self.t0)
        #expect(g.endpointStates[peer]?[.status]?.value == "NORMAL,2")
        #expect(g.endpointStates[peer]?.heartBeat.version == 11)
        // A newer one does, and is announced.
        var newer = base
        newer.states[.status] = VersionedValue("LEAVING,2", version: 13)
        newer.states[.tokens] = VersionedValue("2", version: 12)
        let notes = Self.notes(g.receive(.ack2(GossipDigestAck2(states: [peer: newer])), from: peer, now: Self.t0))
        #expect(notes.filter { if case .change = $0 { return true } else { return false } } == [
            .change(peer, .tokens, VersionedValue("2", version: 12)),   // TOKENS first
            .change(peer, .status, VersionedValue("LEAVING,2", version: 13)),
        ])
        // A lower generation is ignored entirely.
        let old = EndpointState(heartBeat: HeartBeatState(generation: 99, version: 500), states: [.status: VersionedValue("BOOT", version: 400)])
        #expect(Self.notes(g.receive(.ack2(GossipDigestAck2(states: [peer: old])), from: peer, now: Self.t0)).isEmpty)
        #expect(g.endpointStates[peer]?.heartBeat.generation == 100)
        // A generation a year ahead of our clock is unbelievable.
        let future = EndpointState(heartBeat: HeartBeatState(generation: Int32(Self.t0.seconds + 86_400 * 366), version: 1))
        _ = g.receive(.ack2(GossipDigestAck2(states: [peer: future])), from: peer, now: Self.t0)
        #expect(g.endpointStates[peer]?.heartBeat.generation == 100)
    }

    @Test func anotherClusterOrPartitionerIsIgnored() {
        var g = Self.node(1)
        let digests = [GossipDigest(endpoint: Self.address(2), generation: 1, maxVersion: 1)]
        #expect(g.receive(.syn(GossipDigestSyn(clusterName: "other", partitioner: g.configuration.partitioner, digests: digests)),
                          from: Self.address(2), now: Self.t0).isEmpty)
        #expect(g.receive(.syn(GossipDigestSyn(clusterName: "c", partitioner: "RandomPartitioner", digests: digests)),
                          from: Self.address(2), now: Self.t0).isEmpty)
        #expect(!g.receive(.syn(GossipDigestSyn(clusterName: "c", partitioner: g.configuration.partitioner, digests: digests)),
                           from: Self.address(2), now: Self.t0).isEmpty)
    }

    @Test func deadStatesAreNeverMarkedUpAndExpireOffTheRing() {
        var g = Self.node(1)
        let peer = Self.address(2)
        let expireAt = Self.t0.adding(milliseconds: 10_000).milliseconds
        let left = EndpointState(heartBeat: HeartBeatState(generation: 100, version: 3),
                                 states: [.status: VersionedValue(GossipStatus.left(tokens: [2], expireAtMillis: expireAt), version: 3)])
        let notes = Self.notes(g.receive(.ack2(GossipDigestAck2(states: [peer: left])), from: peer, now: Self.t0))
        #expect(notes.contains(.dead(peer)))
        #expect(!g.isAlive(peer))
        var rng = SimulationRandom(seed: 1)
        _ = g.tick(now: Self.t0.adding(milliseconds: 5000), using: &rng)
        #expect(g.endpointStates[peer] != nil)
        _ = g.tick(now: Self.t0.adding(milliseconds: 11_000), using: &rng)
        #expect(g.endpointStates[peer] == nil)
        // Evicted endpoints are quarantined: their gossip is ignored for a while...
        #expect(g.quarantined[peer] != nil)
        _ = g.receive(.ack2(GossipDigestAck2(states: [peer: left])), from: peer, now: Self.t0.adding(milliseconds: 12_000))
        #expect(g.endpointStates[peer] == nil)
        // ...until the quarantine delay (60 s) has passed.
        _ = g.tick(now: Self.t0.adding(milliseconds: 72_000), using: &rng)
        #expect(g.quarantined[peer] == nil)
    }

    @Test func silentGossipOnlyMembersAreRemoved() {
        var g = Self.node(1)
        let client = Self.address(3)
        // A fat client: gossips, owns no tokens.
        let state = EndpointState(heartBeat: HeartBeatState(generation: 100, version: 3), states: [.dc: VersionedValue("dc1", version: 2)])
        _ = g.receive(.ack2(GossipDigestAck2(states: [client: state])), from: client, now: Self.t0)
        var rng = SimulationRandom(seed: 1)
        _ = g.tick(now: Self.t0.adding(milliseconds: 29_000), using: &rng)
        #expect(g.endpointStates[client] != nil)
        let notes = Self.notes(g.tick(now: Self.t0.adding(milliseconds: 31_000), using: &rng))
        #expect(notes.contains(.remove(client)))
        #expect(g.endpointStates[client] == nil)
    }

    @Test func aRestartReplacesTheWholeState() {
        var g = Self.node(1)
        let peer = Self.address(2)
        let first = EndpointState(heartBeat: HeartBeatState(generation: 100, version: 50),
                                  states: [.status: VersionedValue("NORMAL,2", version: 5), .schema: VersionedValue("s1", version: 40)])
        _ = g.receive(.ack2(GossipDigestAck2(states: [peer: first])), from: peer, now: Self.t0)
        _ = g.receive(.echoResponse, from: peer, now: Self.t0)
        #expect(g.isAlive(peer))
        let second = EndpointState(heartBeat: HeartBeatState(generation: 200, version: 2),
                                   states: [.status: VersionedValue("NORMAL,2", version: 1)])
        let actions = g.receive(.ack2(GossipDigestAck2(states: [peer: second])), from: peer, now: Self.t0)
        #expect(g.endpointStates[peer] == second)
        let notes = Self.notes(actions)
        #expect(notes.first == .restart(peer))
        #expect(notes.contains(.join(peer, second)))
        // UP again only after it answers an ECHO.
        #expect(Self.sends(actions).contains { $0.0 == .echoRequest && $0.1 == peer })
        #expect(!g.isAlive(peer))
        #expect(Self.notes(g.receive(.echoResponse, from: peer, now: Self.t0)) == [.alive(peer)])
        // An unsolicited ECHO answer changes nothing.
        #expect(g.receive(.echoResponse, from: peer, now: Self.t0).isEmpty)
    }
}
