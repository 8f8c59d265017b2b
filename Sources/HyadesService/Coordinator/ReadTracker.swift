import HyadesCluster
import HyadesCore
import HyadesStorage
import Synchronization

/// Reconciles replicas' answers: the engine's own merge over the answers (newest timestamp
/// wins, tombstones shadow older data), and which replicas miss something of the result.
enum ReplicaReconciler {
    /// The partitions of every answer merged, in ring order.
    static func merge(_ answers: [[PartitionUpdate]], table: TableID) throws -> [PartitionUpdate] {
        let sources: [any UnfilteredPartitionIterator] = answers.map { UpdatesPartitionIterator($0) }
        let merged = MergingPartitionIterator(sources)
        var out: [PartitionUpdate] = []
        while let p = try PartitionCollector.next(merged, table: table) { out.append(normalized(p)) }
        return out
    }

    /// Range tombstones sorted and without duplicates: merging replicas that hold the same
    /// tombstone yields it once per replica, which must not count as a difference.
    static func normalized(_ p: PartitionUpdate) -> PartitionUpdate {
        var p = p
        var seen = Set<RangeTombstone>()
        p.rangeTombstones = p.rangeTombstones.filter { seen.insert($0).inserted }
            .sorted { ByteOrder.compare($0.start, $1.start) < 0 || ($0.start == $1.start && ByteOrder.compare($0.end, $1.end) < 0) }
        return p
    }

    /// For each replica, the merged partitions its answer does not equal (what read repair
    /// sends it).
    static func stale(_ answers: [HostID: [PartitionUpdate]], merged: [PartitionUpdate]) -> [HostID: [PartitionUpdate]] {
        var out: [HostID: [PartitionUpdate]] = [:]
        for (host, partitions) in answers {
            var mine: [DecoratedKey: PartitionUpdate] = [:]
            for p in partitions { mine[p.key] = normalized(p) }
            let missing = merged.filter { mine[$0.key] != $0 }
            if !missing.isEmpty { out[host] = missing }
        }
        return out
    }
}

/// The state of one single-partition read at a consistency level (Cassandra's ReadCallback
/// with DigestResolver, then DataResolver on a mismatch).
final class ReadTracker: Sendable {
    private struct State {
        var data: PartitionUpdate??
        var digests: [HostID: [UInt8]] = [:]
        var received = 0
        var full: [HostID: PartitionUpdate?] = [:]
        /// The replicas whose full data the second round waits for.
        var repairSet: [HostID] = []
        var mismatch = false
        var done = false
        /// Replicas asked (the first targets, then speculative ones) and failed answers.
        var asked: Int
        var failed = 0
    }
    private let state: Mutex<State>
    let targets: [HostID]
    let consistency: ConsistencyLevel
    private let completion: @Sendable (Result<PartitionUpdate?, QueryError>) -> Void

    init(targets: [HostID], consistency: ConsistencyLevel,
         completion: @escaping @Sendable (Result<PartitionUpdate?, QueryError>) -> Void) {
        self.targets = targets
        self.consistency = consistency
        self.completion = completion
        state = Mutex(State(asked: targets.count))
    }

    /// Whether a speculative request is worth sending (still waiting for answers); counts it.
    func speculating() -> Bool {
        state.withLock { s in
            guard !s.done, !s.mismatch, s.received < targets.count else { return false }
            s.asked += 1
            return true
        }
    }

    private func finish(_ r: Result<PartitionUpdate?, QueryError>) {
        let first = state.withLock { s -> Bool in
            defer { s.done = true }
            return !s.done
        }
        if first { completion(r) }
    }

    private func failure(_ reply: ReplicaReply, received: Int, dataPresent: Bool) -> QueryError {
        if case .failure(let why) = reply {
            return .readFailure(consistency, received: received, blockFor: targets.count, failures: 1,
                                dataPresent: dataPresent, reason: why)
        }
        return .readTimeout(consistency, received: received, blockFor: targets.count, dataPresent: dataPresent)
    }

