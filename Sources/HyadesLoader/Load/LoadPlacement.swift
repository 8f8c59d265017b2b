import Foundation
import HyadesCluster
import HyadesCore

/// One node of the ring as the loader sees it (system.local / system.peers_v2).
public struct LoadNode: Sendable, Hashable, CustomStringConvertible {
    public var hostID: HostID
    /// Internode address (system.peers_v2 `peer`, system.local `broadcast_address`): where
    /// its `storage_port`, and so its streaming listener, is.
    public var address: String
    public var location: Location

    public init(hostID: HostID, address: String, location: Location) {
        self.hostID = hostID
        self.address = address
        self.location = location
    }

    /// `127.0.0.93 (host id 5f0c...)`: how errors name a replica.
    public var description: String { "\(address) (host id \(hostID))" }
}

/// Where the keyspace's data lives, computed with the node's own placement code
/// (HyadesCluster: `ReplicationStrategies.make`, `ReplicaMap` over a `TokenMetadata` with
/// every node's DC and rack): SimpleStrategy and rack-aware NetworkTopologyStrategy place
/// exactly as the nodes and `nodetool getendpoints` do.
public struct LoadPlacement: Sendable {
    public let nodes: [HostID: LoadNode]
    public let map: ReplicaMap
    public let strategy: any ReplicationStrategy
    /// The data centre of the node the loader asked (`--host`), LOCAL_QUORUM's "local"
    /// (as a driver's DC-aware policy takes its contact point's DC).
    public let localDataCenter: String

    public init(nodes: [LoadNode], tokens: [HostID: [Token]], replication: ReplicationParams, localHost: HostID) throws {
        var ring = TokenMetadata()
        var byID: [HostID: LoadNode] = [:]
        for n in nodes {
            byID[n.hostID] = n
            guard let t = tokens[n.hostID], !t.isEmpty else { continue }
            do {
                try ring.add(Endpoint(hostID: n.hostID, address: n.address, location: n.location), tokens: t)
            } catch {
                throw LoaderClusterError("the ring read from the cluster is inconsistent at \(n): \(error)")
            }
        }
        guard !ring.isEmpty else { throw LoaderClusterError("the cluster reports no tokens (system.local / system.peers)") }
        let strategy: any ReplicationStrategy
        do { strategy = try ReplicationStrategies.make(replication, localHost: localHost) } catch {
            throw LoaderClusterError("the keyspace's replication cannot be placed: \(error)")
        }
        self.nodes = byID
        self.strategy = strategy
        self.map = ReplicaMap(strategy: strategy, ring: ring)
        self.localDataCenter = byID[localHost]?.location.dataCenter ?? Location.default.dataCenter
    }

    public var ring: TokenMetadata { map.ring }

    /// The replicas of the range holding `token`, primary first (Cassandra's order).
    public func replicas(of token: Int64) -> [HostID] { map.replicas(for: Token(token)) }

    /// Every replica of every ring range that `[minToken, maxToken]` touches, the replicas
    /// of the range holding `maxToken` first. The loader cuts its SSTables where the
    /// replica set changes (`splitTokens`), so for its own SSTables this is one range's
    /// set; an imported SSTable spanning several replica sets goes to their union.
    public func replicas(minToken: Int64, maxToken: Int64) -> [HostID] {
        let sorted = map.ring.sortedTokens
        let first = map.ring.firstTokenIndex(Token(minToken)), last = map.ring.firstTokenIndex(Token(maxToken))
        var out = map.rangeReplicas[last]
        var seen = Set(out)
        // Ranges first ... last in ring order (wrapping past the largest token when the
        // SSTable's tokens run beyond it).
        var i = first
        var steps = 0
        while steps < sorted.count {
            for h in map.rangeReplicas[i] where seen.insert(h).inserted { out.append(h) }
            if i == last { break }
            i = (i + 1) % sorted.count
            steps += 1
        }
        return out
    }

    /// Range ends where the replica set changes from one ring range to the next: SSTables
    /// cut there each belong to one replica set (adjacent vnode ranges with the same
    /// replicas share an SSTable). Empty when every range has the same replicas.
    public var splitTokens: [Int64] {
        let sets = map.rangeReplicas.map { Set($0) }
        let n = sets.count
        guard n > 1 else { return [] }
        var out: [Int64] = []
        for i in 0..<n where sets[i] != sets[(i + 1) % n] { out.append(map.ring.sortedTokens[i].value) }
        return out
    }

    /// The distinct replica sets of the ring's ranges (for the availability check).
    public var replicaSets: [[HostID]] {
        var seen = Set<Set<HostID>>()
        return map.rangeReplicas.filter { seen.insert(Set($0)).inserted }
    }

    /// The replication factor a level counts against: SimpleStrategy's factor, the sum of
    /// NetworkTopologyStrategy's per-DC factors, the node count for EverywhereStrategy.
    public var replicationFactor: Int {
        if let s = strategy as? SimpleStrategy { return s.replicationFactor }
        if let s = strategy as? NetworkTopologyStrategy { return s.totalReplicationFactor }
        if strategy is EverywhereStrategy { return map.ring.endpoints.count }
        return 1
    }

    /// The factor of the local DC (LOCAL_QUORUM): NetworkTopologyStrategy's entry for it;
    /// other strategies know no DCs, so their whole factor (Cassandra's `localQuorumFor`).
    public var localReplicationFactor: Int {
        if let s = strategy as? NetworkTopologyStrategy { return s.dataCenters[localDataCenter] ?? 0 }
        return replicationFactor
    }

    /// Which acknowledgements count for `level` on a range with these replicas, and how
    /// many are needed. Levels are counted against the replicas the ring places (a factor
    /// above the node count cannot be met otherwise); LOCAL_QUORUM counts only replicas in
    /// the local DC. `needed > counted.count` means the level can never be met here.
    public func requirement(_ level: ConsistencyLevel, replicas: [HostID]) -> (counted: Set<HostID>, needed: Int) {
        switch level {
        case .localQuorum, .localOne:
            let local = Set(replicas.filter { nodes[$0]?.location.dataCenter == localDataCenter })
            let needed = level == .localOne ? 1 : (localReplicationFactor / 2 + 1)
            // No replica in the local DC: one is still needed, which none can give.
            return (local, local.isEmpty ? 1 : min(needed, local.count))
        default:
            let needed = min(level.blockFor(replicationFactor: replicationFactor), replicas.count)
            return (Set(replicas), max(needed, level == .any ? 0 : 1))
        }
    }

    /// Whether `acked` replicas meet `level` for a range with `replicas`.
    public func satisfied(_ level: ConsistencyLevel, replicas: [HostID], acked: Set<HostID>) -> Bool {
        let r = requirement(level, replicas: replicas)
        return r.counted.intersection(acked).count >= r.needed
    }
}

/// The consistency levels a load accepts (`hyades load --consistency`), Cassandra's names.
public enum LoadConsistency {
    public static let accepted: [ConsistencyLevel] = [.all, .quorum, .localQuorum, .one]

    public static func parse(_ text: String) -> ConsistencyLevel? {
        guard let l = ConsistencyLevel(name: text), accepted.contains(l) else { return nil }
        return l
    }
}
