import HyadesCore

/// Cassandra's "enough live replicas?" check (ReplicaPlans.assureSufficientLiveReplicas),
/// made before a request touches any replica: a consistency level that needs more replicas
/// than are alive is answered UNAVAILABLE (0x1000) with the level, the replicas it blocks
/// for and the replicas alive. It never succeeds quietly with fewer copies than asked for.
///
/// Counts follow Cassandra's ConsistencyLevel.blockFor: QUORUM and ALL count the
/// keyspace's configured replication factor (SimpleStrategy RF 3 on one node: QUORUM
/// blocks for 2, ALL for 3), the LOCAL_ levels the local data centre's, EACH_QUORUM every
/// data centre's. `liveReplicas(dc)` says how many replicas of the key are alive in a data
/// centre (nil: every data centre); on one node that is 1 in its own data centre when the
/// keyspace places any replica there, else 0.
struct ReplicaAvailability {
    var replication: ReplicationParams
    var localDataCenter: String
    var liveReplicas: (_ dataCenter: String?) -> Int

    /// One node in `dataCenter`, alive: the view until the cluster exists.
    static func singleNode(_ replication: ReplicationParams, dataCenter: String) -> ReplicaAvailability {
        let r = replication
        return ReplicaAvailability(replication: r, localDataCenter: dataCenter) { dc in
            switch r.className {
            case ReplicationParams.networkTopologyStrategy:
                if let dc, dc != dataCenter { return 0 }
                return (Int(r.options[dataCenter] ?? "") ?? 0) > 0 ? 1 : 0
            case ReplicationParams.simpleStrategy:
                return (Int(r.options["replication_factor"] ?? "") ?? 0) > 0 ? 1 : 0
            default:
                return 1   // LocalStrategy, EverywhereStrategy: this node holds everything
            }
        }
    }

    /// Replication factor per data centre (NetworkTopologyStrategy), or the one factor
    /// under the key nil (SimpleStrategy; LocalStrategy and EverywhereStrategy count 1).
    var factors: [String?: Int] {
        switch replication.className {
        case ReplicationParams.networkTopologyStrategy:
            var out: [String?: Int] = [:]
            for (k, v) in replication.options where k != "class" {
                if let n = Int(v) { out[k] = n }
            }
            return out
        case ReplicationParams.simpleStrategy:
            return [nil: Int(replication.options["replication_factor"] ?? "") ?? 1]
        default:
            return [nil: 1]
        }
    }

    var isNetworkTopology: Bool { replication.className == ReplicationParams.networkTopologyStrategy }
    var totalFactor: Int { factors.values.reduce(0, +) }
    var localFactor: Int { isNetworkTopology ? (factors[localDataCenter] ?? 0) : totalFactor }

    static func quorum(_ n: Int) -> Int { n / 2 + 1 }

    /// Replicas the level waits for (Cassandra's blockFor).
    func blockFor(_ cl: ConsistencyLevel) -> Int {
        switch cl {
        case .any, .one, .localOne: return 1
        case .two: return 2
        case .three: return 3
        case .quorum, .serial: return Self.quorum(totalFactor)
        case .all: return totalFactor
        case .localQuorum, .localSerial: return Self.quorum(localFactor)
        case .eachQuorum:
            guard isNetworkTopology else { return Self.quorum(totalFactor) }
            return factors.values.reduce(0) { $0 + Self.quorum($1) }
        }
    }

    /// Throws UNAVAILABLE when too few replicas are alive for `cl`.
    func check(_ cl: ConsistencyLevel) throws(QueryError) {
        switch cl {
        case .any:
            return   // a hint on the coordinator is enough
        case .localOne, .localQuorum, .localSerial:
            let live = liveReplicas(isNetworkTopology ? localDataCenter : nil)
            let need = blockFor(cl)
            if live < need { throw QueryError.unavailable(cl, required: need, alive: live) }
        case .eachQuorum where isNetworkTopology:
            for (dc, rf) in factors.sorted(by: { ($0.key ?? "") < ($1.key ?? "") }) {
                guard let dc else { continue }
                let live = liveReplicas(dc), need = Self.quorum(rf)
                if live < need { throw QueryError.unavailable(cl, required: need, alive: live, dataCenter: dc) }
            }
        default:
            let live = liveReplicas(nil), need = blockFor(cl)
            if live < need { throw QueryError.unavailable(cl, required: need, alive: live) }
        }
    }
}