    /// A first-round answer (data or digest); `mismatch` runs once when the digests differ.
    func answered(_ host: HostID, kind: ReplicaMessages.ReadKind, _ reply: ReplicaReply,
                  mismatch: @Sendable ([HostID]) -> Void) {
        guard case .response(let bytes) = reply else {
            // A failed or silent replica ends the read only when no other asked replica
            // can still make up the count (a speculative request may).
            let (received, present, hopeless) = state.withLock { s -> (Int, Bool, Bool) in
                s.failed += 1
                return (s.received, s.data != nil, s.asked - s.failed < targets.count)
            }
            if hopeless { finish(.failure(failure(reply, received: received, dataPresent: present))) }
            return
        }
        var decoded: PartitionUpdate??
        var digest = bytes
        if kind == .data {
            do {
                let p = try ReplicaMessages.decodeData(bytes)
                decoded = .some(p)
                digest = ReplicaMessages.digest(p)
            } catch {
                finish(.failure(.readFailure(consistency, received: 0, blockFor: targets.count, failures: 1,
                                             dataPresent: false, reason: "\(error)")))
                return
            }
        }
        enum Next { case wait, answer(PartitionUpdate?), repair([HostID]) }
        let next = state.withLock { s -> Next in
            guard !s.done, !s.mismatch else { return .wait }
            if let decoded { s.data = decoded }
            s.digests[host] = digest
            s.received += 1
            guard s.received >= targets.count, let data = s.data else { return .wait }
            if Set(s.digests.values).count == 1 { return .answer(data) }
            s.mismatch = true
            s.repairSet = s.digests.keys.sorted()
            return .repair(s.repairSet)
        }
        switch next {
        case .wait: return
        case .answer(let p): finish(.success(p))
        case .repair(let hosts): mismatch(hosts)
        }
    }

    /// A second-round (full data) answer; `repair` runs once with the merged partition and the
    /// replicas that need it.
    func fullDataAnswered(_ host: HostID, _ reply: ReplicaReply,
                          repair: @Sendable (PartitionUpdate?, [HostID]) -> Void) {
        guard case .response(let bytes) = reply else {
            let received = state.withLock { $0.full.count }
            finish(.failure(failure(reply, received: received, dataPresent: true)))
            return
        }
        let p: PartitionUpdate?
        do { p = try ReplicaMessages.decodeData(bytes) } catch {
            finish(.failure(.readFailure(consistency, received: 0, blockFor: targets.count, failures: 1,
                                         dataPresent: false, reason: "\(error)")))
            return
        }
        let all = state.withLock { s -> [HostID: PartitionUpdate?]? in
            guard !s.done else { return nil }
            s.full[host] = p
            return s.full.count == s.repairSet.count ? s.full : nil
        }
        guard let all else { return }
        let present = all.values.compactMap { $0 }
        guard let table = present.first?.table else {
            finish(.success(nil))
            return
        }
        do {
            let merged = try ReplicaReconciler.merge(present.map { [$0] }, table: table).first
            var answers: [HostID: [PartitionUpdate]] = [:]
            for (h, v) in all { answers[h] = v.map { [$0] } ?? [] }
            let stale = merged.map { ReplicaReconciler.stale(answers, merged: [$0]) } ?? [:]
            repair(merged, stale.keys.sorted())
        } catch {
            finish(.failure(.readFailure(consistency, received: all.count, blockFor: targets.count, failures: 0,
                                         dataPresent: true, reason: "\(error)")))
        }
    }

    /// Read repair finished (or failed): the answer.
    func repaired(_ merged: PartitionUpdate?, _ error: QueryError?) {
        if let error { finish(.failure(error)) } else { finish(.success(merged)) }
    }
}

/// The state of one range piece read from several replicas (Cassandra's range read with
/// DataResolver: every target sends data).
final class RangeTracker: Sendable {
    private struct State {
        var answers: [HostID: ReplicaMessages.RangeResponse] = [:]
        var done = false
        var asked: Int
        var failed = 0
    }
    private let state: Mutex<State>
    let targets: [HostID]
    let consistency: ConsistencyLevel
    private let completion: @Sendable (Result<ReplicaMessages.RangeResponse, QueryError>) -> Void

    init(targets: [HostID], consistency: ConsistencyLevel,
         completion: @escaping @Sendable (Result<ReplicaMessages.RangeResponse, QueryError>) -> Void) {
        self.targets = targets
        self.consistency = consistency
        self.completion = completion
        state = Mutex(State(asked: targets.count))
    }

    /// Whether a speculative request is worth sending (still waiting for answers); counts it.
    func speculating() -> Bool {
        state.withLock { s in
            guard !s.done, s.answers.count < targets.count else { return false }
            s.asked += 1
            return true
        }
    }

