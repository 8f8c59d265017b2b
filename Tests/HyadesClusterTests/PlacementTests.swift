import HyadesCore
import Testing
@testable import HyadesCluster

/// Hand-checked placements, in Cassandra's order (the golden tests compare NTS as sets
/// because the python driver lists replicas per data centre, not in walk order).
@Suite struct PlacementTests {
    typealias F = RingFixtures

    func nts(_ dcs: [String: Int]) -> NetworkTopologyStrategy { NetworkTopologyStrategy(dataCenters: dcs) }

    @Test func simpleStrategyWalksDistinctEndpointsClockwise() throws {
        let ring = try TokenMetadata([
            (F.endpoint(1), F.tokens(10, 20)),
            (F.endpoint(2), F.tokens(30)),
            (F.endpoint(3), F.tokens(40)),
        ])
        let s2 = SimpleStrategy(replicationFactor: 2)
        #expect(s2.replicas(for: Token(5), in: ring) == [F.host(1), F.host(2)])   // 10(1), 20(1) skipped, 30(2)
        #expect(s2.replicas(for: Token(10), in: ring) == [F.host(1), F.host(2)])
        #expect(s2.replicas(for: Token(35), in: ring) == [F.host(3), F.host(1)])  // wraps
        #expect(s2.replicas(for: Token(41), in: ring) == [F.host(1), F.host(2)])
        // More replicas than nodes: every node once.
        #expect(SimpleStrategy(replicationFactor: 5).replicas(for: Token(25), in: ring) == [F.host(2), F.host(3), F.host(1)])
        #expect(SimpleStrategy(replicationFactor: 0).replicas(for: Token(25), in: ring).isEmpty)
        #expect(s2.replicas(for: Token(1), in: TokenMetadata()).isEmpty)
    }

    @Test func ntsTakesNewRacksFirstAndSkipsRepeatedOnes() throws {
        // dc1: racks a (1, 2) and b (3), c (4). RF 2 <= 3 racks: one replica per rack.
        let ring = try TokenMetadata([
            (F.endpoint(1, rack: "a"), F.tokens(10)),
            (F.endpoint(2, rack: "a"), F.tokens(20)),
            (F.endpoint(3, rack: "b"), F.tokens(30)),
            (F.endpoint(4, rack: "c"), F.tokens(40)),
        ])
        #expect(nts(["dc1": 2]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(3)])
        #expect(nts(["dc1": 3]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(3), F.host(4)])
        #expect(nts(["dc1": 3]).replicas(for: Token(15), in: ring) == [F.host(2), F.host(3), F.host(4)])
        // RF 4 > 3 racks: one rack repeat allowed, taken when met.
        #expect(nts(["dc1": 4]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(2), F.host(3), F.host(4)])
    }

    /// Where Cassandra 4.0+ and the python driver (3.x's skipped-endpoints walk) differ:
    /// racks a (1, 2, 3, 5) and b (4), RF 4. Cassandra takes rack repeats as it meets them
    /// (two allowed: 4 - 2 racks): 1, 2, 4, 3. The driver holds 2 back twice (once per
    /// vnode) and, once rack b is seen, adds it twice: [1, 4, 2, 2]. Cassandra decides
    /// where data is, so Hyades follows Cassandra; no golden ring hits this case.
    @Test func ntsFollowsCassandraWhereTheDriverRepeatsAHost() throws {
        let ring = try TokenMetadata([
            (F.endpoint(1, rack: "a"), F.tokens(10)),
            (F.endpoint(2, rack: "a"), F.tokens(20, 30)),
            (F.endpoint(4, rack: "b"), F.tokens(40)),
            (F.endpoint(3, rack: "a"), F.tokens(50)),
            (F.endpoint(5, rack: "a"), F.tokens(60)),
        ])
        #expect(nts(["dc1": 4]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(2), F.host(4), F.host(3)])
        // With one rack repeat only (RF 3): 1, 2 (the repeat), 4.
        #expect(nts(["dc1": 3]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(2), F.host(4)])
        // RF 2 = racks: 1 then the first of rack b, skipping 2 and 2 again.
        #expect(nts(["dc1": 2]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(4)])
    }

