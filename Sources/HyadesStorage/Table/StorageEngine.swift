import Dispatch
import Foundation
import HyadesCore
import Logging
import Synchronization

/// Node-wide storage settings (cassandra.yaml names in the comments).
public struct StorageEngineOptions: Sendable {
    public var commitLog = CommitLogOptions()
    /// `concurrent_compactors`.
    public var concurrentCompactors = 2
    /// `compaction_throughput` in bytes per second; 0 = unlimited.
    public var compactionThroughputBytesPerSecond = 64 << 20
    /// Run compactions in the background after flushes (tests turn it off to drive
    /// compaction by hand).
    public var backgroundCompaction = true
    /// How much lower than request threads flushes and compactions run (nice levels, 0 =
    /// same priority; BackgroundQueue). HYADES_BACKGROUND_NICE overrides it (benchmarks).
    public var backgroundNiceIncrement: Int32 =
        ProcessInfo.processInfo.environment["HYADES_BACKGROUND_NICE"].flatMap { Int32($0) } ?? 10
    /// The server's clock in seconds (TTL expiry, gc_grace); injected by tests.
    public var nowInSeconds: @Sendable () -> Int32 = { Int32(clamping: Int64(Date().timeIntervalSince1970)) }

    public init() {}
}

/// The node's storage: one commit log shared by every table, and one `TableStore` per
/// table. Start-up order: `init`, `openTable` for every table in the schema,
/// `replayCommitLog()`, then serve.
///
/// Any disk error on the write path, in a flush or in a compaction stops the engine
/// for good (Cassandra's `disk_failure_policy: stop`): after a failed fsync the state
/// of the data is unknown and retrying it could acknowledge lost writes. A full disk
/// met when the commit log needs a new segment only refuses the writes until there is
/// room (nothing was written; `CommitLogError.segmentUnavailable`).
public final class StorageEngine: @unchecked Sendable {
    public let fileSystem: any FileSystem
    public let options: StorageEngineOptions
    let logger: Logger
    let commitLog: CommitLog
    let barrier = WriteBarrier()
    let throttle: CompactionThrottle
    /// Flushes and compactions run below request priority (BackgroundQueue).
    let flushQueue: BackgroundQueue
    let compactionQueue: BackgroundQueue
    /// Compactions of a table with a backlog of SSTables run at request priority: reads
    /// pay for every SSTable they consult, so a low-priority compaction starved by a
    /// write burst would slow the reads after it (measured: 98k -> 66k point reads/s).
    let backlogCompactionQueue: BackgroundQueue
    let compactionSlots: DispatchSemaphore
    private let onFailure: @Sendable (any Error) -> Void
    /// Reads that met corrupt SSTables, and the `disk_failure_policy` they are subject to.
    public let readFailures = SSTableReadFailures()

    private struct State {
        var tables: [TableID: TableStore] = [:]
        var failure: String?
        var closed = false
    }
    private let state = Mutex(State())
    /// Where flushes and compactions cut their outputs (`ShardBoundaries`); replaced at
    /// runtime when the ring changes, read once by each flush and compaction.
    private let boundaries = Mutex(ShardBoundaries.unsharded)
    /// False once the engine failed or closed: the write path's check without the lock.
    private let running = Atomic<Bool>(true)

    public init(commitLogDirectory: String, fileSystem: any FileSystem, options: StorageEngineOptions = .init(),
                logger: Logger = Logger(label: "hyades.storage"),
                onFailure: @escaping @Sendable (any Error) -> Void = { _ in }) throws {
        self.fileSystem = fileSystem
        self.options = options
        self.logger = logger
        self.onFailure = onFailure
        self.throttle = CompactionThrottle(bytesPerSecond: options.compactionThroughputBytesPerSecond)
        self.compactionSlots = DispatchSemaphore(value: max(1, options.concurrentCompactors))
        self.flushQueue = BackgroundQueue(label: "hyades.memtable-flush", maxThreads: 1,
                                          niceIncrement: options.backgroundNiceIncrement)
        self.compactionQueue = BackgroundQueue(label: "hyades.compaction", maxThreads: max(1, options.concurrentCompactors),
                                               niceIncrement: options.backgroundNiceIncrement)
        self.backlogCompactionQueue = BackgroundQueue(label: "hyades.compact-now", maxThreads: max(1, options.concurrentCompactors),
                                                      niceIncrement: 0)
        try fileSystem.createDirectory(commitLogDirectory)
        self.commitLog = try CommitLog(directory: commitLogDirectory, fileSystem: fileSystem,
                                       options: options.commitLog, logger: logger)
    }

