import HyadesCluster
import HyadesCore
import HyadesStorage
import Synchronization

/// Where a write a replica missed is kept until the replica is back (hinted handoff).
public protocol HintSink: Sendable {
    /// Stores `mutation` for `host`; false when it was not kept (window passed, store full,
    /// hints disabled).
    func store(_ mutation: Mutation, for host: HostID, downSinceMillis: Int64?) -> Bool
}

/// The coordinator (Cassandra's StorageProxy): any node runs any request against the
/// replicas of its data, at the request's consistency level. Writes go to every replica
/// (hints for those down); reads ask as many replicas as the level needs (data from the
/// closest, digests from the others) and repair the ones that differ before answering.
///
/// Everything here is callback-driven over the injected transport, clock-free (timeouts are
/// the transport's job) and independent of threads, so that the simulation runs the same
/// code deterministically; `QueryProcessor` waits for reads on its request thread.
public final class StorageProxy: Sendable {
    public let engine: StorageEngine
    public let topology: ClusterTopologyHolder
    public let transport: any ReplicaTransport
    public let hints: (any HintSink)?
    public let timeouts: InternodeTimeouts
    /// The replication of a table's keyspace (nil: unknown table).
    let replicationOf: @Sendable (TableID) -> ReplicationParams?
    public let metrics = CoordinatorMetrics()
    /// How long a read waits for its first replicas before asking one more (Cassandra's
    /// speculative_retry, as a fixed delay).
    public let speculativeRetryMillis: Int64 = 100

    public init(engine: StorageEngine, topology: ClusterTopologyHolder, transport: any ReplicaTransport,
                hints: (any HintSink)?, timeouts: InternodeTimeouts = InternodeTimeouts(),
                replicationOf: @escaping @Sendable (TableID) -> ReplicationParams?) {
        self.engine = engine
        self.topology = topology
        self.transport = transport
        self.hints = hints
        self.timeouts = timeouts
        self.replicationOf = replicationOf
    }

    /// The topology requests use: gossip's, or none (then every request stays local).
    public var clustered: ClusterTopology? {
        guard let t = topology.current, !t.isSingleNode else { return nil }
        return t
    }

    /// The natural replicas of `token` for a keyspace's replication on `topology`.
    public func naturalReplicas(_ params: ReplicationParams, _ token: Token, _ topology: ClusterTopology) -> [HostID] {
        switch params.className {
        case ReplicationParams.localStrategy: return [topology.local]
        default: return self.topology.replicaMap(for: params, topology: topology)?.replicas(for: token) ?? [topology.local]
        }
    }

    func availability(_ params: ReplicationParams, live: [HostID], _ t: ClusterTopology) -> ReplicaAvailability {
        ReplicaAvailability(replication: params, localDataCenter: t.localLocation.dataCenter) { dc in
            guard let dc else { return live.count }
            return live.filter { t.dataCenter(of: $0) == dc }.count
        }
    }

    // MARK: writes

    /// Sends `mutation` to the replicas of its partitions: applies locally (`applyLocally`,
    /// the caller's commit-log path) when this node is a replica, sends MUTATION_REQ to the
    /// live others, stores hints for the down ones, and calls `completion` once the level is
    /// met for every partition (nil) or cannot be (the error). Throws UNAVAILABLE before
    /// anything is written when too few replicas are alive.
    public func mutate(_ mutation: Mutation, consistency: ConsistencyLevel, writeType: String, topology t: ClusterTopology,
                       applyLocally: (Mutation) throws(QueryError) -> CommitLogAppend,
                       completion: @escaping @Sendable (QueryError?) -> Void) throws(QueryError) {
        // Partitions grouped by replica set: one message per replica per group.
        var groups: [[HostID]: (params: ReplicationParams, updates: [PartitionUpdate])] = [:]
        var order: [[HostID]] = []
        for u in mutation.updates {
            guard let params = replicationOf(u.table) else { throw QueryError.invalid("unconfigured table \(u.table)") }
            // Order does not matter to a write: one group per replica set.
            let replicas = naturalReplicas(params, u.key.token, t).sorted()
            if groups[replicas] == nil {
                groups[replicas] = (params, [])
                order.append(replicas)
            }
            groups[replicas]!.updates.append(u)
        }
        // Every group's level checked before anything is written (Cassandra's
        // assureSufficientLiveReplicas per mutation, all before the sends).
        for replicas in order {
            let params = groups[replicas]!.params
            try availability(params, live: replicas.filter(t.isAlive), t).check(consistency)
        }
        let group = CompletionGroup(count: order.count, completion: completion)
        for replicas in order {
            let (params, updates) = groups[replicas]!
            try write(Mutation(updates), replicas: replicas, params: params, consistency: consistency, writeType: writeType,
                      topology: t, applyLocally: applyLocally, completion: group.complete)
        }
    }

