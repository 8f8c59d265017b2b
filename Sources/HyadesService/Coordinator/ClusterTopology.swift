import HyadesCluster
import HyadesCore
import Synchronization

/// The ring as the coordinator sees it at one moment: every ring member with its tokens,
/// data centre and rack (this node included), and which of them the failure detector
/// holds alive. Gossip publishes a new one on every change (`ClusterTopologyHolder`); a
/// request works on the snapshot it started with.
public struct ClusterTopology: Sendable {
    public var local: HostID
    public var localLocation: Location
    /// Ring members (NORMAL, LEAVING, shutdown): this node and its peers.
    public var ring: TokenMetadata
    /// Members the failure detector holds up; this node is always in it.
    public var alive: Set<HostID>
    /// When each down member was last seen going down (wall clock, ms): hints stop once
    /// `max_hint_window` has passed since.
    public var downSinceMillis: [HostID: Int64]
    /// Set by the holder on publication: equal versions are the same ring and liveness
    /// (caches compare this, never the ring itself).
    public internal(set) var version = 0

    public init(local: HostID, localLocation: Location, ring: TokenMetadata, alive: Set<HostID>,
                downSinceMillis: [HostID: Int64] = [:]) {
        self.local = local
        self.downSinceMillis = downSinceMillis
        self.localLocation = localLocation
        self.ring = ring
        var a = alive
        a.insert(local)
        self.alive = a
    }

    /// No peer in the ring: every replica of everything is this node.
    public var isSingleNode: Bool { ring.endpoints.keys.allSatisfy { $0 == local } }

    public func isAlive(_ host: HostID) -> Bool { alive.contains(host) }

    public func dataCenter(of host: HostID) -> String {
        host == local ? localLocation.dataCenter : (ring.location(of: host)?.dataCenter ?? localLocation.dataCenter)
    }

    /// Ring members in each data centre.
    public func nodeCount(in dataCenter: String?) -> Int {
        guard let dataCenter else { return max(1, ring.endpoints.count) }
        return ring.dataCenterEndpoints[dataCenter]?.count ?? (dataCenter == localLocation.dataCenter ? 1 : 0)
    }
}

/// The current topology and what is computed from it once per publication: the replica
/// maps (one per replication setting) and whether reads of a keyspace at a level are this
/// node's alone. Requests look these up on every read and write, so the critical sections
/// are a version compare and a dictionary lookup.
public final class ClusterTopologyHolder: Sendable {
    private struct State {
        var topology: ClusterTopology?
        var version = 0
        var maps: [ReplicationParams: ReplicaMap] = [:]
        var localReads: [LocalReadKey: Bool] = [:]
    }
    struct LocalReadKey: Hashable {
        var params: ReplicationParams
        var consistency: UInt16
    }
    private let state = Mutex(State())

    public init() {}

    /// The last topology gossip published; nil on a node that never joined a ring (alone).
    public var current: ClusterTopology? { state.withLock { $0.topology } }

    public func update(_ topology: ClusterTopology) {
        state.withLock { s in
            s.version += 1
            var t = topology
            t.version = s.version
            if s.topology?.ring != t.ring { s.maps = [:] }
            s.localReads = [:]
            s.topology = t
        }
    }

    /// The replicas of every range for `params` on `topology`'s ring (cached while it is current).
    public func replicaMap(for params: ReplicationParams, topology: ClusterTopology) -> ReplicaMap? {
        if let m = state.withLock({ s in s.version == topology.version ? s.maps[params] : nil }) { return m }
        guard let strategy = try? ReplicationStrategies.make(params, localHost: topology.local) else { return nil }
        let map = ReplicaMap(strategy: strategy, ring: topology.ring)
        state.withLock { s in if s.version == topology.version { s.maps[params] = map } }
        return map
    }

    /// A cached answer to "are reads of this replication at this level all local?".
    func localReads(_ params: ReplicationParams, _ cl: ConsistencyLevel, topology: ClusterTopology,
                    compute: () -> Bool) -> Bool {
        let key = LocalReadKey(params: params, consistency: cl.rawValue)
        if let hit = state.withLock({ s in s.version == topology.version ? s.localReads[key] : nil }) { return hit }
        let value = compute()
        state.withLock { s in if s.version == topology.version { s.localReads[key] = value } }
        return value
    }
}
