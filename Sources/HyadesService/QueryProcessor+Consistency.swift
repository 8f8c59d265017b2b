import HyadesCore
import HyadesCQL

/// The consistency level checks Cassandra makes before executing a statement: levels a
/// request kind cannot use (ANY for reads, SERIAL for plain writes) are InvalidRequest, and
/// a level that needs more live replicas than the keyspace has answers UNAVAILABLE
/// (`ReplicaAvailability`). Statements on the node-local system keyspaces are not checked,
/// as in Cassandra (LocalStrategy: this node is every replica).
extension QueryProcessor {
    /// The node's view of a keyspace's live replicas (one node until the cluster exists).
    /// On a ring, the keyspace-level check counts the ring's nodes per data centre (the
    /// replicas a key can have); the coordinator then checks each partition's live replicas.
    func availability(of keyspace: String) -> ReplicaAvailability? {
        guard let ks = analysisSchema.keyspace(named: keyspace) else { return nil }
        if let (_, t) = coordinating() {
            return ReplicaAvailability(replication: ks.replication, localDataCenter: t.localLocation.dataCenter) { dc in
                t.nodeCount(in: dc)
            }
        }
        return ReplicaAvailability.singleNode(ks.replication, dataCenter: node.dataCenter)
    }

    /// Bit `cl.rawValue` set for every level a prepared statement of `plan` may run at
    /// without a further check: cached with the statement (a schema change, replication
    /// included, makes the cache re-check), so the EXECUTE fast path pays one AND.
    func passingLevels(_ plan: StatementPlan) -> UInt16 {
        var mask: UInt16 = 0
        for cl in ConsistencyLevel.allCases {
            if (try? checkConsistency(plan, consistency: cl, serial: nil)) != nil { mask |= 1 << cl.rawValue }
        }
        return mask
    }

    func checkConsistency(_ plan: StatementPlan, options: QueryOptions) throws(QueryError) {
        try checkConsistency(plan, consistency: options.consistency, serial: options.serialConsistency)
    }

    func checkConsistency(_ plan: StatementPlan, consistency cl: ConsistencyLevel,
                          serial: ConsistencyLevel?) throws(QueryError) {
        switch plan {
        case .select(let s):
            try checkRead(keyspace: s.table.keyspace, cl)
        case .modification(let m):
            try checkWrite(keyspace: m.table.keyspace, cl, conditional: m.condition != nil, serial: serial,
                           counter: m.isCounter)
        case .insertJSON(let j):
            try checkWrite(keyspace: j.table.keyspace, cl, conditional: false, serial: serial, counter: false)
        case .batch(let b):
            let conditional = b.statements.contains { $0.condition != nil }
            for ks in Set(b.statements.map(\.table.keyspace)).sorted() {
                try checkWrite(keyspace: ks, cl, conditional: conditional, serial: serial,
                               counter: b.statements.contains(where: \.isCounter))
            }
        default:
            return
        }
    }

    func checkRead(keyspace: String, _ cl: ConsistencyLevel) throws(QueryError) {
        if cl == .any { throw QueryError.invalid("ANY ConsistencyLevel is only supported for writes") }
        guard !Self.isLocalSystemKeyspace(keyspace), let a = availability(of: keyspace) else { return }
        try a.check(cl)
    }

    func checkWrite(keyspace: String, _ cl: ConsistencyLevel, conditional: Bool, serial: ConsistencyLevel?,
                    counter: Bool) throws(QueryError) {
        if !conditional && (cl == .serial || cl == .localSerial) {
            throw QueryError.invalid("You must use conditional updates for serializable writes")
        }
        if counter && cl == .any {
            throw QueryError.invalid("Consistency level ANY is not yet supported for counter table \(keyspace)")
        }
        guard !Self.isLocalSystemKeyspace(keyspace), let a = availability(of: keyspace) else { return }
        // Lightweight transactions need Paxos among the replicas, counters a leader that
        // merges per-replica shards; neither exists across nodes yet, so on a keyspace with
        // more than one replica they are refused rather than run on one replica only.
        if (conditional || counter) && a.totalFactor > 1 {
            let what = conditional ? "Conditional updates (lightweight transactions)" : "Counter updates"
            throw QueryError.invalid("\(what) are not supported on keyspace \(keyspace) with \(a.totalFactor) replicas: "
                                     + "Hyades runs them on one replica only (keyspaces with replication_factor 1 support them)")
        }
        if conditional {
            let s = serial ?? .serial
            guard s == .serial || s == .localSerial else {
                throw QueryError.invalid("Invalid consistency for conditional update. Must be one of SERIAL or LOCAL_SERIAL")
            }
            // Paxos needs a quorum of the replicas (SERIAL) or of the local ones.
            try a.check(s)
            return
        }
        try a.check(cl)
    }

    /// Keyspaces held only by this node (LocalStrategy): never short of replicas.
    static func isLocalSystemKeyspace(_ keyspace: String) -> Bool {
        keyspace == "system" || keyspace == "system_schema"
    }
}
