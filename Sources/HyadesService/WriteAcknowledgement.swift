import HyadesStorage
import Synchronization

/// What a request's writes must reach before the request is answered, collected while it
/// runs (`QueryOptions.acknowledgement`), so that the server can answer later without
/// holding a thread: in the kernel (periodic mode) or fsynced (batch and group modes),
/// up to the last commit-log position the request wrote. Without one the processor
/// blocks until each write may be acknowledged (tools, tests).
public final class WriteAcknowledgement: Sendable, Hashable {
    private struct Pending {
        var position: CommitLogPosition?
        var needsSync = false
        var replicas: [ReplicaWait] = []
    }
    private let pending = Mutex(Pending())

    public init() {}

    /// Adds a write (or a read of data that may not be durable yet) to wait for.
    func require(_ appended: CommitLogAppend) {
        pending.withLock { p in
            p.position = max(p.position ?? appended.position, appended.position)
            if appended.needsSync { p.needsSync = true }
        }
    }

    /// Adds a coordinated write to wait for: its replicas' acknowledgements at the level.
    func require(_ wait: ReplicaWait) {
        pending.withLock { $0.replicas.append(wait) }
    }

    /// The coordinated writes the answer waits for (empty on a node alone).
    public var replicaWaits: [ReplicaWait] { pending.withLock { $0.replicas } }

    /// The position every write of the request lies before and whether an fsync must
    /// cover it; nil when the request wrote nothing.
    public var requirement: CommitLogAppend? {
        pending.withLock { p in p.position.map { CommitLogAppend(position: $0, needsSync: p.needsSync) } }
    }

    public static func == (a: WriteAcknowledgement, b: WriteAcknowledgement) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

extension QueryProcessor {
    /// `StorageEngine.whenAcknowledgeable` on this node's engine.
    public func whenAcknowledgeable(_ requirement: CommitLogAppend, _ callback: @escaping @Sendable (QueryError?) -> Void) {
        schema.engine.whenAcknowledgeable(requirement, callback)
    }
}

extension StorageEngine {
    /// Makes the writes described by `requirement` acknowledgeable, then calls `callback`:
    /// at once on this thread after a write syscall when only the kernel must have them
    /// (one call covers every write before it), else from the commit log's sync thread
    /// after the fsync (the callback must only hand the answer over). An error means the
    /// writes must not be acknowledged. Client writes and a coordinator's local replica
    /// both wait through here.
    public func whenAcknowledgeable(_ requirement: CommitLogAppend, _ callback: @escaping @Sendable (QueryError?) -> Void) {
        let engine = self
        do {
            try engine.write(upTo: requirement.position)
        } catch {
            callback(QueryError.server("Write failed: \(error)"))
            return
        }
        guard requirement.needsSync else {
            callback(nil)
            return
        }
        engine.whenDurable(requirement.position) { error in
            callback(error.map { QueryError.server("Write failed: commit log sync failed: \($0)") })
        }
    }
}