    private func write(_ mutation: Mutation, replicas: [HostID], params: ReplicationParams, consistency: ConsistencyLevel,
                       writeType: String, topology t: ClusterTopology, applyLocally: (Mutation) throws(QueryError) -> CommitLogAppend,
                       completion: @escaping @Sendable (QueryError?) -> Void) throws(QueryError) {
        let live = replicas.filter(t.isAlive)
        let a = availability(params, live: live, t)
        var factors: [String: Int] = [:]
        for (k, v) in a.factors { if let k { factors[k] = v } }
        let handler = WriteTracker(WriteResponseHandler(
            consistency: consistency, writeType: writeType, blockFor: a.blockFor(consistency),
            localDataCenter: t.localLocation.dataCenter, targets: live.map { ($0, t.dataCenter(of: $0)) },
            factors: factors), completion: completion)
        for host in replicas where !t.isAlive(host) {
            if storeHint(mutation, for: host, t) { handler.update { $0.hinted() } }
        }
        handler.update { $0.start() }
        var payload: [UInt8]?
        for host in live {
            if host == t.local {
                do throws(QueryError) {
                    // The local replica counts once its commit log has the write as the
                    // sync mode requires (written; fsynced in batch and group modes).
                    let appended = try applyLocally(mutation)
                    engine.whenAcknowledgeable(appended) { error in
                        if let error {
                            handler.localError(error)
                            handler.update { $0.failed(at: host) }
                        } else {
                            handler.update { $0.acknowledged(by: host) }
                        }
                    }
                } catch {
                    handler.update { $0.failed(at: host) }
                    // The local write failed: the request fails with its error if nothing else can meet the level.
                    handler.localError(error)
                }
                continue
            }
            if payload == nil { payload = MutationSerializer.serialize(mutation) }
            metrics.add(\.mutationsSent)
            transport.send(.mutationReq, payload: payload!, to: host, timeoutMillis: timeouts.writeRequestMillis) { [self] reply in
                switch reply {
                case .response:
                    handler.update { $0.acknowledged(by: host) }
                case .failure:
                    handler.update { $0.failed(at: host) }
                case .timeout:
                    // Cassandra hints a replica that did not answer in time: it may have
                    // missed the write (hints are idempotent: replaying one it has is harmless).
                    _ = storeHint(mutation, for: host, t)
                    handler.update { $0.timedOut(at: host) }
                }
            }
        }
    }

    func storeHint(_ mutation: Mutation, for host: HostID, _ t: ClusterTopology) -> Bool {
        guard let hints else { return false }
        let stored = hints.store(mutation, for: host, downSinceMillis: t.downSinceMillis[host])
        metrics.add(stored ? \.hintsWritten : \.hintsDropped)
        return stored
    }

    // MARK: reads

    /// This node first, then its data centre, then the others (Cassandra's snitch sort,
    /// without dynamic scores); stable within each group.
    func closestFirst(_ hosts: [HostID], _ t: ClusterTopology) -> [HostID] {
        let localDC = t.localLocation.dataCenter
        func distance(_ h: HostID) -> Int { h == t.local ? 0 : (t.dataCenter(of: h) == localDC ? 1 : 2) }
        return hosts.sorted { distance($0) < distance($1) }
    }