    @Test func ntsWalksAllDataCentresAtOnceInRingOrder() throws {
        let ring = try TokenMetadata([
            (F.endpoint(1, dc: "dc1", rack: "r1"), F.tokens(10)),
            (F.endpoint(2, dc: "dc2", rack: "r1"), F.tokens(20)),
            (F.endpoint(3, dc: "dc1", rack: "r1"), F.tokens(30)),
            (F.endpoint(4, dc: "dc2", rack: "r2"), F.tokens(40)),
            (F.endpoint(5, dc: "dc1", rack: "r2"), F.tokens(50)),
        ])
        // Racks are per data centre: dc2's r1 is not dc1's r1.
        #expect(nts(["dc1": 2, "dc2": 2]).replicas(for: Token(5), in: ring) == [F.host(1), F.host(2), F.host(4), F.host(5)])
        #expect(nts(["dc1": 1, "dc2": 1]).replicas(for: Token(25), in: ring) == [F.host(3), F.host(4)])
        // More replicas than a data centre has nodes: all of them.
        #expect(Set(nts(["dc1": 5]).replicas(for: Token(5), in: ring)) == [F.host(1), F.host(3), F.host(5)])
        // A data centre without nodes, or with factor 0, places nothing.
        #expect(nts(["dc2": 1, "dc9": 3]).replicas(for: Token(5), in: ring) == [F.host(2)])
        #expect(nts(["dc1": 0, "dc2": 1]).replicas(for: Token(5), in: ring) == [F.host(2)])
        #expect(nts(["dc9": 3]).replicas(for: Token(5), in: ring).isEmpty)
    }

    @Test func localAndEverywhereStrategies() throws {
        let ring = try TokenMetadata([
            (F.endpoint(1), F.tokens(10)), (F.endpoint(2), F.tokens(20)), (F.endpoint(3), F.tokens(30)),
        ])
        #expect(LocalStrategy(localHost: F.host(2)).replicas(for: Token(5), in: ring) == [F.host(2)])
        #expect(EverywhereStrategy().replicas(for: Token(15), in: ring) == [F.host(2), F.host(3), F.host(1)])
    }

    @Test func replicaMapListsRangesAndEffectiveOwnership() throws {
        let q = Int64.max / 2
        let ring = try TokenMetadata([
            (F.endpoint(1), [Token(-q)]), (F.endpoint(2), [Token(0)]), (F.endpoint(3), [Token(q)]),
            (F.endpoint(4), [Token(Int64.max)]),
        ])
        let map = ReplicaMap(strategy: SimpleStrategy(replicationFactor: 2), ring: ring)
        let rr = SimpleStrategy(replicationFactor: 2).rangeReplicas(in: ring)
        #expect(rr.map(\.replicas) == map.rangeReplicas)
        #expect(rr[0].range == TokenRange(start: Token(Int64.max), end: Token(-q)))
        #expect(map.ranges(of: F.host(1)) == [ring.ranges[0], ring.ranges[3]])
        let own = map.effectiveOwnership()
        for n in 1...4 { #expect(abs(own[F.host(n)]! - 0.5) < 1e-9) }
        #expect(abs(own.values.reduce(0, +) - 2.0) < 1e-9)
    }

    // MARK: Building from ReplicationParams

    func params(_ cls: String, _ opts: [String: String]) -> ReplicationParams {
        ReplicationParams(className: ReplicationParams.canonicalClassName(cls), options: opts)
    }

    @Test func buildsEachStrategyFromItsParams() throws {
        let s = try ReplicationStrategies.make(.simple(replicationFactor: 3), localHost: F.host(1))
        #expect(s as? SimpleStrategy == SimpleStrategy(replicationFactor: 3))
        let n = try ReplicationStrategies.make(params("NetworkTopologyStrategy", ["dc1": "3", "dc2": "1"]), localHost: F.host(1))
        #expect(n as? NetworkTopologyStrategy == NetworkTopologyStrategy(dataCenters: ["dc1": 3, "dc2": 1]))
        #expect(try ReplicationStrategies.make(.local, localHost: F.host(7)) as? LocalStrategy == LocalStrategy(localHost: F.host(7)))
        #expect(try ReplicationStrategies.make(params("EverywhereStrategy", [:]), localHost: F.host(1)) is EverywhereStrategy)
    }

    @Test func badParamsGetCassandrasMessages() throws {
        func error(_ p: ReplicationParams) -> String? {
            do { _ = try ReplicationStrategies.make(p, localHost: F.host(1)); return nil } catch { return error.message }
        }
        #expect(error(params("SimpleStrategy", [:])) == "SimpleStrategy requires a replication_factor strategy option.")
        #expect(error(params("SimpleStrategy", ["replication_factor": "three"])) == "Replication factor must be numeric; found three")
        #expect(error(params("SimpleStrategy", ["replication_factor": "-1"])) == "Replication factor must be non-negative; found -1")
        #expect(error(params("SimpleStrategy", ["replication_factor": "3/1"])) == "Transient replication is disabled. Enable in cassandra.yaml to use.")
        #expect(error(params("NetworkTopologyStrategy", ["dc1": "x"])) == "Replication factor must be numeric; found x")
        #expect(error(params("NetworkTopologyStrategy", ["replication_factor": "3"]))
                == "replication_factor should not appear as an option at construction time for NetworkTopologyStrategy")
        #expect(error(params("org.example.MyStrategy", [:])) == "Unable to find replication strategy class 'org.example.MyStrategy'")
    }

