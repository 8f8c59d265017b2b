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

    /// Checks `count` cases; on failure reports how many differ and the first few.
    static func expectAll(_ what: String, count: Int, _ mismatch: (Int) -> String?) {
        var failures: [String] = []
        var n = 0
        for i in 0..<count {
            if let m = mismatch(i) {
                n += 1
                if failures.count < 3 { failures.append(m) }
            }
        }
        #expect(n == 0, "\(what): \(n) of \(count) differ, e.g. \(failures.joined(separator: "; "))")
    }

    @Test func keysAndProbesFallInTheDriversRange() throws {
        let g = try Self.load()
        #expect(g.rings.count == 3)
        let keyTokens = (0..<g.keyCount).map { RingFixtures.token(ofKey: RingFixtures.keyBytes($0)) }
        for ring in g.rings {
            #expect(ring.metadata.sortedTokens.count == ring.hosts.count * 16)
            #expect(ring.keyRanges.count == g.keyCount)
            Self.expectAll("ring \(ring.name) keys", count: g.keyCount) { i in
                let t = keyTokens[i]
                let r = ring.metadata.firstTokenIndex(t)
                guard r == ring.keyRanges[i], ring.metadata.primaryRange(for: t).contains(t) else {
                    return "key \(i) token \(t): range \(r), driver \(ring.keyRanges[i])"
                }
                return nil
            }
            #expect(ring.probes.count > ring.metadata.sortedTokens.count * 2)
            Self.expectAll("ring \(ring.name) probes", count: ring.probes.count) { i in
                let (t, r) = ring.probes[i]
                let got = ring.metadata.firstTokenIndex(t)
                return got == r ? nil : "token \(t): range \(got), driver \(r)"
            }
        }
    }

    @Test func everyKeyHasTheDriversReplicas() throws {
        let g = try Self.load()
        let keyTokens = (0..<g.keyCount).map { RingFixtures.token(ofKey: RingFixtures.keyBytes($0)) }
        var checked = 0
        for ring in g.rings {
            #expect(!ring.configs.isEmpty)
            for c in ring.configs {
                let strategy = try ReplicationStrategies.make(c.params, localHost: ring.hosts[0])
                let map = ReplicaMap(strategy: strategy, ring: ring.metadata)
                #expect(c.replicas.count == ring.metadata.sortedTokens.count)
                Self.expectAll("ring \(ring.name) \(c.name)", count: g.keyCount) { i in
                    let t = keyTokens[i]
                    let got = strategy.replicas(for: t, in: ring.metadata)
                    let expected = c.replicas[ring.keyRanges[i]].map { ring.hosts[$0] }
                    let same = c.ordered ? got == expected : (got.count == expected.count && Set(got) == Set(expected))
                    guard same, map.replicas(for: t) == got,
                          map.endpoints(forKey: RingFixtures.keyBytes(i)) == got.map({ ring.metadata.endpoints[$0]!.address }) else {
                        return "key \(i): \(got), driver \(expected)"
                    }
                    return nil
                }
                checked += g.keyCount
            }
        }
        #expect(checked == 18 * 10_000)
    }
}
