import Foundation
import HyadesCluster
import HyadesCore
import HyadesService
import HyadesStorage
import Synchronization

/// Keeps the storage engine's shard boundaries (`ShardBoundaries`: where flushes and
/// compactions cut their SSTables) on this node's token ranges, so that a range that
/// later moves to another node, or that repair compares, is covered by whole files.
///
/// The rule: for each keyspace's replication, the ranges this node replicates, merged
/// where adjacent; both ends of every merged range are boundaries (data of a range the
/// node no longer replicates, until cleanup, stays in files of its own). The union over
/// keyspaces keeps every keyspace's ranges aligned (the engine's boundaries are
/// node-wide). When that leaves none — the node replicates the whole ring, as a single
/// node or RF >= node count does — every ring token is a boundary (each vnode range its
/// own files): a decommission or a new replica moves whole vnode ranges, and repair
/// compares range by range.
final class StorageShards: Sendable {
    struct Member: Hashable {
        var hostID: HostID
        var address: String
        var location: Location
        var status: EndpointStatus
        var tokens: [Token]
    }
    private struct Input: Hashable {
        var members: [Member]
        var replications: Set<ReplicationParams>
    }

    private let engine: StorageEngine
    private let last = Mutex<Input?>(nil)

    init(engine: StorageEngine) { self.engine = engine }

    /// Recomputes the boundaries when the ring or a keyspace's replication changed.
    func update(local: Member, peers: [PeerInfo], keyspaces: [KeyspaceMetadata]) {
        var members = [local]
        for p in peers where p.isRingMember {
            guard let uuid = p.hostID else { continue }
            let id = withUnsafeBytes(of: uuid.uuid) { HostID(bytes: Array($0)) }
            members.append(Member(hostID: id, address: p.address.map(String.init).joined(separator: "."),
                                  location: Location(dataCenter: p.dataCenter ?? Location.default.dataCenter,
                                                     rack: p.rack ?? Location.default.rack),
                                  status: p.status == "LEAVING" ? .leaving : .normal,
                                  tokens: p.tokens.compactMap { Int64($0) }.map(Token.init)))
        }
        let replications = Set(keyspaces.map(\.replication)).filter {
            ReplicationParams.canonicalClassName($0.className) != ReplicationParams.localStrategy
        }
        let input = Input(members: members.sorted { $0.hostID < $1.hostID }, replications: replications)
        let changed = last.withLock { old -> Bool in
            defer { old = input }
            return old != input
        }
        guard changed else { return }
        var ring = TokenMetadata()
        for m in input.members where !m.tokens.isEmpty {
            // A token claimed twice (a node replaced, gossip not settled): keep the first.
            try? ring.add(Endpoint(hostID: m.hostID, address: m.address, location: m.location, status: m.status), tokens: m.tokens)
        }
        engine.setShardBoundaries(Self.boundaries(ring: ring, local: local.hostID, replications: input.replications))
    }

    static func boundaries(ring: TokenMetadata, local: HostID, replications: some Sequence<ReplicationParams>) -> ShardBoundaries {
        let tokens = ring.sortedTokens
        guard !tokens.isEmpty else { return .unsharded }
        var cuts = Set<Token>()
        for params in replications {
            guard let strategy = try? ReplicationStrategies.make(params, localHost: local) else { continue }
            let map = ReplicaMap(strategy: strategy, ring: ring)
            // Range i is (tokens[i-1], tokens[i]]: a merged run of ours ends where the next
            // range is not ours, and starts where the previous one is not.
            let mine = map.rangeReplicas.map { $0.contains(local) }
            for i in tokens.indices where mine[i] {
                let next = (i + 1) % tokens.count, previous = (i + tokens.count - 1) % tokens.count
                if !mine[next] { cuts.insert(tokens[i]) }
                if !mine[previous] { cuts.insert(tokens[previous]) }
            }
        }
        return ShardBoundaries(cuts.isEmpty ? tokens : Array(cuts))
    }
}
