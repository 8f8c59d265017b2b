import Foundation
import HyadesCore
import Testing
@testable import HyadesCluster

/// Placement against the python driver's own token map (cassandra-driver 3.30.1,
/// `TokenMap.get_replicas` over its SimpleStrategy / NetworkTopologyStrategy replica maps):
/// testdata/placement.txt, written by testdata/gen_placement.py. 10,000 keys per ring:
/// 3 nodes in one rack, 6 nodes on 2 racks, 6 nodes in 2 data centres, 16 vnodes each.
@Suite struct PlacementGoldenTests {
    struct Config {
        var name: String
        var params: ReplicationParams
        var ordered: Bool
        var replicas: [[Int]] = []
    }

    struct Ring {
        var name: String
        var hosts: [HostID] = []
        var metadata = TokenMetadata()
        var keyRanges: [Int] = []
        var probes: [(Token, Int)] = []
        var configs: [Config] = []
    }

    struct Golden {
        var keyCount = 0
        var tokenSum: Int64 = 0
        var tokenXor: Int64 = 0
        var rings: [Ring] = []
    }

    static func load() throws -> Golden {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("testdata/placement.txt")
        let text = try String(contentsOf: url, encoding: .utf8)
        var g = Golden()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ").map(String.init)
            switch f[0] {
            case "keys":
                g.keyCount = Int(f[1])!; g.tokenSum = Int64(f[2])!; g.tokenXor = Int64(f[3])!
            case "ring":
                g.rings.append(Ring(name: f[1]))
            case "node":
                let id = try #require(HostID(f[4]))
                let e = Endpoint(hostID: id, address: "127.0.1.\(Int(f[1])! + 1)",
                                 location: Location(dataCenter: f[2], rack: f[3]))
                try g.rings[g.rings.count - 1].metadata.add(e, tokens: f[5].split(separator: ",").map { Token(Int64($0)!) })
                g.rings[g.rings.count - 1].hosts.append(id)
            case "keyranges":
                g.rings[g.rings.count - 1].keyRanges = f[1].split(separator: ",").map { Int($0)! }
            case "probe":
                g.rings[g.rings.count - 1].probes.append((Token(Int64(f[1])!), Int(f[2])!))
            case "config":
                var opts: [String: String] = [:]
                for kv in f[3].split(separator: ",") {
                    let p = kv.split(separator: "=", maxSplits: 1)
                    opts[String(p[0])] = String(p[1])
                }
                g.rings[g.rings.count - 1].configs.append(Config(
                    name: f[1], params: ReplicationParams(className: ReplicationParams.canonicalClassName(f[2]), options: opts),
                    ordered: f[4] == "ordered"))
            case "replicas":
                let lists = f[1].split(separator: ",").map { $0.split(separator: ".").map { Int($0)! } }
                let r = g.rings.count - 1
                g.rings[r].configs[g.rings[r].configs.count - 1].replicas = lists
            default:
                Issue.record("unknown line \(f[0])")
            }
        }
        return g
    }

    @Test func keyTokensMatchTheDriver() throws {
        let g = try Self.load()
        #expect(g.keyCount == 10_000)
        var sum: Int64 = 0, xor: Int64 = 0
        for i in 0..<g.keyCount {
            let t = RingFixtures.token(ofKey: RingFixtures.keyBytes(i)).value
            sum &+= t; xor ^= t
        }
        #expect(sum == g.tokenSum)
        #expect(xor == g.tokenXor)
    }

    @Test func keysAndProbesFallInTheDriversRange() throws {
        let g = try Self.load()
        #expect(g.rings.count == 3)
        for ring in g.rings {
            #expect(ring.metadata.sortedTokens.count == ring.hosts.count * 16)
            #expect(ring.keyRanges.count == g.keyCount)
            for i in 0..<g.keyCount {
                let t = RingFixtures.token(ofKey: RingFixtures.keyBytes(i))
                #expect(ring.metadata.firstTokenIndex(t) == ring.keyRanges[i], "ring \(ring.name) key \(i)")
                #expect(ring.metadata.primaryRange(for: t).contains(t))
            }
            #expect(ring.probes.count > ring.metadata.sortedTokens.count * 2)
            for (t, r) in ring.probes {
                #expect(ring.metadata.firstTokenIndex(t) == r, "ring \(ring.name) probe \(t)")
            }
        }
    }

    @Test func everyKeyHasTheDriversReplicas() throws {
        let g = try Self.load()
        var checked = 0
        for ring in g.rings {
            #expect(!ring.configs.isEmpty)
            for c in ring.configs {
                let strategy = try ReplicationStrategies.make(c.params, localHost: ring.hosts[0])
                let map = ReplicaMap(strategy: strategy, ring: ring.metadata)
                #expect(c.replicas.count == ring.metadata.sortedTokens.count)
                for i in 0..<g.keyCount {
                    let t = RingFixtures.token(ofKey: RingFixtures.keyBytes(i))
                    let got = strategy.replicas(for: t, in: ring.metadata)
                    let expected = c.replicas[ring.keyRanges[i]].map { ring.hosts[$0] }
                    if c.ordered {
                        #expect(got == expected, "ring \(ring.name) \(c.name) key \(i)")
                    } else {
                        #expect(got.count == expected.count && Set(got) == Set(expected), "ring \(ring.name) \(c.name) key \(i)")
                    }
                    #expect(map.replicas(for: t) == got)
                    checked += 1
                }
            }
        }
        #expect(checked == 18 * 10_000)
    }
}