    /// Opens (creating if needed) the table stored in `directory`: reads its MANIFEST,
    /// deletes files of interrupted flushes and compactions, opens its SSTables.
    public func openTable(_ id: TableID, directory: String, options: TableOptions,
                          schema: SSTableSchemaHeader? = nil) throws -> TableStore {
        try checkRunning()
        if state.withLock({ $0.tables[id] != nil }) { throw StorageEngineError.tableAlreadyOpen(id.description) }
        let table = try TableStore(engine: self, id: id, directory: directory, options: options, schema: schema)
        try state.withLock { s in
            if s.tables[id] != nil { throw StorageEngineError.tableAlreadyOpen(id.description) }
            s.tables[id] = table
        }
        return table
    }

    public func table(_ id: TableID) -> TableStore? { state.withLock { $0.tables[id] } }

    /// The shard boundaries of every table without its own (`TableStore.setShardBoundaries`).
    /// Applies to the flushes and compactions that start after it; SSTables already
    /// written stay as they are until compaction rewrites them.
    public func setShardBoundaries(_ b: ShardBoundaries) {
        let changed = boundaries.withLock { old -> Bool in
            defer { old = b }
            return old != b
        }
        if changed { logger.info("storage shard boundaries set", metadata: ["boundaries": "\(b.tokens.count)"]) }
    }

    public var shardBoundaries: ShardBoundaries { boundaries.withLock { $0 } }

    /// Re-applies to the memtables every mutation the commit log holds past each table's
    /// flushed position. Mutations of tables that are not open (dropped) are skipped.
    @discardableResult
    public func replayCommitLog() throws -> CommitLogReplayReport {
        try checkRunning()
        let tables = state.withLock { $0.tables }
        var positions: [TableID: CommitLogPosition] = [:]
        for (id, t) in tables { if let p = t.flushedPosition { positions[id] = p } }
        let report = try commitLog.replay(after: positions) { mutation, position in
            for update in mutation.updates {
                guard let t = tables[update.table] else { continue }
                if let flushed = positions[update.table], position <= flushed { continue }
                t.applyToMemtable(update)
            }
        }
        for t in tables.values { t.maybeFlushInBackground() }
        return report
    }

    /// Applies a mutation: commit log first, then the memtables. Returns once the write
    /// may be acknowledged (its entry in the kernel, or fsynced in batch / group mode).
    public func apply(_ mutation: Mutation) throws {
        try waitUntilAcknowledgeable(try applyDeferringAcknowledgement(mutation))
    }

    /// Applies a mutation (commit log first, then the memtables) and returns at once with
    /// what its acknowledgement must wait for: `write(upTo:)` or, when `needsSync`,
    /// `whenDurable` (the server) or `waitUntilAcknowledgeable` (callers that may block).
    /// The write is visible to reads from here on, before it is durable, as a replica's
    /// write is before the coordinator acknowledges it.
    public func applyDeferringAcknowledgement(_ mutation: Mutation) throws -> CommitLogAppend {
        try checkRunning()
        if mutation.updates.count == 1 {
            // The common single-partition write, without the per-table bookkeeping array.
            let u = mutation.updates[0]
            guard let t = table(u.table) else { throw StorageEngineError.unknownTable(u.table.description) }
            t.waitForMemtableSpace()
            try checkRunning()
            let appended = try barrier.shared {
                let a = try appendToCommitLog(mutation)
                t.applyToMemtable(u)
                return a
            }
            t.maybeFlushInBackground()
            return appended
        }
        var stores: [TableStore] = []
        stores.reserveCapacity(mutation.updates.count)
        for u in mutation.updates {
            guard let t = table(u.table) else { throw StorageEngineError.unknownTable(u.table.description) }
            t.waitForMemtableSpace()
            stores.append(t)
        }
        // The engine may have stopped while this writer waited for memtable space.
        try checkRunning()
        let appended = try barrier.shared {
            let a = try appendToCommitLog(mutation)
            for (i, u) in mutation.updates.enumerated() { stores[i].applyToMemtable(u) }
            return a
        }
        for t in stores { t.maybeFlushInBackground() }
        return appended
    }

