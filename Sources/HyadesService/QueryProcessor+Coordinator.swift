import HyadesCluster
import HyadesCore
import HyadesCQL
import HyadesStorage
import Synchronization

/// The query processor as a coordinator (issue 11): on a node in a ring, writes and reads
/// of user keyspaces go through the `StorageProxy` to the replicas of their data; on a node
/// alone (or for the node-local system keyspaces) everything stays on the engine, as before.
extension QueryProcessor {
    /// The coordinator and the ring it works on, nil while this node is alone.
    func coordinating() -> (StorageProxy, ClusterTopology)? {
        guard let proxy = storageProxy, let t = proxy.clustered else { return nil }
        return (proxy, t)
    }

    /// The keyspace's replication for a table id (the proxy's placement lookup), from a
    /// map rebuilt when the schema version changes.
    public func replicationOf(_ table: TableID) -> ReplicationParams? {
        let version = schema.schemaVersion
        if let hit = replicationCache.withLock({ c in c.version == version ? c.map[table] : nil }) { return hit }
        var map: [TableID: ReplicationParams] = [:]
        for ks in schema.snapshot.keyspaces.values {
            for t in ks.tables.values { map[t.id] = ks.replication }
        }
        replicationCache.withLock { $0 = (version, map) }
        return map[table]
    }

    /// Whether `keyspace` is placed by its strategy (not the node-local system keyspaces).
    func isDistributed(_ keyspace: String) -> Bool {
        !SystemKeyspaces.names.contains(keyspace)
    }

    // MARK: writes

    /// Sends a write to its replicas at the request's level. The answer waits for them
    /// through the request's acknowledgement (the server answers when they did, holding no
    /// thread); without one this thread waits.
    func coordinate(_ mutation: Mutation, options: QueryOptions, writeType: String,
                    proxy: StorageProxy, topology t: ClusterTopology) throws(QueryError) {
        let wait = ReplicaWait()
        let local: (Mutation) throws(QueryError) -> CommitLogAppend = { [self] m throws(QueryError) in try append(m) }
        // A logged batch over several partitions goes through the batchlog (all or nothing,
        // even if this coordinator dies); everything else straight to the replicas.
        if writeType == "BATCH" && Set(mutation.updates.map(\.key)).count > 1 {
            try proxy.mutateAtomically(mutation, consistency: options.consistency, topology: t, applyLocally: local,
                                       completion: wait.complete)
        } else {
            try proxy.mutate(mutation, consistency: options.consistency, writeType: writeType, topology: t,
                             applyLocally: local, completion: wait.complete)
        }
        if let ack = options.acknowledgement {
            ack.require(wait)
        } else {
            try wait.wait()
        }
    }

    /// Read-modify-writes (counters, conditional updates) run where their data is: on a
    /// ring they are only accepted by a node that is the partition's only replica (keyspaces
    /// with more replicas refuse them in `checkWrite`).
    func requireLocalReplica(_ mutation: Mutation, what: String) throws(QueryError) {
        guard let (proxy, t) = coordinating() else { return }
        for u in mutation.updates {
            guard let params = replicationOf(u.table) else { continue }
            let replicas = proxy.naturalReplicas(params, u.key.token, t)
            if replicas != [t.local] {
                let owner = replicas.first.flatMap { t.ring.endpoint($0)?.address } ?? "another node"
                throw QueryError.invalid("\(what) must be coordinated by the partition's replica (\(owner)): "
                                         + "Hyades runs them on the one replica of keyspaces with replication_factor 1")
            }
        }
    }

    // MARK: reads

    /// Whether every read of `keyspace` at `cl` is this node's alone (it replicates every
    /// range and the level needs one replica): then the engine's fast paths serve it.
    func readsEverythingLocally(_ keyspace: String, _ cl: ConsistencyLevel) -> Bool {
        guard let (proxy, t) = coordinating(), isDistributed(keyspace) else { return true }
        guard let ks = schema.keyspace(named: keyspace) else { return true }
        return topology.localReads(ks.replication, cl, topology: t) {
            for s in proxy.splits(.all, params: ks.replication, topology: t) {
                guard let targets = try? proxy.rangeTargets(s, params: ks.replication, consistency: cl, topology: t),
                      targets == [t.local] else { return false }
            }
            return true
        }
    }

