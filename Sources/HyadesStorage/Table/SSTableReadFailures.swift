import Foundation
import Synchronization

/// What the node does after a read met a corrupt SSTable (cassandra.yaml's
/// `disk_failure_policy`). The read that met it fails in every case.
public enum DiskFailurePolicy: String, Sendable, Hashable, CaseIterable {
    /// Stop serving clients (CQL and streaming); the process stays up and says why.
    case stop
    /// Stop serving and exit with a non-zero status.
    case die
    /// Take the corrupt SSTable out of reads and keep serving the rest.
    case bestEffort = "best_effort"
    /// Log and count; keep serving (reads of the damaged data keep failing).
    case ignore
}

/// One corrupt SSTable file as reads met it.
public struct SSTableReadFailure: Sendable, Hashable {
    /// The damaged file (a component of the SSTable: Data.db, Index.db, ...).
    public var path: String
    /// Byte offset of the damaged unit (block, segment, index group) when first met.
    public var offset: Int64
    public var what: String
    /// `keyspace.table`.
    public var table: String
    /// Reads that failed on this file.
    public var reads: Int
    /// Taken out of reads (best_effort).
    public var outOfReads: Bool
}

/// Node-wide record of reads that met corrupt SSTables: counted per node, per table and
/// per file; the first failure of each file goes to `onFirstFailure` (the node logs it
/// once and applies its `disk_failure_policy`).
public final class SSTableReadFailures: Sendable {
    private struct State {
        var policy = DiskFailurePolicy.stop
        var total = 0
        var byTable: [String: Int] = [:]
        /// Keyed by path, in the order first met.
        var files: [String: SSTableReadFailure] = [:]
        var order: [String] = []
        var onFirstFailure: (@Sendable (SSTableReadFailure, DiskFailurePolicy) -> Void)?
        var onChange: (@Sendable () -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    public var policy: DiskFailurePolicy {
        get { state.withLock { $0.policy } }
        set { state.withLock { $0.policy = newValue } }
    }

    /// `first` is called (outside the lock) for the first failed read of each file;
    /// `change` after every failed read (e.g. to rewrite the node's status).
    public func observe(first: @escaping @Sendable (SSTableReadFailure, DiskFailurePolicy) -> Void,
                        change: @escaping @Sendable () -> Void) {
        state.withLock {
            $0.onFirstFailure = first
            $0.onChange = change
        }
    }

    /// Failed reads on corrupt SSTables since the node started.
    public var total: Int { state.withLock { $0.total } }
    /// Failed reads per `keyspace.table`.
    public var byTable: [String: Int] { state.withLock { $0.byTable } }
    /// Every corrupt file met, in the order first met.
    public var files: [SSTableReadFailure] { state.withLock { s in s.order.map { s.files[$0]! } } }

    /// Counts one failed read; returns the policy in force.
    @discardableResult
    func record(_ e: SSTableCorruptionError, table: String, outOfReads: Bool = false) -> DiskFailurePolicy {
        let (first, policy, onFirst, onChange) = state.withLock { s in
            s.total += 1
            s.byTable[table, default: 0] += 1
            var isFirst = false
            if var f = s.files[e.path] {
                f.reads += 1
                f.outOfReads = f.outOfReads || outOfReads
                s.files[e.path] = f
            } else {
                s.files[e.path] = SSTableReadFailure(path: e.path, offset: e.offset, what: e.what, table: table, reads: 1,
                                                     outOfReads: outOfReads)
                s.order.append(e.path)
                isFirst = true
            }
            return (isFirst ? s.files[e.path] : nil, s.policy, s.onFirstFailure, s.onChange)
        }
        if let first { onFirst?(first, policy) }
        onChange?()
        return policy
    }
}
