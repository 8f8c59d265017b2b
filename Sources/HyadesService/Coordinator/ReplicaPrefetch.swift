import HyadesCluster
import HyadesCore
import HyadesStorage
import Synchronization

/// Point reads without a waiting thread: a read that needs other replicas' data records
/// which partitions it needs instead of blocking (`want`), the request ends with a
/// `.deferred` error carrying this object, the server fetches them all from the replicas
/// at once (callbacks, no thread held), then runs the request again with the partitions at
/// hand (`fetched`). The request threads stay as many as the cores: the engine's locks are
/// never fought over by dozens of threads waiting for the network.
public final class ReplicaPrefetch: Sendable, Hashable {
    struct Want: Hashable {
        var table: TableID
        var key: DecoratedKey
        var slices: Slices
        var consistency: ConsistencyLevel
    }
    private struct State {
        var wanted: [Want] = []
        var fetched: [Want: PartitionUpdate?] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public static func == (a: ReplicaPrefetch, b: ReplicaPrefetch) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    /// The partition if it was fetched (`.some(nil)`: the replicas hold nothing).
    func fetched(_ table: TableID, _ key: DecoratedKey, _ slices: Slices, _ cl: ConsistencyLevel) -> PartitionUpdate?? {
        let w = Want(table: table, key: key, slices: slices, consistency: cl)
        return state.withLock { $0.fetched[w] }
    }

    func want(_ table: TableID, _ key: DecoratedKey, _ slices: Slices, _ cl: ConsistencyLevel) {
        let w = Want(table: table, key: key, slices: slices, consistency: cl)
        state.withLock { s in if s.fetched[w] == nil && !s.wanted.contains(w) { s.wanted.append(w) } }
    }

    /// Partitions wanted and not fetched yet.
    var missing: Int { state.withLock { $0.wanted.count } }

    /// Fetches every wanted partition from its replicas, then calls `completion` (the first
    /// error, if any: UNAVAILABLE, READ_TIMEOUT, ...).
    func fetch(proxy: StorageProxy, topology t: ClusterTopology, completion: @escaping @Sendable (QueryError?) -> Void) {
        let wanted = state.withLock { s -> [Want] in
            defer { s.wanted = [] }
            return s.wanted
        }
        let group = CompletionGroup(count: wanted.count, completion: completion)
        for w in wanted {
            do {
                try proxy.readPartition(w.table, key: w.key, slices: w.slices, consistency: w.consistency, topology: t) {
                    [self] result in
                    switch result {
                    case .success(let p):
                        state.withLock { $0.fetched[w] = .some(p) }
                        group.complete(nil)
                    case .failure(let e):
                        group.complete(e)
                    }
                }
            } catch {
                group.complete(error)
            }
        }
    }
}

extension QueryProcessor {
    /// Fetches what a deferred request needs, then calls `completion`; afterwards run the
    /// request again with `options.prefetch` set to `prefetch`.
    public func fetch(_ prefetch: ReplicaPrefetch, completion: @escaping @Sendable (QueryError?) -> Void) {
        guard let (proxy, t) = coordinating() else {
            completion(nil)   // alone again: the re-run reads locally
            return
        }
        prefetch.fetch(proxy: proxy, topology: t, completion: completion)
    }
}