    /// The SELECT target of a coordinated read: each partition from the replicas the level
    /// needs (or the engine when this node alone suffices), ranges piece by piece.
    func coordinatedTarget(_ plan: SelectPlan, store: TableStore, options: QueryOptions, now: Int32,
                           proxy: StorageProxy, topology t: ClusterTopology) throws(QueryError) -> SelectTarget {
        guard let ks = schema.keyspace(named: plan.table.keyspace) else {
            throw QueryError.invalid("Keyspace \(plan.table.keyspace) does not exist")
        }
        let params = ks.replication
        let cl = options.consistency
        let table = plan.table.id
        return SelectTarget(
            read: { key, slices, columns in
                if try proxy.readsLocally(params, key.token, consistency: cl, topology: t) {
                    return try store.read(key, slices: slices, columns: columns, nowInSeconds: now)
                }
                if let prefetch = options.prefetch {
                    if let p = prefetch.fetched(table, key, slices, cl) {
                        return FilteredPartitionIterator(UpdatesPartitionIterator(p.map { [$0] } ?? []), nowInSeconds: now,
                                                         columns: columns)
                    }
                    // Recorded, not waited for: the request is run again once it is here.
                    prefetch.want(table, key, slices, cl)
                    return FilteredPartitionIterator(UpdatesPartitionIterator([]), nowInSeconds: now, columns: columns)
                }
                let p: PartitionUpdate? = try ReplicaWait.blocking { done throws(QueryError) in
                    try proxy.readPartition(table, key: key, slices: slices, consistency: cl, topology: t, completion: done)
                }
                return FilteredPartitionIterator(UpdatesPartitionIterator(p.map { [$0] } ?? []), nowInSeconds: now, columns: columns)
            },
            scan: { range, slices, columns in
                try DistributedRangeSource(proxy: proxy, table: table, store: store, params: params, range: range,
                                           slices: slices, columns: columns, consistency: cl, topology: t, nowInSeconds: now)
            })
    }
}

/// A range read across the ring as one stream of partitions: the range cut into pieces
/// with one replica set each (in ring order), each piece read from the engine when this
/// node alone satisfies the level, else fetched from its replicas in chunks, reconciled and
/// repaired (`StorageProxy.readRange`), resuming after the last partition of each chunk.
final class DistributedRangeSource: RowSource {
    let proxy: StorageProxy
    let table: TableID
    let store: TableStore
    let params: ReplicationParams
    let slices: Slices
    let columns: ColumnFilter
    let consistency: ConsistencyLevel
    let topology: ClusterTopology
    let now: Int32
    private var splits: [StorageProxy.RangeSplit]
    private var next = 0
    private var current: FilteredPartitionIterator?
    /// The piece being fetched in chunks, and where its next chunk starts.
    private var pending: (split: StorageProxy.RangeSplit, targets: [HostID])?

    /// Partitions per chunk fetched from replicas.
    static let chunkPartitions = 1000

    init(proxy: StorageProxy, table: TableID, store: TableStore, params: ReplicationParams, range: PartitionRange,
         slices: Slices, columns: ColumnFilter, consistency: ConsistencyLevel, topology: ClusterTopology,
         nowInSeconds: Int32) throws(QueryError) {
        self.proxy = proxy
        self.table = table
        self.store = store
        self.params = params
        self.slices = slices
        self.columns = columns
        self.consistency = consistency
        self.topology = topology
        self.now = nowInSeconds
        self.splits = proxy.splits(range, params: params, topology: topology)
        // Every piece's level checked before the first row is returned (UNAVAILABLE early).
        for s in splits { _ = try proxy.rangeTargets(s, params: params, consistency: consistency, topology: topology) }
    }

    func nextPartition() throws -> (key: DecoratedKey, staticRow: Row?)? {
        while true {
            if let c = current, let p = try c.nextPartition() { return p }
            current = nil
            if let (split, targets) = pending {
                pending = nil
                try fetch(split, targets)
                continue
            }
            guard next < splits.count else { return nil }
            let split = splits[next]
            next += 1
            let targets = try proxy.rangeTargets(split, params: params, consistency: consistency, topology: topology)
            if targets == [topology.local] {
                current = try store.scan(split.range, slices: slices, columns: columns, nowInSeconds: now)
            } else {
                try fetch(split, targets)
            }
        }
    }

    func nextRow() throws -> Row? { try current?.nextRow() }

    private func fetch(_ split: StorageProxy.RangeSplit, _ targets: [HostID]) throws {
        let proxy = self.proxy, table = self.table, slices = self.slices, cl = consistency, t = topology
        let response: ReplicaMessages.RangeResponse = try ReplicaWait.blocking { done in
            proxy.readRange(table, split: split, targets: targets, slices: slices, limit: Self.chunkPartitions,
                            consistency: cl, topology: t, completion: done)
        }
        if !response.complete, let last = response.partitions.last {
            var rest = split
            rest.range = PartitionRange.after(last.key, upper: split.range.upper)
            pending = (rest, targets)
        }
        current = FilteredPartitionIterator(UpdatesPartitionIterator(response.partitions), nowInSeconds: now, columns: columns)
    }
}