    /// The replicas a read at `consistency` asks, closest first: this node, then its data
    /// centre, then the others (Cassandra's snitch sort, without dynamic scores).
    func readTargets(_ params: ReplicationParams, _ token: Token, consistency: ConsistencyLevel,
                     topology t: ClusterTopology) throws(QueryError) -> [HostID] {
        let natural = naturalReplicas(params, token, t)
        let live = natural.filter(t.isAlive)
        let a = availability(params, live: live, t)
        try a.check(consistency)
        let localDC = t.localLocation.dataCenter
        let sorted = closestFirst(live, t)
        switch consistency {
        case .localOne, .localQuorum, .localSerial:
            return Array(sorted.filter { t.dataCenter(of: $0) == localDC }.prefix(a.blockFor(consistency)))
        case .eachQuorum where a.isNetworkTopology:
            var out: [HostID] = []
            for (dc, rf) in a.factors {
                guard let dc else { continue }
                out += sorted.filter { t.dataCenter(of: $0) == dc }.prefix(ReplicaAvailability.quorum(rf))
            }
            return out.sorted { x, _ in x == t.local }
        default:
            return Array(sorted.prefix(a.blockFor(consistency)))
        }
    }

    /// Whether a read of `token` at `consistency` is this node's alone (it is the one
    /// replica the level needs): then the caller reads the engine directly.
    public func readsLocally(_ params: ReplicationParams, _ token: Token, consistency: ConsistencyLevel,
                             topology t: ClusterTopology) throws(QueryError) -> Bool {
        try readTargets(params, token, consistency: consistency, topology: t) == [t.local]
    }

    /// One partition with its tombstones, reconciled across the replicas the level needs:
    /// data from the first, digests from the others; on a mismatch, data from all, merged by
    /// timestamp, and the merged partition written back to every replica that differed
    /// before the answer (blocking read repair).
    public func readPartition(_ table: TableID, key: DecoratedKey, slices: Slices, consistency: ConsistencyLevel,
                              topology t: ClusterTopology,
                              completion: @escaping @Sendable (Result<PartitionUpdate?, QueryError>) -> Void) throws(QueryError) {
        guard let params = replicationOf(table) else { throw QueryError.invalid("unconfigured table \(table)") }
        let targets = try readTargets(params, key.token, consistency: consistency, topology: t)
        let read = ReadTracker(targets: targets, consistency: consistency, completion: completion)
        let ask: @Sendable (HostID, ReplicaMessages.ReadKind) -> Void = { [self] host, kind in
            let command = ReplicaMessages.ReadCommand(kind: kind, table: table, key: key, slices: slices)
            request(command, from: host, t) { reply in
                read.answered(host, kind: kind, reply) { [self] hosts in
                    // Digests disagree: full data from every replica that answered.
                    metrics.add(\.digestMismatches)
                    let full = ReplicaMessages.ReadCommand(kind: .data, table: table, key: key, slices: slices)
                    for h in hosts {
                        request(full, from: h, t) { reply in
                            read.fullDataAnswered(h, reply) { merged, stale in
                                self.repair(merged, on: stale, t) { error in read.repaired(merged, error) }
                            }
                        }
                    }
                }
            }
        }
        for (i, host) in targets.enumerated() { ask(host, i == 0 ? .data : .digest) }
        // Speculative retry (Cassandra's speculative_retry): a replica that has not answered
        // in time may be dead before the failure detector says so; one more live replica is
        // asked for data, and its answer counts in place of the missing one.
        let extras = naturalReplicas(params, key.token, t).filter { t.isAlive($0) && !targets.contains($0) }
        if let extra = extras.first {
            transport.schedule(afterMillis: speculativeRetryMillis) { [self] in
                if read.speculating() {
                    metrics.add(\.speculativeRetries)
                    ask(extra, .data)
                }
            }
        }
    }

    /// Runs `command` on `host`: the local engine at once, or READ_REQ.
    func request(_ command: ReplicaMessages.ReadCommand, from host: HostID, _ t: ClusterTopology,
                 _ reply: @escaping @Sendable (ReplicaReply) -> Void) {
        if host == t.local {
            do {
                let p = try ReplicaVerbHandler.readPartition(engine, command.table, command.key, command.slices)
                reply(.response(command.kind == .data ? ReplicaMessages.encodeData(p) : ReplicaMessages.digest(p)))
            } catch {
                reply(.failure("\(error)"))
            }
            return
        }
        metrics.add(\.readsSent)
        transport.send(.readReq, payload: ReplicaMessages.encode(command), to: host,
                       timeoutMillis: timeouts.readRequestMillis, reply: reply)
    }

