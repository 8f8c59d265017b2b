import HyadesCore

/// A strategy's placement computed once for a ring (what a driver's token map and a
/// coordinator's cache hold): replicas per ring range, looked up by binary search.
/// Rebuild it when the ring or the keyspace's replication changes.
public struct ReplicaMap: Sendable {
    public let ring: TokenMetadata
    /// `rangeReplicas[i]`: replicas of `ring.ranges[i]`, the range ending at `ring.sortedTokens[i]`.
    public let rangeReplicas: [[HostID]]

    public init(strategy: some ReplicationStrategy, ring: TokenMetadata) {
        self.ring = ring
        self.rangeReplicas = ring.sortedTokens.map { strategy.replicas(for: $0, in: ring) }
    }

    public func replicas(for token: Token) -> [HostID] {
        ring.isEmpty ? [] : rangeReplicas[ring.firstTokenIndex(token)]
    }

    /// What `nodetool getendpoints <keyspace> <table> <key>` prints: the current addresses
    /// of the replicas of a partition key, given its serialized bytes (the composite form
    /// for a multi-column key, as the token is computed on).
    public func endpoints(forKey key: [UInt8]) -> [String] {
        let token = key.withUnsafeBytes { Murmur3Partitioner.token($0) }
        return replicas(for: token).compactMap { ring.endpoints[$0]?.address }
    }

    /// The ranges a host holds a replica of (Cassandra's `getAddressReplicas`), in token order.
    public func ranges(of host: HostID) -> [TokenRange] {
        let all = ring.ranges
        return all.indices.filter { rangeReplicas[$0].contains(host) }.map { all[$0] }
    }

    /// The fraction of the ring each host replicates (`nodetool status` "Owns (effective)"):
    /// sums to the replication factor when every range is fully placed.
    public func effectiveOwnership() -> [HostID: Double] {
        var out: [HostID: Double] = [:]
        for id in ring.endpoints.keys where ring.endpoints[id]!.status.ownsTokens { out[id] = 0 }
        for (i, r) in ring.ranges.enumerated() {
            let f = r.ringFraction
            for h in rangeReplicas[i] { out[h, default: 0] += f }
        }
        return out
    }
}
