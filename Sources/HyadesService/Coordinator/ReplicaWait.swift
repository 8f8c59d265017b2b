import Dispatch
import Synchronization

/// The outcome of a coordinated request that is not known yet (replicas still to answer):
/// the server answers the client when it completes, holding no thread meanwhile; tools and
/// tests block on it.
public final class ReplicaWait: Sendable {
    private struct State {
        var outcome: QueryError??
        var callbacks: [@Sendable (QueryError?) -> Void] = []
    }
    private let state = Mutex(State())

    public init() {}

    /// Sets the outcome (nil: success); later calls are ignored.
    public func complete(_ error: QueryError?) {
        let callbacks = state.withLock { s -> [@Sendable (QueryError?) -> Void] in
            guard s.outcome == nil else { return [] }
            s.outcome = .some(error)
            defer { s.callbacks = [] }
            return s.callbacks
        }
        for c in callbacks { c(error) }
    }

    /// Runs `callback` with the outcome (at once if known).
    public func whenComplete(_ callback: @escaping @Sendable (QueryError?) -> Void) {
        let known = state.withLock { s -> QueryError?? in
            if let o = s.outcome { return .some(o) }
            s.callbacks.append(callback)
            return nil
        }
        if let known { callback(known) }
    }

    /// Blocks the calling thread until the outcome is known.
    public func wait() throws(QueryError) {
        let semaphore = DispatchSemaphore(value: 0)
        whenComplete { _ in semaphore.signal() }
        semaphore.wait()
        if let e = state.withLock({ $0.outcome }) ?? nil { throw e }
    }

    /// One callback after every wait in `waits` completed: the first error, else nil.
    public static func all(_ waits: [ReplicaWait], _ callback: @escaping @Sendable (QueryError?) -> Void) {
        let group = CompletionGroup(count: waits.count, completion: callback)
        for w in waits { w.whenComplete(group.complete) }
    }

    /// Runs `start` and blocks until it reports: how a request thread waits for replicas.
    public static func blocking<T: Sendable>(
        _ start: (@escaping @Sendable (Result<T, QueryError>) -> Void) throws(QueryError) -> Void
    ) throws(QueryError) -> T {
        let result = Mutex<Result<T, QueryError>?>(nil)
        let semaphore = DispatchSemaphore(value: 0)
        try start { r in
            result.withLock { $0 = $0 ?? r }
            semaphore.signal()
        }
        semaphore.wait()
        return try result.withLock { $0! }.get()
    }
}
