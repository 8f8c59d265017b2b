import HyadesCore
import Testing
@testable import HyadesCluster

@Suite struct RingTests {
    typealias F = RingFixtures

    func threeNodes() throws -> TokenMetadata {
        try TokenMetadata([
            (F.endpoint(1), F.tokens(-100, 200)),
            (F.endpoint(2), F.tokens(0, 300)),
            (F.endpoint(3), F.tokens(100)),
        ])
    }

    @Test func sortedRingAndOwners() throws {
        let ring = try threeNodes()
        #expect(ring.sortedTokens == F.tokens(-100, 0, 100, 200, 300))
        #expect(ring.owners == [F.host(1), F.host(2), F.host(3), F.host(1), F.host(2)])
        #expect(ring.owner(of: Token(100)) == F.host(3))
        #expect(ring.owner(of: Token(101)) == nil)
        #expect(ring.tokens[F.host(1)] == F.tokens(-100, 200))
    }

    @Test func rangesAreStartExclusiveEndInclusiveAndWrap() throws {
        let ring = try threeNodes()
        // A ring token belongs to the range it ends; one past it to the next range.
        #expect(ring.firstToken(Token(0)) == Token(0))
        #expect(ring.firstToken(Token(1)) == Token(100))
        #expect(ring.firstToken(Token(-101)) == Token(-100))
        // Past the largest token the ring wraps to the smallest.
        #expect(ring.firstToken(Token(301)) == Token(-100))
        #expect(ring.firstToken(Token.maximum) == Token(-100))
        #expect(ring.firstToken(Token(Int64.min + 1)) == Token(-100))

        let wrap = ring.primaryRange(for: Token(Int64.max))
        #expect(wrap == TokenRange(start: Token(300), end: Token(-100)))
        #expect(wrap.isWrapping)
        #expect(wrap.contains(Token(Int64.max)) && wrap.contains(Token(-100)) && wrap.contains(Token(Int64.min + 1)))
        #expect(!wrap.contains(Token(300)) && !wrap.contains(Token(-99)))
        let mid = ring.primaryRange(for: Token(50))
        #expect(mid == TokenRange(start: Token(0), end: Token(100)))
        #expect(mid.contains(Token(100)) && !mid.contains(Token(0)))

        #expect(ring.ranges.count == 5)
        #expect(ring.ranges.first == wrap)
        #expect(ring.primaryRanges(of: F.host(1)) == [wrap, TokenRange(start: Token(100), end: Token(200))])
        // Fractions of the ring add up to one.
        let total = ring.ranges.map(\.ringFraction).reduce(0, +)
        #expect(abs(total - 1.0) < 1e-12)
    }

    @Test func oneTokenRingIsTheWholeRing() throws {
        let ring = try TokenMetadata([(F.endpoint(1), F.tokens(42))])
        let r = ring.primaryRange(for: Token(-5))
        #expect(r == TokenRange(start: Token(42), end: Token(42)))
        #expect(r.contains(Token(42)) && r.contains(Token(Int64.min + 1)))
        #expect(r.ringFraction == 1.0)
    }

    @Test func identityIsTheHostIDNotTheAddress() throws {
        var ring = try threeNodes()
        let before = ReplicaMap(strategy: SimpleStrategy(replicationFactor: 2), ring: ring).rangeReplicas
        // Node 2 restarts on another address: same tokens, same replicas.
        try ring.updateAddress(of: F.host(2), to: "10.0.0.9")
        #expect(ring.endpoint(atAddress: "10.0.0.9")?.hostID == F.host(2))
        #expect(ring.endpoint(atAddress: "127.0.1.2") == nil)
        #expect(ring.tokens[F.host(2)] == F.tokens(0, 300))
        #expect(ReplicaMap(strategy: SimpleStrategy(replicationFactor: 2), ring: ring).rangeReplicas == before)
        #expect(throws: RingError.unknownEndpoint(F.host(9))) { try ring.updateAddress(of: F.host(9), to: "x") }
    }

    @Test func joiningNodesDoNotOwnYetLeavingNodesStillDo() throws {
        var ring = try threeNodes()
        try ring.add(F.endpoint(4, status: .joining), tokens: F.tokens(50))
        #expect(ring.owner(of: Token(50)) == nil)
        #expect(ring.dataCenterEndpoints["dc1"]?.count == 3)
        #expect(ring.tokens[F.host(4)] == F.tokens(50))
        try ring.setStatus(of: F.host(4), to: .normal)
        #expect(ring.owner(of: Token(50)) == F.host(4))
        try ring.setStatus(of: F.host(4), to: .leaving)
        #expect(ring.owner(of: Token(50)) == F.host(4))
        ring.remove(F.host(4))
        #expect(ring.owner(of: Token(50)) == nil)
        #expect(ring.endpoint(F.host(4)) == nil)
    }

    @Test func inconsistentTokensAreRefused() throws {
        var ring = try threeNodes()
        #expect(throws: RingError.tokenOwned(Token(100), owner: F.host(3), claimant: F.host(4))) {
            try ring.add(F.endpoint(4), tokens: F.tokens(7, 100))
        }
        #expect(throws: RingError.duplicateToken(Token(7), F.host(4))) { try ring.add(F.endpoint(4), tokens: F.tokens(7, 7)) }
        #expect(throws: RingError.minimumToken(F.host(4))) { try ring.add(F.endpoint(4), tokens: [Token.minimum]) }
        #expect(throws: RingError.noTokens(F.host(4))) { try ring.add(F.endpoint(4), tokens: []) }
        #expect(ring.endpoints.count == 3)   // nothing half-applied
        // Re-adding a node with new tokens replaces its old ones.
        try ring.add(F.endpoint(3), tokens: F.tokens(150))
        #expect(ring.owner(of: Token(100)) == nil && ring.owner(of: Token(150)) == F.host(3))
        // The freed token, and a removed node's tokens, may be taken by another node.
        try ring.add(F.endpoint(4), tokens: F.tokens(100))
        ring.remove(F.host(1))
        try ring.add(F.endpoint(5), tokens: F.tokens(-100, 200))
        #expect(ring.owners == [F.host(5), F.host(2), F.host(4), F.host(3), F.host(5), F.host(2)])
    }

    @Test func hostIDTextRoundTripsAndOrdersAsJava() throws {
        let text = "21636369-8b52-4b4a-97b7-50923ceb3ffd"
        let id = try #require(HostID(text))
        #expect(id.description == text)
        #expect(HostID(text.uppercased()) == id)
        #expect(HostID(bytes: id.bytes) == id)
        #expect(HostID("21636369-8b52-4b4a-97b7-50923ceb3ff") == nil)
        #expect(HostID("21636369x8b52-4b4a-97b7-50923ceb3ffd") == nil)
        #expect(HostID("g1636369-8b52-4b4a-97b7-50923ceb3ffd") == nil)
        // Java compares the halves as signed longs: 0x8... sorts before 0x1...
        #expect(HostID("80000000-0000-4000-8000-000000000000")! < HostID("10000000-0000-4000-8000-000000000000")!)
        var rng = RingTestRandom(seed: 1)
        let r = HostID.random(using: &rng)
        #expect(r.description.dropFirst(14).first == "4")   // version 4
        var rng2 = RingTestRandom(seed: 1)
        #expect(HostID.random(using: &rng2) == r)
    }
}