    @Test func createTimeValidationAgainstTheRing() throws {
        let ring = try TokenMetadata([
            (F.endpoint(1, dc: "dc1"), F.tokens(10)), (F.endpoint(2, dc: "dc1"), F.tokens(20)),
            (F.endpoint(3, dc: "dc2"), F.tokens(30)),
        ])
        func check(_ p: ReplicationParams, reject: Bool = true) -> Result<[String], ConfigurationError> {
            Result { () throws(ConfigurationError) in
                try ReplicationStrategies.validate(p, keyspace: "ks", ring: ring, localDataCenter: "dc1", rejectUnknownDataCenters: reject)
            }
        }
        #expect(check(params("SimpleStrategy", ["replication_factor": "2"])) == .success([]))
        #expect(check(params("SimpleStrategy", ["replication_factor": "4"]))
                == .success(["Your replication factor 4 for keyspace ks is higher than the number of nodes 3"]))
        #expect(check(params("SimpleStrategy", ["replication_factor": "1", "dc1": "1"]))
                == .failure(ConfigurationError("Unrecognized strategy option {dc1} passed to SimpleStrategy for keyspace ks")))
        #expect(check(params("NetworkTopologyStrategy", ["dc1": "2", "dc2": "1"])) == .success([]))
        #expect(check(params("NetworkTopologyStrategy", ["dc1": "3", "dc2": "1"]))
                == .success(["Your replication factor 3 for keyspace ks is higher than the number of nodes 2 for datacenter dc1"]))
        #expect(check(params("NetworkTopologyStrategy", [:]))
                == .failure(ConfigurationError("Configuration for at least one datacenter must be present")))
        #expect(check(params("NetworkTopologyStrategy", ["dc1": "1", "dc3": "1"]))
                == .failure(ConfigurationError("Unrecognized strategy option {dc3} passed to NetworkTopologyStrategy for keyspace ks")))
        #expect(check(params("NetworkTopologyStrategy", ["dc1": "1", "dc3": "1"]), reject: false)
                == .success(["Datacenter dc3 of keyspace ks has no nodes; no replicas are placed there"]))
        #expect(check(params("NetworkTopologyStrategy", ["replication_factor": "1"]))
                == .failure(ConfigurationError("replication_factor should not appear as an option to NetworkTopologyStrategy")))
        #expect(check(params("Nope", [:])) == .failure(ConfigurationError("Unable to find replication strategy class 'org.apache.cassandra.locator.Nope'")))
    }

    @Test func ntsReplicationFactorExpandsToKnownDataCentres() {
        let dcs: Set<String> = ["dc1", "dc2"]
        func prep(_ o: [String: String], _ prev: [String: String] = [:]) -> [String: String] {
            ReplicationStrategies.prepareNetworkTopologyOptions(o, previous: prev, validDataCenters: dcs)
        }
        #expect(prep(["replication_factor": "3"]) == ["dc1": "3", "dc2": "3"])
        #expect(prep(["replication_factor": "3", "dc2": "1"]) == ["dc1": "3", "dc2": "1"])
        // ALTER: data centres already configured keep their factor.
        #expect(prep(["replication_factor": "3"], ["dc1": "2"]) == ["dc1": "2", "dc2": "3"])
        // ALTER from SimpleStrategy with no options keeps its factor everywhere.
        #expect(prep([:], ["replication_factor": "2"]) == ["dc1": "2", "dc2": "2"])
        #expect(prep(["dc1": "0", "dc2": "1"]) == ["dc2": "1"])
    }
}
