import HyadesCore

/// Where a keyspace's data lives (Cassandra's `AbstractReplicationStrategy`): the replicas
/// of the range holding a token, in Cassandra's order, first one the primary.
///
/// Drivers compute the same answer client-side from `system.peers` and the keyspace's
/// replication map to route each request to a replica; any difference sends requests to
/// the wrong node, so implementations follow Cassandra's walk step for step.
public protocol ReplicationStrategy: Sendable {
    /// The strategy's class name as `system_schema.keyspaces.replication['class']` shows it.
    var className: String { get }

    /// Replicas of the ring range holding `token` (empty on an empty ring).
    func replicas(for token: Token, in ring: TokenMetadata) -> [HostID]
}

extension ReplicationStrategy {
    /// Every ring range with its replicas, in token order: what a driver's token map holds.
    public func rangeReplicas(in ring: TokenMetadata) -> [(range: TokenRange, replicas: [HostID])] {
        let ranges = ring.ranges
        return ranges.indices.map { (ranges[$0], replicas(for: ring.sortedTokens[$0], in: ring)) }
    }
}

/// Replicas are the first `replicationFactor` distinct endpoints met walking the ring
/// clockwise from the token's range (Cassandra's `SimpleStrategy`): racks and data centres
/// are ignored. A factor above the node count places on every node.
public struct SimpleStrategy: ReplicationStrategy, Hashable {
    public var replicationFactor: Int
    public var className: String { ReplicationParams.simpleStrategy }

    public init(replicationFactor: Int) { self.replicationFactor = replicationFactor }

    public func replicas(for token: Token, in ring: TokenMetadata) -> [HostID] {
        let n = ring.sortedTokens.count
        guard n > 0, replicationFactor > 0 else { return [] }
        let start = ring.firstTokenIndex(token)
        var out: [HostID] = []
        out.reserveCapacity(replicationFactor)
        var k = 0
        while out.count < replicationFactor && k < n {
            let ep = ring.owners[(start + k) % n]
            if !out.contains(ep) { out.append(ep) }
            k += 1
        }
        return out
    }
}

/// A replication factor per data centre, placed rack-aware (Cassandra 4.0+/5.0's
/// `NetworkTopologyStrategy.calculateNaturalReplicas` with `DatacenterEndpoints`).
///
/// One walk of the whole ring from the token's range serves every data centre. In each
/// data centre an endpoint on a rack not yet used is taken at once; an endpoint on a rack
/// already used is taken only while the data centre still has "rack repeats" to spend,
/// `rf - racks in the DC` (so with at least `rf` racks every replica is on its own rack,
/// with fewer racks each rack gets one and the rest go to the first repeats met). A data
/// centre with fewer nodes than its factor places on every node. The walk stops when every
/// data centre is full or the ring is exhausted. Replicas come out in walk order.
public struct NetworkTopologyStrategy: ReplicationStrategy, Hashable {
    /// Replication factor per data centre; data centres with no ring member place nothing.
    public var dataCenters: [String: Int]
    public var className: String { ReplicationParams.networkTopologyStrategy }

    public init(dataCenters: [String: Int]) { self.dataCenters = dataCenters }

    public var totalReplicationFactor: Int { dataCenters.values.reduce(0, +) }

    private struct DataCenterFill {
        var rfLeft: Int
        var acceptableRackRepeats: Int
    }

    public func replicas(for token: Token, in ring: TokenMetadata) -> [HostID] {
        let n = ring.sortedTokens.count
        guard n > 0 else { return [] }
        var fills: [String: DataCenterFill] = [:]
        for (dc, rf) in dataCenters {
            let nodeCount = ring.dataCenterEndpoints[dc]?.count ?? 0
            guard rf > 0, nodeCount > 0 else { continue }
            let rackCount = ring.dataCenterRacks[dc]?.count ?? 0
            fills[dc] = DataCenterFill(rfLeft: min(rf, nodeCount), acceptableRackRepeats: rf - rackCount)
        }
        var dcsToFill = fills.count
        var out: [HostID] = []
        var seenRacks = Set<Location>()
        let start = ring.firstTokenIndex(token)
        var k = 0
        while dcsToFill > 0 && k < n {
            let ep = ring.owners[(start + k) % n]
            k += 1
            guard let loc = ring.endpoints[ep]?.location, var fill = fills[loc.dataCenter] else { continue }
            guard fill.rfLeft > 0, !out.contains(ep) else { continue }
            if seenRacks.insert(loc).inserted {
                fill.rfLeft -= 1                       // a new rack: always taken
            } else if fill.acceptableRackRepeats > 0 {
                fill.acceptableRackRepeats -= 1        // too few racks: fill with repeats
                fill.rfLeft -= 1
            } else {
                continue                               // keep the rest for distinct racks
            }
            out.append(ep)
            fills[loc.dataCenter] = fill
            if fill.rfLeft == 0 { dcsToFill -= 1 }
        }
        return out
    }
}

/// Data that lives on this node only (the system keyspaces): the replica is always the
/// local node, whatever the token (Cassandra's `LocalStrategy`).
public struct LocalStrategy: ReplicationStrategy, Hashable {
    public var localHost: HostID
    public var className: String { ReplicationParams.localStrategy }

    public init(localHost: HostID) { self.localHost = localHost }

    public func replicas(for token: Token, in ring: TokenMetadata) -> [HostID] { [localHost] }
}

/// Every ring member holds every range (DSE's `EverywhereStrategy`), listed in walk order
/// from the token's range.
public struct EverywhereStrategy: ReplicationStrategy, Hashable {
    public var className: String { ReplicationParams.everywhereStrategy }

    public init() {}

    public func replicas(for token: Token, in ring: TokenMetadata) -> [HostID] {
        SimpleStrategy(replicationFactor: ring.endpoints.count).replicas(for: token, in: ring)
    }
}