    /// The single-partition write of `TableStore.apply`: no table lookup, the memtable's
    /// size read from what the last write returned instead of under its lock.
    func apply(_ update: PartitionUpdate, to t: TableStore) throws {
        try checkRunning()
        t.waitForMemtableSpace()
        try checkRunning()
        let mutation = Mutation([update])
        let (appended, bytes) = try barrier.shared {
            let a = try appendToCommitLog(mutation)
            return (a, t.applyToMemtable(update))
        }
        if bytes >= t.options.memtableLimitBytes / 2 { t.maybeFlushInBackground() }
        try waitUntilAcknowledgeable(appended)
    }

    /// An I/O error stops the engine; a mutation over the size limit is the client's
    /// error (nothing was written), and neither a shut-down log nor a segment that could
    /// not be created (a full disk: the write is refused, the log stays sound) is a disk
    /// failure.
    private func appendToCommitLog(_ mutation: Mutation) throws -> CommitLogAppend {
        do {
            return try commitLog.add(mutation)
        } catch let e as CommitLogError {
            switch e {
            case .mutationTooLarge, .shutDown, .invalidOptions, .segmentUnavailable: throw e
            case .failed: fail(e); throw e
            }
        } catch {
            fail(error)
            throw error
        }
    }

    /// Makes sure every commit-log entry up to `position` is in the kernel: what a
    /// periodic-mode write needs before its acknowledgement. One call covers every write
    /// appended before it, so a server answering many writes at once calls it once.
    public func write(upTo position: CommitLogPosition) throws {
        do { try commitLog.write(upTo: position) } catch {
            fail(error)
            throw error
        }
    }

    /// Calls `callback` once an fsync covers `position` (nil) or with the error that
    /// stopped the log; see `CommitLog.whenDurable`. The callback must be short.
    public func whenDurable(_ position: CommitLogPosition, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        commitLog.whenDurable(position) { [weak self] error in
            if let error { self?.fail(error) }
            callback(error)
        }
    }

    /// Blocks until the write that returned `appended` may be acknowledged.
    public func waitUntilAcknowledgeable(_ appended: CommitLogAppend) throws {
        do { try commitLog.waitUntilAcknowledgeable(appended) } catch {
            fail(error)
            throw error
        }
    }

    /// The commit log's current end (everything appended so far lies before it): what a
    /// reply that showed data must wait for, like the write that put it there.
    public var currentCommitLogPosition: CommitLogPosition { commitLog.currentPosition }

    /// Whether a write appended now would need an fsync before its acknowledgement.
    public var acknowledgementNeedsSync: Bool { commitLog.needsSync }

    /// Makes every appended mutation durable now (drain, tests); an error stops the engine.
    public func syncCommitLog() throws {
        try checkRunning()
        do { try commitLog.sync() } catch {
            fail(error)
            throw error
        }
    }

    /// The commit log's current end: everything appended so far lies before it.
    var commitLogPosition: CommitLogPosition { commitLog.currentPosition }

    /// Waits for background work, closes every table and the commit log.
    public func shutdown() throws {
        let tables = state.withLock { s -> [TableStore] in
            s.closed = true
            return Array(s.tables.values)
        }
        running.store(false, ordering: .releasing)
        for t in tables { t.close() }
        // After a disk failure (already reported) still stop the log's sync thread; a
        // failed log refuses to sync again by itself.
        if failure == nil { try commitLog.shutdown() } else { try? commitLog.shutdown() }
    }

    /// Set once a disk failure stopped the engine.
    public var failure: String? { state.withLock { $0.failure } }
    public var isStopped: Bool { failure != nil }

    @inline(__always)
    func checkRunning() throws {
        if running.load(ordering: .acquiring) { return }
        try checkRunningSlow()
    }

    private func checkRunningSlow() throws {
        let (failure, closed) = state.withLock { ($0.failure, $0.closed) }
        if let failure { throw StorageEngineError.stopped(reason: failure) }
        if closed { throw StorageEngineError.closed }
    }

    /// Stops the engine after a disk error; reports only the first one.
    func fail(_ error: any Error) {
        let first = state.withLock { s -> Bool in
            guard s.failure == nil else { return false }
            s.failure = String(describing: error)
            return true
        }
        running.store(false, ordering: .releasing)
        guard first else { return }
        logger.critical("storage engine stopped: \(error)")
        onFailure(error)
    }

    func unregister(_ id: TableID) { state.withLock { _ = $0.tables.removeValue(forKey: id) } }
}
