import Foundation
import Testing
@testable import HyadesCluster

/// Five gossiping nodes in one process (GossipSimulation): convergence from one seed, a
/// partitioned node convicted and revived, a restarted node replacing its old state.
/// Seeds are fixed so CI is stable; HYADES_GOSSIP_SEED=<n> replays (or explores) one seed.
/// Each run prints its seed, and every expectation names it.
@Suite struct GossipSimulationTests {
    static let seeds: [UInt64] = {
        if let s = ProcessInfo.processInfo.environment["HYADES_GOSSIP_SEED"], let v = UInt64(s) { return [v] }
        return [1, 2, 3, 0xC0FFEE]
    }()

    static func fiveNodes(seed: UInt64) -> GossipSimulation {
        print("gossip simulation seed \(seed) (replay: HYADES_GOSSIP_SEED=\(seed))")
        var sim = GossipSimulation(seed: seed)
        for i in 0 ..< 5 { sim.start(i, seeds: [0]) }
        return sim
    }

    @Test(arguments: seeds)
    func fiveNodesConvergeFromOneSeed(seed: UInt64) {
        var sim = Self.fiveNodes(seed: seed)
        let rounds = sim.runUntilConverged(maxSeconds: 60)
        #expect(rounds != nil, "seed \(seed): not converged after 60 rounds")
        print("seed \(seed): converged after \(rounds ?? -1) rounds; \(sim.messagesSent) messages, \(sim.messagesLost) lost")
        // Everyone saw everyone join and come UP, and nobody was ever marked DOWN.
        for i in 0 ..< 5 {
            let observer = GossipSimulation.address(i)
            for j in 0 ..< 5 where j != i {
                let other = GossipSimulation.address(j)
                #expect(sim.notified(observer, since: .seconds(0)) { $0 == .alive(other) }, "seed \(seed)")
                #expect(!sim.notified(observer, since: .seconds(0)) { $0 == .dead(other) }, "seed \(seed)")
            }
        }
        // A later change spreads too.
        sim.setLocal(3, .load, "123456")
        let changedAt = sim.now
        #expect(sim.runUntilConverged(maxSeconds: 15) != nil, "seed \(seed)")
        for i in [0, 1, 2, 4] {
            #expect(sim.nodes[GossipSimulation.address(i)]!.endpointStates[GossipSimulation.address(3)]?[.load]?.value == "123456",
                    "seed \(seed)")
            #expect(sim.notified(GossipSimulation.address(i), since: changedAt) {
                if case .change(GossipSimulation.address(3), .load, let v) = $0 { return v.value == "123456" }
                return false
            }, "seed \(seed)")
        }
    }

    @Test(arguments: seeds)
    func partitionedNodeIsConvictedThenMarkedUpWhenHealed(seed: UInt64) {
        var sim = Self.fiveNodes(seed: seed)
        #expect(sim.runUntilConverged(maxSeconds: 60) != nil, "seed \(seed)")
        let victim = GossipSimulation.address(4)
        let others = (0 ..< 4).map(GossipSimulation.address)

        let cut = sim.now
        sim.partitioned = [victim]
        sim.run(seconds: 5)
        // phi 8 needs 8 × ln 10 ≈ 18.4 mean heartbeat intervals of silence; relayed heartbeats
        // arrive every 0.5 to 1 s, so nobody convicts within 5 s.
        for o in others { #expect(sim.nodes[o]!.isAlive(victim), "seed \(seed): convicted too early") }
        sim.run(seconds: 40)
        for o in others {
            #expect(!sim.nodes[o]!.isAlive(victim), "seed \(seed): \(o) still sees \(victim) UP")
            #expect(sim.notified(o, since: cut) { $0 == .dead(victim) }, "seed \(seed)")
            // The others still see each other.
            for p in others where p != o { #expect(sim.nodes[o]!.isAlive(p), "seed \(seed)") }
        }
        for o in others { #expect(!sim.nodes[victim]!.isAlive(o), "seed \(seed): the victim sees \(o) UP") }

        let healed = sim.now
        sim.partitioned = []
        let rounds = sim.runUntilConverged(maxSeconds: 60)
        #expect(rounds != nil, "seed \(seed): not healed after 60 rounds")
        print("seed \(seed): healed after \(rounds ?? -1) rounds")
        for o in others {
            #expect(sim.notified(o, since: healed) { $0 == .alive(victim) }, "seed \(seed)")
            #expect(sim.notified(victim, since: healed) { $0 == .alive(o) }, "seed \(seed)")
        }
    }

    @Test(arguments: seeds)
    func restartedNodeReplacesItsOldState(seed: UInt64) {
        var sim = Self.fiveNodes(seed: seed)
        #expect(sim.runUntilConverged(maxSeconds: 60) != nil, "seed \(seed)")
        let node = GossipSimulation.address(2)
        sim.setLocal(2, .schema, "old-schema")
        #expect(sim.runUntilConverged(maxSeconds: 15) != nil, "seed \(seed)")
        let oldGeneration = sim.nodes[node]!.localState.heartBeat.generation

        sim.stop(2)
        sim.run(seconds: 40)
        for i in [0, 1, 3, 4] { #expect(!sim.nodes[GossipSimulation.address(i)]!.isAlive(node), "seed \(seed)") }

        let restarted = sim.now
        sim.start(2, seeds: [0], extraStates: [.releaseVersion: "5.0.1"])
        let newGeneration = sim.nodes[node]!.localState.heartBeat.generation
        #expect(newGeneration > oldGeneration)
        let rounds = sim.runUntilConverged(maxSeconds: 60)
        #expect(rounds != nil, "seed \(seed): restarted node not converged after 60 rounds")
        print("seed \(seed): restarted node converged after \(rounds ?? -1) rounds")
        for i in [0, 1, 3, 4] {
            let observer = GossipSimulation.address(i)
            let seen = sim.nodes[observer]!.endpointStates[node]
            #expect(seen?.heartBeat.generation == newGeneration, "seed \(seed)")
            #expect(seen?[.releaseVersion]?.value == "5.0.1", "seed \(seed)")
            // The old generation's SCHEMA did not survive: the new state replaced it wholesale.
            #expect(seen?[.schema] == nil, "seed \(seed)")
            #expect(sim.nodes[observer]!.isAlive(node), "seed \(seed)")
            #expect(sim.notified(observer, since: restarted) { $0 == .restart(node) }, "seed \(seed)")
            #expect(sim.notified(observer, since: restarted) { $0 == .alive(node) }, "seed \(seed)")
        }
    }

    /// Without loss no ECHO waits for its 10 s timeout, so convergence is quick: the long tail
    /// of the lossy runs above is lost ECHOes, as in Cassandra. (Its own tail: a non-seed
    /// learns the others only when one of them picks it as its random live peer.)
    @Test(arguments: seeds)
    func withoutLossFiveNodesConvergeQuickly(seed: UInt64) {
        var sim = Self.fiveNodes(seed: seed)
        sim.lossProbability = 0
        let rounds = sim.runUntilConverged(maxSeconds: 15)
        #expect(rounds != nil, "seed \(seed): not converged after 15 rounds without loss")
        print("seed \(seed): converged without loss after \(rounds ?? -1) rounds")
    }

    @Test func sameSeedReplaysTheSameRun() {
        var a = Self.fiveNodes(seed: 42)
        var b = Self.fiveNodes(seed: 42)
        a.run(seconds: 20)
        b.run(seconds: 20)
        #expect(a.messagesSent == b.messagesSent && a.messagesLost == b.messagesLost)
        for i in 0 ..< 5 {
            let n = GossipSimulation.address(i)
            #expect(a.nodes[n]!.endpointStates == b.nodes[n]!.endpointStates)
            #expect(a.notifications[n]!.map(\.1) == b.notifications[n]!.map(\.1))
        }
    }

    @Test func cleanShutdownIsSeenAtOnce() {
        var sim = Self.fiveNodes(seed: 7)
        #expect(sim.runUntilConverged(maxSeconds: 60) != nil)
        let node = GossipSimulation.address(1)
        let actions = sim.nodes[node]!.shutdown(now: sim.now)
        // Every live peer is told directly.
        let told = Set(actions.compactMap { if case .send(.shutdown, let to) = $0 { return to } else { return nil } })
        #expect(told == Set([0, 2, 3, 4].map(GossipSimulation.address)))
        for to in told { _ = sim.nodes[to]!.receive(.shutdown, from: node, now: sim.now) }
        for to in told {
            #expect(!sim.nodes[to]!.isAlive(node))
            #expect(sim.nodes[to]!.endpointStates[node]?.status == GossipStatus.shutdown)
        }
        // A stopped gossiper ignores everything and sends nothing.
        var rng = SimulationRandom(seed: 1)
        #expect(sim.nodes[node]!.tick(now: sim.now, using: &rng).isEmpty)
    }
}
