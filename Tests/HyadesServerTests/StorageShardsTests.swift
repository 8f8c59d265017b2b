import HyadesCluster
import HyadesCore
import HyadesStorage
import Testing
@testable import HyadesServer

/// The storage shard boundaries a node derives from the ring (`StorageShards`).
@Suite struct StorageShardsTests {
    static let a = HostID(high: 0, low: 1), b = HostID(high: 0, low: 2), c = HostID(high: 0, low: 3)

    /// Three nodes, interleaved: A owns 0, 300, 600; B 100, 400, 700; C 200, 500, 800.
    static func ring(_ members: [HostID] = [a, b, c]) throws -> TokenMetadata {
        var ring = TokenMetadata()
        for (i, id) in [a, b, c].enumerated() where members.contains(id) {
            try ring.add(Endpoint(hostID: id, address: "127.0.0.\(i + 1)", location: .default),
                         tokens: [0, 300, 600].map { Token(Int64($0 + 100 * i)) })
        }
        return ring
    }

    static func simple(_ rf: Int) -> ReplicationParams { .simple(replicationFactor: rf) }

    @Test(arguments: [
        // (replication factors of the keyspaces, A's boundaries)
        ([1], [0, 200, 300, 500, 600, 800]),          // each primary range alone: both ends
        ([2], [0, 100, 300, 400, 600, 700]),          // (700, 0], (100, 300], (400, 600]
        ([3], [0, 100, 200, 300, 400, 500, 600, 700, 800]), // the whole ring: every ring token
        ([1, 3], [0, 200, 300, 500, 600, 800]),       // the whole ring adds no cut to RF 1's
        ([1, 2], [0, 100, 200, 300, 400, 500, 600, 700, 800]),
        ([], [0, 100, 200, 300, 400, 500, 600, 700, 800]),  // no keyspace: the ring's tokens
    ] as [([Int], [Int64])])
    func boundariesAreTheEndsOfMergedReplicatedRanges(factors: [Int], expected: [Int64]) throws {
        let b = StorageShards.boundaries(ring: try Self.ring(), local: Self.a, replications: factors.map(Self.simple))
        #expect(b.tokens == expected.map { Token($0) })
    }

    /// Alone, a node's own tokens cut its SSTables (each vnode range its own files).
    @Test func aSingleNodeCutsAtItsOwnTokens() throws {
        let b = StorageShards.boundaries(ring: try Self.ring([Self.a]), local: Self.a, replications: [Self.simple(1)])
        #expect(b.tokens == [0, 300, 600].map { Token($0) })
        #expect(StorageShards.boundaries(ring: TokenMetadata(), local: Self.a, replications: []) == .unsharded)
    }
}