    /// Writes `partitions` to each stale replica (READ_REPAIR_REQ; locally applied here),
    /// then calls `done` once every one acknowledged, or with the error.
    func repair(_ partitions: [HostID: [PartitionUpdate]], _ t: ClusterTopology, consistency: ConsistencyLevel,
                done: @escaping @Sendable (QueryError?) -> Void) {
        let targets = partitions.filter { !$0.value.isEmpty }
        if targets.isEmpty {
            done(nil)
            return
        }
        metrics.add(\.readRepairs, targets.count)
        let group = CompletionGroup(count: targets.count, completion: done)
        for (host, updates) in targets {
            let mutation = Mutation(updates)
            if host == t.local {
                do {
                    engine.whenAcknowledgeable(try engine.applyDeferringAcknowledgement(mutation), group.complete)
                } catch {
                    group.complete(.server("Read repair failed: \(error)"))
                }
                continue
            }
            transport.send(.readRepairReq, payload: MutationSerializer.serialize(mutation), to: host,
                           timeoutMillis: timeouts.writeRequestMillis) { reply in
                switch reply {
                case .response: group.complete(nil)
                case .failure(let why): group.complete(.readFailure(consistency, received: 0, blockFor: 1, failures: 1,
                                                                    dataPresent: true, reason: "read repair failed: \(why)"))
                case .timeout: group.complete(.readTimeout(consistency, received: 0, blockFor: 1, dataPresent: true))
                }
            }
        }
    }

    func repair(_ merged: PartitionUpdate?, on stale: [HostID], _ t: ClusterTopology,
                done: @escaping @Sendable (QueryError?) -> Void) {
        guard let merged else {
            done(nil)
            return
        }
        var partitions: [HostID: [PartitionUpdate]] = [:]
        for h in stale { partitions[h] = [merged] }
        repair(partitions, t, consistency: .one, done: done)
    }

    // MARK: ranges

    /// One piece of a range read: a part of the ring whose partitions have one replica set.
    public struct RangeSplit: Sendable, Equatable {
        public var range: PartitionRange
        public var replicas: [HostID]
    }

    /// `range` cut at the ring's tokens into pieces with one replica set each, in ring order;
    /// adjacent pieces with the same replicas merged (Cassandra's range merging).
    public func splits(_ range: PartitionRange, params: ReplicationParams, topology t: ClusterTopology) -> [RangeSplit] {
        let ring = t.ring
        guard !ring.isEmpty else { return [RangeSplit(range: range, replicas: [t.local])] }
        var out: [RangeSplit] = []
        // Pieces in byte order: [min, t0], (t0, t1], ..., (t_last, max]; the first and the
        // last belong to the wrapping range, whose replicas are those of t0.
        let tokens = ring.sortedTokens
        let map = params.className == ReplicationParams.localStrategy ? nil : topology.replicaMap(for: params, topology: t)
        var lower: [UInt8] = []
        for i in 0...tokens.count {
            let upper: [UInt8]? = i < tokens.count ? PartitionRange.tokens(from: tokens[i], inclusive: true, to: tokens[i], inclusive: true).upper : nil
            let owner = i < tokens.count ? tokens[i] : tokens[0]
            let piece = PartitionRange(lower: lower, upper: upper)
            if let clipped = Self.intersect(piece, range) {
                let replicas = map?.replicas(for: owner) ?? [t.local]
                if let last = out.last, Set(last.replicas) == Set(replicas), last.range.upper == clipped.lower {
                    out[out.count - 1].range.upper = clipped.upper
                } else {
                    out.append(RangeSplit(range: clipped, replicas: replicas))
                }
            }
            guard let upper else { break }
            lower = upper
        }
        return out
    }

    static func intersect(_ a: PartitionRange, _ b: PartitionRange) -> PartitionRange? {
        let lower = ByteOrder.compare(a.lower, b.lower) >= 0 ? a.lower : b.lower
        let upper: [UInt8]?
        switch (a.upper, b.upper) {
        case (nil, nil): upper = nil
        case (let x?, nil): upper = x
        case (nil, let y?): upper = y
        case (let x?, let y?): upper = ByteOrder.compare(x, y) <= 0 ? x : y
        }
        if let upper, ByteOrder.compare(lower, upper) >= 0 { return nil }
        return PartitionRange(lower: lower, upper: upper)
    }

