import Foundation
import HyadesCluster
import HyadesCore
import Testing
@testable import HyadesLoader

/// With more than one node, SSTables are cut where the replica set changes and each goes
/// to the replicas of its range, placed as the nodes place them (HyadesCluster).
@Suite struct RingSplitTests {
    static func node(_ i: Int, rack: String = "rack1", dc: String = "dc1") -> LoadNode {
        LoadNode(hostID: HostID(high: 0, low: UInt64(i)), address: "10.0.0.\(i)", location: Location(dataCenter: dc, rack: rack))
    }

    static func placement(_ nodes: [LoadNode], _ tokens: [Int: [Int64]], _ params: ReplicationParams) throws -> LoadPlacement {
        var t: [HostID: [Token]] = [:]
        for (i, ts) in tokens { t[HostID(high: 0, low: UInt64(i))] = ts.map(Token.init) }
        return try LoadPlacement(nodes: nodes, tokens: t, replication: params, localHost: nodes[0].hostID)
    }

    static func ids(_ p: LoadPlacement, _ token: Int64) -> [Int] { p.replicas(of: token).map { Int($0.low) } }

    @Test func simpleStrategyWalksTheRingClockwise() throws {
        let p = try Self.placement([Self.node(1), Self.node(2), Self.node(3)], [1: [-100], 2: [0], 3: [100]],
                                   ReplicationParams(className: "SimpleStrategy", options: ["replication_factor": "2"]))
        #expect(Self.ids(p, -150) == [1, 2])
        #expect(Self.ids(p, -100) == [1, 2])
        #expect(Self.ids(p, -99) == [2, 3])
        #expect(Self.ids(p, 50) == [3, 1])
        #expect(Self.ids(p, 101) == [1, 2])   // wraps
        #expect(p.splitTokens == [-100, 0, 100])
        // An SSTable over two ranges goes to the union of their replicas.
        #expect(Set(p.replicas(minToken: -150, maxToken: -50).map(\.low)) == [1, 2, 3])
        #expect(Set(p.replicas(minToken: 101, maxToken: 200).map(\.low)) == [1, 2])
        let single = try Self.placement([Self.node(1)], [1: [5, 9]], ReplicationParams(className: "SimpleStrategy", options: ["replication_factor": "1"]))
        #expect(single.splitTokens.isEmpty)
        #expect(Self.ids(single, 7) == [1])
    }

    /// Rack-aware NetworkTopologyStrategy: the second replica is the next node on another
    /// rack, which SimpleStrategy's walk (the loader's placement before) would not pick.
    @Test func networkTopologyStrategyIsRackAware() throws {
        // Racks: 1 and 2 on r1, 3 on r2. Ring: 1@-100, 2@0, 3@100.
        let nodes = [Self.node(1, rack: "r1"), Self.node(2, rack: "r1"), Self.node(3, rack: "r2")]
        let p = try Self.placement(nodes, [1: [-100], 2: [0], 3: [100]],
                                   ReplicationParams(className: ReplicationParams.networkTopologyStrategy, options: ["dc1": "2"]))
        #expect(Self.ids(p, -150) == [1, 3])   // node 2 (same rack as 1) is passed over
        #expect(Self.ids(p, -50) == [2, 3])
        #expect(Self.ids(p, 50) == [3, 1])
        // Ranges (-100, 0] -> {2, 3} and (0, 100] -> {3, 1} differ; (100, -100] wraps to {1, 3}
        // = (0, 100]'s set: no cut between them.
        #expect(p.splitTokens == [-100, 0])
        #expect(p.replicationFactor == 2)
        #expect(p.requirement(.all, replicas: p.replicas(of: 0)).needed == 2)
        #expect(p.requirement(.quorum, replicas: p.replicas(of: 0)).needed == 2)
        #expect(p.requirement(.one, replicas: p.replicas(of: 0)).needed == 1)
        #expect(p.requirement(.localQuorum, replicas: p.replicas(of: 0)).needed == 2)
    }

