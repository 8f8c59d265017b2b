import Foundation
import HyadesCore
import Testing
@testable import HyadesServer

/// The server's side of token allocation (the allocator itself: HyadesClusterTests'
/// TokenAllocationTests; a three-node cluster: Tests/Interop/test_cluster_load.py).
@Suite struct TokenAllocationWiringTests {
    @Test func seedsNamingThisNodeAreRecognised() {
        var c = ServerConfig()
        c.listenAddress = "127.0.0.1"
        c.storagePort = 7000
        #expect(RingDiscovery.isSelf("127.0.0.1", config: c))
        #expect(RingDiscovery.isSelf("127.0.0.1:7000", config: c))
        #expect(RingDiscovery.isSelf("localhost:7000", config: c))
        #expect(!RingDiscovery.isSelf("127.0.0.1:7001", config: c))
        #expect(!RingDiscovery.isSelf("127.0.0.2", config: c))
        c.broadcastAddress = "127.0.0.9"
        #expect(RingDiscovery.isSelf("127.0.0.9:7000", config: c))
        #expect(!RingDiscovery.isSelf("127.0.0.1:7000", config: c))
    }

    /// A first node (no seed but itself) gets the allocator's split: ranges within a
    /// factor 4 of each other, which 16 random tokens essentially never are.
    @Test func aFirstNodeSplitsTheRingEvenly() {
        var c = ServerConfig()
        c.listenAddress = "127.0.0.1"
        c.storagePort = 7000
        c.seeds = ["127.0.0.1:7000"]
        let tokens = RingDiscovery.allocateTokens(config: c, hostID: UUID(), replicationFactor: 3).map(\.value).sorted()
        #expect(tokens.count == c.numTokens)
        let widths = tokens.indices.map { i in UInt64(bitPattern: tokens[i] &- tokens[i == 0 ? tokens.count - 1 : i - 1]) }
        #expect(Double(widths.max()!) / Double(widths.min()!) <= 4.001, "\(widths)")
    }

    /// Allocated once, at the first start; a restart reads the same tokens back.
    @Test func allocatedTokensAreKeptAcrossRestarts() throws {
        let dir = NSTemporaryDirectory() + "hyades-identity-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var calls = 0
        let first = try NodeIdentity.loadOrCreate(directory: dir, numTokens: 4) { _ in
            calls += 1
            return [Token(30), Token(-10), Token(20), Token(10)]
        }
        #expect(first.tokens == [Token(-10), Token(10), Token(20), Token(30)])
        let again = try NodeIdentity.loadOrCreate(directory: dir, numTokens: 4) { _ in
            calls += 1
            return [Token(1)]
        }
        #expect(again == first)
        #expect(calls == 1)
    }
}