    /// The replicas a range piece is read from at `consistency`, closest first.
    public func rangeTargets(_ split: RangeSplit, params: ReplicationParams, consistency: ConsistencyLevel,
                             topology t: ClusterTopology) throws(QueryError) -> [HostID] {
        let live = split.replicas.filter(t.isAlive)
        let a = availability(params, live: live, t)
        try a.check(consistency)
        let localDC = t.localLocation.dataCenter
        var sorted = closestFirst(live, t)
        if [.localOne, .localQuorum].contains(consistency) { sorted = sorted.filter { t.dataCenter(of: $0) == localDC } }
        return Array(sorted.prefix(a.blockFor(consistency)))
    }

    /// Up to `limit` partitions of `split` from every target, merged; replicas that differ
    /// get the merged partitions (blocking read repair). The answer is complete up to its
    /// last partition; `complete` says whether the piece has nothing after it.
    public func readRange(_ table: TableID, split: RangeSplit, targets: [HostID], slices: Slices, limit: Int,
                          consistency: ConsistencyLevel, topology t: ClusterTopology,
                          completion: @escaping @Sendable (Result<ReplicaMessages.RangeResponse, QueryError>) -> Void) {
        // This node among the targets: its data, and only digests of the same chunk from the
        // others; replicas that agree send 16 bytes instead of the rows. Any difference (or
        // a failed digest) falls back to data from every target, merged and repaired.
        if targets.count > 1, targets[0] == t.local {
            let command = ReplicaMessages.RangeCommand(table: table, range: split.range, slices: slices, limit: limit)
            let local: ReplicaMessages.RangeResponse
            do { local = try ReplicaVerbHandler.readRange(engine, command, maxBytes: 4 << 20) } catch {
                completion(.failure(.readFailure(consistency, received: 0, blockFor: targets.count, failures: 1,
                                                 dataPresent: false, reason: "\(error)")))
                return
            }
            var digestCommand = command
            digestCommand.digest = true
            let digestPayload = ReplicaMessages.encode(digestCommand)
            let round = RangeDigestRound(local: local, digest: ReplicaMessages.digest(local), needed: targets.count - 1,
                                         asked: Array(targets.dropFirst()))
            let fallback: @Sendable ([HostID]) -> Void = { [self] answered in
                metrics.add(\.digestMismatches)
                readRangeData(table, split: split, targets: [t.local] + answered, slices: slices, limit: limit,
                              consistency: consistency, topology: t, completion: completion)
            }
            let ask: @Sendable (HostID) -> Void = { [self] host in
                metrics.add(\.rangesSent)
                transport.send(.rangeReq, payload: digestPayload, to: host,
                               timeoutMillis: timeouts.rangeRequestMillis) { reply in
                    switch round.answered(host, reply) {
                    case .wait: break
                    case .agreed: completion(.success(local))
                    case .mismatch(let answered): fallback(answered)
                    case .hopeless(let received):
                        completion(.failure(.readTimeout(consistency, received: received + 1, blockFor: targets.count,
                                                         dataPresent: true)))
                    }
                }
            }
            for host in targets.dropFirst() { ask(host) }
            // A digest replica silent for a moment may be dead before the failure detector
            // says so: one more live replica is asked (speculative retry).
            if let extra = split.replicas.first(where: { t.isAlive($0) && !targets.contains($0) }) {
                transport.schedule(afterMillis: speculativeRetryMillis) { [self] in
                    if round.speculating(extra) {
                        metrics.add(\.speculativeRetries)
                        ask(extra)
                    }
                }
            }
            return
        }
        readRangeData(table, split: split, targets: targets, slices: slices, limit: limit, consistency: consistency,
                      topology: t, completion: completion)
    }

    /// `readRange` with data from every target.
    func readRangeData(_ table: TableID, split: RangeSplit, targets: [HostID], slices: Slices, limit: Int,
                       consistency: ConsistencyLevel, topology t: ClusterTopology,
                       completion: @escaping @Sendable (Result<ReplicaMessages.RangeResponse, QueryError>) -> Void) {
        let command = ReplicaMessages.RangeCommand(table: table, range: split.range, slices: slices, limit: limit)
        let tracker = RangeTracker(targets: targets, consistency: consistency, completion: completion)
        let ask: @Sendable (HostID) -> Void = { [self] host in
            let reply: @Sendable (ReplicaReply) -> Void = { [self] reply in
                tracker.answered(host, reply) { merged, stale in
                    repair(stale, t, consistency: consistency) { error in tracker.repaired(merged, error) }
                }
            }
            if host == t.local {
                do {
                    let r = try ReplicaVerbHandler.readRange(engine, command, maxBytes: 4 << 20)
                    reply(.response(ReplicaMessages.encode(r)))
                } catch {
                    reply(.failure("\(error)"))
                }
                return
            }
            metrics.add(\.rangesSent)
            transport.send(.rangeReq, payload: ReplicaMessages.encode(command), to: host,
                           timeoutMillis: timeouts.rangeRequestMillis, reply: reply)
        }
        for host in targets { ask(host) }
        let extras = split.replicas.filter { t.isAlive($0) && !targets.contains($0) }
        if let extra = extras.first {
            transport.schedule(afterMillis: speculativeRetryMillis) { [self] in
                if tracker.speculating() {
                    metrics.add(\.speculativeRetries)
                    ask(extra)
                }
            }
        }
    }
}