    @Test func levelsCountAgainstTheReplicationFactor() throws {
        let nodes = [Self.node(1), Self.node(2), Self.node(3), Self.node(4, dc: "dc2")]
        let p = try Self.placement(nodes, [1: [-100], 2: [0], 3: [100], 4: [200]],
                                   ReplicationParams(className: ReplicationParams.networkTopologyStrategy, options: ["dc1": "3", "dc2": "1"]))
        let r = p.replicas(of: 0)
        #expect(r.count == 4)
        #expect(p.requirement(.all, replicas: r).needed == 4)
        #expect(p.requirement(.quorum, replicas: r).needed == 3)
        let local = p.requirement(.localQuorum, replicas: r)
        #expect(local.needed == 2 && local.counted.count == 3)
        let d1 = HostID(high: 0, low: 1), d2 = HostID(high: 0, low: 2), d4 = HostID(high: 0, low: 4)
        #expect(p.satisfied(.localQuorum, replicas: r, acked: [d1, d2]))
        #expect(!p.satisfied(.localQuorum, replicas: r, acked: [d1, d4]))
        #expect(p.satisfied(.quorum, replicas: r, acked: [d1, d2, d4]))
        #expect(!p.satisfied(.all, replicas: r, acked: [d1, d2, d4]))
        #expect(LoadConsistency.parse("local_quorum") == .localQuorum)
        #expect(LoadConsistency.parse("TWO") == nil)
    }

    @Test func tooFewReachableReplicasFailBeforeAnythingIsSent() throws {
        let p = try Self.placement([Self.node(1), Self.node(2), Self.node(3)], [1: [-100], 2: [0], 3: [100]],
                                   ReplicationParams(className: "SimpleStrategy", options: ["replication_factor": "3"]))
        var t = ClusterTarget(table: LoaderFixtures.named, placement: p, storagePort: 7000)
        t.unreachable = [HostID(high: 0, low: 3): "10.0.0.3:7000: Connection refused"]
        let e = #expect(throws: LoaderClusterError.self) { try t.checkAvailability() }
        #expect(e?.message.contains("10.0.0.3 (host id 00000000-0000-0000-0000-000000000003) — 10.0.0.3:7000: Connection refused") == true,
                "\(String(describing: e))")
        #expect(e?.message.contains("--consistency ALL") == true)
        t.consistency = .quorum
        try t.checkAvailability()
        t.unreachable[HostID(high: 0, low: 2)] = "refused"
        #expect(throws: LoaderClusterError.self) { try t.checkAvailability() }
        t.consistency = .one
        try t.checkAvailability()
        // RF 2: sets {1,2}, {2,3}, {3,1}; with 2 and 3 down, ALL names both.
        let p2 = try Self.placement([Self.node(1), Self.node(2), Self.node(3)], [1: [-100], 2: [0], 3: [100]],
                                    ReplicationParams(className: "SimpleStrategy", options: ["replication_factor": "2"]))
        var t2 = ClusterTarget(table: LoaderFixtures.named, placement: p2, storagePort: 7000)
        t2.unreachable = [HostID(high: 0, low: 2): "refused", HostID(high: 0, low: 3): "refused"]
        let e2 = #expect(throws: LoaderClusterError.self) { try t2.checkAvailability() }
        #expect(e2?.message.contains("(3 replica sets are short)") == true, "\(String(describing: e2))")
        #expect(e2?.message.contains("10.0.0.2 (host id") == true && e2?.message.contains("10.0.0.3 (host id") == true)
        t2.consistency = .one
        #expect(throws: LoaderClusterError.self) { try t2.checkAvailability() }   // {2,3} has none
    }

    final class CollectingSink: SSTableSink {
        let splitTokens: [Int64]
        var accepted: [WrittenSSTable] = []
        init(splitTokens: [Int64]) { self.splitTokens = splitTokens }
        func accept(_ sstable: WrittenSSTable) throws { accepted.append(sstable) }
        func finish() throws {}
    }

    @Test func sstablesNeverStraddleAnOwnerBoundary() throws {
        let dir = LoaderFixtures.tempDir("ring")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,name,mag,flag,n\n"
        for i in 0..<2000 { text += "\(i * 7919),x,1,true,1\n" }
        LoaderFixtures.write(text, to: dir + "/r.csv")
        let bounds: [Int64] = [-4_000_000_000_000_000_000, 0, 3_000_000_000_000_000_000]
        let sink = CollectingSink(splitTokens: bounds)
        let options = LoadOptions(inputs: [dir + "/r.csv"], threads: 1, writeTimestamp: 1, workDirectory: dir + "/out")
        let summary = try BulkLoader(table: LoaderFixtures.named, options: options, sink: sink).run()
        #expect(summary.rowsLoaded == 2000)
        #expect(sink.accepted.count == 4)
        #expect(sink.accepted.reduce(0) { $0 + $1.rows } == 2000)
        for s in sink.accepted {
            // Both ends inside one range (previous bound, bound].
            let range = bounds.firstIndex { s.maxToken <= $0 } ?? bounds.count
            let rangeOfMin = bounds.firstIndex { s.minToken <= $0 } ?? bounds.count
            #expect(range == rangeOfMin, "SSTable \(s.minToken)...\(s.maxToken)")
        }
    }
}
