import HyadesCore
import Testing
@testable import HyadesCluster

/// Balanced allocation (allocate_tokens_for_local_replication_factor's idea) against random
/// tokens, measured by effective ownership (`nodetool status` "Owns (effective)").
@Suite struct TokenAllocationTests {
    typealias F = RingFixtures

    /// Grows a ring node by node; `balanced: false` gives every node random tokens.
    static func grow(nodes: Int, numTokens: Int = 16, rf: Int, racks: Int = 1, balanced: Bool, seed: UInt64) throws -> TokenMetadata {
        var rng = RingTestRandom(seed: seed)
        var ring = TokenMetadata()
        for n in 1...nodes {
            let e = F.endpoint(n, rack: "r\((n - 1) % racks + 1)")
            let tokens = balanced
                ? TokenAllocation.allocate(numTokens: numTokens, location: e.location, ring: ring, replicationFactor: rf, using: &rng)
                : TokenAllocation.randomTokens(count: numTokens, avoiding: Set(ring.sortedTokens), using: &rng)
            #expect(tokens.count == numTokens && Set(tokens).count == numTokens)
            try ring.add(e, tokens: tokens)
        }
        return ring
    }

    /// max / min effective ownership over the nodes.
    static func spread(_ ring: TokenMetadata, rf: Int, racks: Int = 1) -> Double {
        let strategy: any ReplicationStrategy = racks == 1
            ? SimpleStrategy(replicationFactor: rf) : NetworkTopologyStrategy(dataCenters: ["dc1": rf])
        let own = ReplicaMap(strategy: strategy, ring: ring).effectiveOwnership().values
        return own.max()! / own.min()!
    }

    @Test func sameSeedSameTokens() throws {
        let a = try Self.grow(nodes: 4, rf: 3, balanced: true, seed: 7)
        let b = try Self.grow(nodes: 4, rf: 3, balanced: true, seed: 7)
        let c = try Self.grow(nodes: 4, rf: 3, balanced: true, seed: 8)
        #expect(a.sortedTokens == b.sortedTokens)
        #expect(a.sortedTokens != c.sortedTokens)
    }

    /// The first nodes (fewer than RF) split the largest range at a random ratio in
    /// [1/4, 3/4]: ranges stay within a factor 4 of each other, where random tokens are
    /// typically hundreds of times apart.
    @Test func firstNodesSplitTheLargestRange() throws {
        var r1 = RingTestRandom(seed: 3), r2 = RingTestRandom(seed: 3)
        let loc = F.endpoint(1).location
        let t1 = TokenAllocation.allocate(numTokens: 16, location: loc, ring: TokenMetadata(), replicationFactor: 3, using: &r1)
        #expect(t1 == TokenAllocation.allocate(numTokens: 16, location: loc, ring: TokenMetadata(), replicationFactor: 3, using: &r2))
        #expect(Set(t1).count == 16 && !t1.contains(Token.minimum))
        var ring = try TokenMetadata([(F.endpoint(1), t1)])
        func spread(_ ring: TokenMetadata) -> Double {
            let sizes = ring.ranges.map(\.ringFraction)
            return sizes.max()! / sizes.min()!
        }
        #expect(spread(ring) <= 4)
        let t2 = TokenAllocation.allocate(numTokens: 16, location: loc, ring: ring, replicationFactor: 3, using: &r1)
        try ring.add(F.endpoint(2), tokens: t2)
        #expect(spread(ring) <= 4)
        var r3 = RingTestRandom(seed: 3)
        let random = try TokenMetadata([(F.endpoint(1), TokenAllocation.randomTokens(count: 32, using: &r3))])
        #expect(spread(random) > 4)
    }

    /// 16 tokens, RF 3, max/min effective ownership, worst of seeds 1...5 (measured):
    /// 3 nodes 1.0 both ways (every node holds everything); 5 nodes balanced 1.071 vs
    /// random 1.93; 10 nodes 1.080 vs 1.78. Bound stated: balanced <= 1.10, and its excess
    /// over 1 at most half of random's.
    @Test(arguments: [3, 5, 10])
    func balancedOwnershipAtRF3(nodes: Int) throws {
        var worstBalanced = 1.0, worstRandom = 1.0
        for seed in UInt64(1)...5 {
            worstBalanced = max(worstBalanced, Self.spread(try Self.grow(nodes: nodes, rf: 3, balanced: true, seed: seed), rf: 3))
            worstRandom = max(worstRandom, Self.spread(try Self.grow(nodes: nodes, rf: 3, balanced: false, seed: seed), rf: 3))
        }
        print("nodes \(nodes) RF 3: balanced max/min \(worstBalanced), random \(worstRandom)")
        #expect(worstBalanced <= 1.10)
        if nodes > 3 { #expect(worstBalanced - 1 <= (worstRandom - 1) / 2) }
    }

    /// With racks, ownership is counted by the rack-aware placement: 6 nodes on 3 racks,
    /// RF 3 (measured: balanced 1.087, random 2.74).
    @Test func balancedOwnershipWithRacks() throws {
        var worst = 1.0, worstRandom = 1.0
        for seed in UInt64(1)...3 {
            worst = max(worst, Self.spread(try Self.grow(nodes: 6, rf: 3, racks: 3, balanced: true, seed: seed), rf: 3, racks: 3))
            worstRandom = max(worstRandom, Self.spread(try Self.grow(nodes: 6, rf: 3, racks: 3, balanced: false, seed: seed), rf: 3, racks: 3))
        }
        print("6 nodes, 3 racks, RF 3: balanced max/min \(worst), random \(worstRandom)")
        #expect(worst <= 1.10)
        #expect(worst - 1 <= (worstRandom - 1) / 2)
    }

    @Test func otherDataCentresDoNotSteerTheAllocation() throws {
        var ring = try Self.grow(nodes: 3, rf: 3, balanced: true, seed: 11)
        var rng = RingTestRandom(seed: 12)
        let dc2 = Location(dataCenter: "dc2", rack: "r1")
        // The first node of dc2 is random; the second is balanced within dc2 only.
        let first = TokenAllocation.allocate(numTokens: 16, location: dc2, ring: ring, replicationFactor: 2, using: &rng)
        try ring.add(Endpoint(hostID: F.host(20), address: "a", location: dc2), tokens: first)
        let second = TokenAllocation.allocate(numTokens: 16, location: dc2, ring: ring, replicationFactor: 2, using: &rng)
        #expect(Set(second).isDisjoint(with: ring.sortedTokens))
        try ring.add(Endpoint(hostID: F.host(21), address: "b", location: dc2), tokens: second)
        let third = TokenAllocation.allocate(numTokens: 16, location: dc2, ring: ring, replicationFactor: 2, using: &rng)
        try ring.add(Endpoint(hostID: F.host(22), address: "c", location: dc2), tokens: third)
        let own = ReplicaMap(strategy: NetworkTopologyStrategy(dataCenters: ["dc2": 2]), ring: ring).effectiveOwnership()
        let dc2Own = [20, 21, 22].map { own[F.host($0)]! }
        #expect(dc2Own.max()! / dc2Own.min()! <= 1.15)
    }
}