/// The digest half of a range chunk read: this node's chunk is the answer once `needed`
/// other replicas sent the same digest; a different digest falls back to data from this
/// node and the replicas that answered; too many silent replicas end the read.
final class RangeDigestRound: Sendable {
    enum Next { case wait, agreed, mismatch([HostID]), hopeless(received: Int) }
    private struct State {
        var asked: [HostID]
        var answered: [HostID] = []
        var agreed = 0
        var failed: Set<HostID> = []
        var done = false
    }
    private let state: Mutex<State>
    let local: ReplicaMessages.RangeResponse
    let digest: [UInt8]
    let needed: Int

    init(local: ReplicaMessages.RangeResponse, digest: [UInt8], needed: Int, asked: [HostID]) {
        self.local = local
        self.digest = digest
        self.needed = needed
        state = Mutex(State(asked: asked))
    }

    func speculating(_ host: HostID) -> Bool {
        state.withLock { s in
            guard !s.done, s.agreed < needed, !s.asked.contains(host) else { return false }
            s.asked.append(host)
            return true
        }
    }

    func answered(_ host: HostID, _ reply: ReplicaReply) -> Next {
        state.withLock { s -> Next in
            guard !s.done else { return .wait }
            switch reply {
            case .response(let d) where d == digest:
                s.answered.append(host)
                s.agreed += 1
                if s.agreed >= needed {
                    s.done = true
                    return .agreed
                }
                return .wait
            case .response:
                s.answered.append(host)
                s.done = true
                // The full read asks as many replicas as the level needs: those that
                // answered first, then the others asked that have not failed.
                let rest = s.asked.filter { !s.answered.contains($0) && !s.failed.contains($0) }
                return .mismatch(Array((s.answered + rest).prefix(needed)))
            case .failure, .timeout:
                s.failed.insert(host)
                if s.asked.count - s.failed.count < needed {
                    s.done = true
                    return .hopeless(received: s.agreed)
                }
                return .wait
            }
        }
    }
}

/// One write's handler with its completion, shared by the transport's callbacks.
final class WriteTracker: Sendable {
    private let state: Mutex<(handler: WriteResponseHandler, localError: QueryError?)>
    private let completion: @Sendable (QueryError?) -> Void

    init(_ handler: WriteResponseHandler, completion: @escaping @Sendable (QueryError?) -> Void) {
        state = Mutex((handler, nil))
        self.completion = completion
    }

    func localError(_ e: QueryError) { state.withLock { $0.localError = $0.localError ?? e } }

    func update(_ event: (inout WriteResponseHandler) -> WriteResponseHandler.Outcome) {
        let (outcome, localError) = state.withLock { s in (event(&s.handler), s.localError) }
        switch outcome {
        case .pending: return
        case .succeeded: completion(nil)
        case .failed(let e):
            // A local error (disk full, mutation too large) says more than a count.
            completion(localError ?? e)
        }
    }
}

/// Calls `completion` once `count` parts completed (nil) or at the first error.
final class CompletionGroup: Sendable {
    private let remaining: Mutex<Int?>
    private let completion: @Sendable (QueryError?) -> Void

    init(count: Int, completion: @escaping @Sendable (QueryError?) -> Void) {
        remaining = Mutex(count)
        self.completion = completion
        if count == 0 { completion(nil) }
    }

    func complete(_ error: QueryError?) {
        let fire = remaining.withLock { r -> Bool in
            guard let n = r else { return false }
            if error != nil || n == 1 {
                r = nil
                return true
            }
            r = n - 1
            return false
        }
        if fire { completion(error) }
    }
}