    /// A replica failed or did not answer: true when the others asked cannot make up the count.
    private func hopeless() -> Bool {
        state.withLock { s in
            s.failed += 1
            return s.asked - s.failed < targets.count
        }
    }

    private func finish(_ r: Result<ReplicaMessages.RangeResponse, QueryError>) {
        let first = state.withLock { s -> Bool in
            defer { s.done = true }
            return !s.done
        }
        if first { completion(r) }
    }

    func answered(_ host: HostID, _ reply: ReplicaReply,
                  repair: @Sendable (ReplicaMessages.RangeResponse, [HostID: [PartitionUpdate]]) -> Void) {
        let received = state.withLock { $0.answers.count }
        let response: ReplicaMessages.RangeResponse
        switch reply {
        case .response(let bytes):
            do { response = try ReplicaMessages.decodeRangeResponse(bytes) } catch {
                finish(.failure(.readFailure(consistency, received: received, blockFor: targets.count, failures: 1,
                                             dataPresent: false, reason: "\(error)")))
                return
            }
        case .failure(let why):
            if hopeless() {
                finish(.failure(.readFailure(consistency, received: received, blockFor: targets.count, failures: 1,
                                             dataPresent: false, reason: why)))
            }
            return
        case .timeout:
            if hopeless() {
                finish(.failure(.readTimeout(consistency, received: received, blockFor: targets.count,
                                             dataPresent: received > 0)))
            }
            return
        }
        let all = state.withLock { s -> [HostID: ReplicaMessages.RangeResponse]? in
            guard !s.done, s.answers.count < targets.count else { return nil }
            s.answers[host] = response
            return s.answers.count == targets.count ? s.answers : nil
        }
        guard let all else { return }
        if all.count == 1 {
            finish(.success(response))
            return
        }
        // Each answer is complete up to its last partition; past the smallest last partition
        // of an answer that stopped at its limit, the others' partitions may lack a replica's
        // version: cut there and resume after it.
        var cut: [UInt8]?
        for r in all.values where !r.complete {
            guard let last = r.partitions.last?.key.byteComparable else { continue }
            if cut == nil || ByteOrder.compare(last, cut!) < 0 { cut = last }
        }
        var answers: [HostID: [PartitionUpdate]] = [:]
        for (h, r) in all {
            answers[h] = cut.map { c in r.partitions.filter { ByteOrder.compare($0.key.byteComparable, c) <= 0 } } ?? r.partitions
        }
        guard let table = all.values.lazy.flatMap(\.partitions).first?.table else {
            finish(.success(ReplicaMessages.RangeResponse(partitions: [], complete: all.values.allSatisfy(\.complete))))
            return
        }
        do {
            let merged = try ReplicaReconciler.merge(answers.keys.sorted().compactMap { answers[$0] }, table: table)
            let result = ReplicaMessages.RangeResponse(partitions: merged, complete: cut == nil && all.values.allSatisfy(\.complete))
            let stale = ReplicaReconciler.stale(answers, merged: merged)
            if stale.isEmpty { finish(.success(result)) } else { repair(result, stale) }
        } catch {
            finish(.failure(.readFailure(consistency, received: all.count, blockFor: targets.count, failures: 0,
                                         dataPresent: true, reason: "\(error)")))
        }
    }

    func repaired(_ merged: ReplicaMessages.RangeResponse, _ error: QueryError?) {
        if let error { finish(.failure(error)) } else { finish(.success(merged)) }
    }
}

/// Counters of the coordinator's work (nodetool and tests read them).
public final class CoordinatorMetrics: Sendable {
    public struct Counts: Sendable, Equatable {
        public var mutationsSent = 0
        public var readsSent = 0
        public var rangesSent = 0
        public var digestMismatches = 0
        public var readRepairs = 0
        public var hintsWritten = 0
        public var hintsDropped = 0
        public var hintsReplayed = 0
        public var speculativeRetries = 0
    }
    private let counts = Mutex(Counts())

    public init() {}

    public var snapshot: Counts { counts.withLock { $0 } }

    func add(_ key: WritableKeyPath<Counts, Int>, _ n: Int = 1) {
        counts.withLock { $0[keyPath: key] += n }
    }
}
