#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HyadesCore
import Logging
import Synchronization

/// The node's write-ahead log, shared by all tables (Cassandra's CommitLog): every mutation
/// is appended here before it is applied to a memtable, and replayed at startup for
/// whatever the tables had not flushed. Format and rules: docs/formats/commitlog.md.
///
/// Lifecycle: `init` (opens the directory, starts a fresh segment) -> `replay` once, before
/// the first append -> `append` per write -> `discardCompleted` after each memtable flush
/// (with a position taken when the memtable was switched out, so every entry at or before
/// it is in the flushed data), `discardTable` for dropped tables -> `shutdown`.
///
/// Concurrency. Three locks, always taken in this order, none held across an fsync by
/// an appender in periodic mode:
/// - `state` (short): the active segment's in-memory buffer and bookkeeping; `append`
///   copies its entry in and leaves;
/// - `writeLock`: hands buffered bytes to the file in order (write syscalls, batched
///   per 64 KiB or per sync) and serialises segment rollover;
/// - `fsyncLock`: the fsync itself, so a sync never blocks appenders or writes.
/// Waiting for durability (batch / group) goes through `coordinator`.
///
/// Rollover off the request path (periodic and group modes). Writers run on the server's
/// event loops, and closing a full segment means an fsync of up to a whole segment
/// (measured 20-30 ms, with 20-110 ms request stalls at 50k inserts/s) plus creating
/// the next file and fsyncing the directory. So the sync thread keeps a `spare` segment
/// ready (created, header written, directory synced); the writer that fills the active
/// segment swaps the spare in under `state` and leaves the full one `closing` for the
/// sync thread, which writes its last bytes, fsyncs and closes it, then prepares the
/// next spare. Until the close is done nothing of the new segment reaches its file
/// (`writeBufferLocked` finishes the close first), so a segment is still fully durable
/// before anything after it is on disk, and only the newest segment can have a torn
/// tail (docs/formats/commitlog.md). Without a spare (batch mode, or rollovers faster
/// than the sync thread) the writer rolls over itself, as before.
public final class CommitLog: Sendable {
    public let directory: String
    let fileSystem: any FileSystem
    let options: CommitLogOptions
    let logger: Logger

    /// Buffered bytes beyond which the appender hands them to the file right away, so a
    /// crash of the process (not the machine) loses little even between periodic syncs.
    static let writeBatchBytes = 64 << 10

    /// One open segment file. `closed` is guarded by `fsyncLock`: set by rollover after
    /// its final fsync, so a concurrent sync that picked this handle up skips it.
    final class SegmentHandle: @unchecked Sendable {
        let id: Int64
        let path: String
        let file: any WritableFile
        var closed = false

        init(id: Int64, path: String, file: any WritableFile) {
            self.id = id
            self.path = path
            self.file = file
        }
    }

    struct SegmentInfo {
        let path: String
        /// Table -> offset just past its last entry in this segment (unflushed data).
        /// nil: a segment found at startup and not replayed yet (its content is unknown).
        var dirty: [TableID: Int32]?
    }

    /// A full segment handed to the sync thread: its buffered last bytes and its end.
    struct ClosingSegment {
        let handle: SegmentHandle
        let bytes: [UInt8]
        let end: Int
    }

    struct State {
        var active: SegmentHandle
        var activeEnd: Int
        /// The next segment, ready to take over (periodic and group modes).
        var spare: SegmentHandle?
        /// The previous segment until the sync thread has written, fsynced and closed it.
        var closing: ClosingSegment?
        /// Set when the active segment is full and a rollover is under way.
        var sealed = false
        var buffer: [UInt8] = []
        /// Dirty tables of the active segment (merged into `segments` at rollover).
        var activeDirty: [TableID: Int32] = [:]
        /// Every segment still on disk except the active one.
        var segments: [Int64: SegmentInfo] = [:]
        var nextSegmentID: Int64
        var failure: (any Error)?
        var isShutDown = false
    }

    /// Durability bookkeeping for waiting appenders and the sync thread.
    final class Coordinator: @unchecked Sendable {
        let condition = NSCondition()
        var synced = CommitLogPosition.none
        var syncing = false
        var failure: (any Error)?
        var stopping = false
        var threadRunning = false
    }

    let state: Mutex<State>
    let writeLock = Mutex(())
    let fsyncLock = Mutex(())
    let coordinator = Coordinator()
    /// Monotonic time of the last completed sync (ns), for the periodic-mode lag limit.
    let lastSyncNanos = Atomic<Int64>(monotonicNanos())
    /// Segments present when the log was opened, oldest first: what `replay` reads.
    let recoveredSegments: [(id: Int64, path: String)]

    public init(directory: String, fileSystem: any FileSystem, options: CommitLogOptions, logger: Logger) throws {
        let overhead = CommitLogFormat.segmentHeaderBytes + CommitLogFormat.entryOverheadBytes
        guard options.segmentSizeBytes > overhead + 16, options.segmentSizeBytes <= Int(Int32.max) else {
            throw CommitLogError.invalidOptions("segmentSizeBytes \(options.segmentSizeBytes) out of range")
        }
        guard options.maxMutationBytes > 0 else {
            throw CommitLogError.invalidOptions("maxMutationBytes \(options.maxMutationBytes) must be positive")
        }
        var opts = options
        // An entry must always fit in an empty segment.
        opts.maxMutationBytes = min(opts.maxMutationBytes, opts.segmentSizeBytes - overhead)
        self.options = opts
        self.directory = directory
        self.fileSystem = fileSystem
        self.logger = logger

        try fileSystem.createDirectory(directory)
        var found: [(id: Int64, path: String)] = []
        for name in try fileSystem.listDirectory(directory) {
            if let (_, id) = CommitLogFormat.parseSegmentFileName(name) {
                found.append((id, directory + "/" + name))
            } else if name.hasPrefix(CommitLogFormat.fileNamePrefix) && name.hasSuffix(".tmp") {
                // Left by a tail repair interrupted before its rename.
                try? fileSystem.removeFile(directory + "/" + name)
            }
        }
        found.sort { $0.id < $1.id }
        recoveredSegments = found

        // Ids grow across restarts even when every segment was discarded, so positions
        // persisted by tables (flushed-up-to) stay comparable: seed them from the clock.
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let firstID = max((found.last?.id ?? 0) + 1, nowMs)
        let active = try CommitLog.createSegment(id: firstID, directory: directory, fileSystem: fileSystem)
        var st = State(active: active, activeEnd: CommitLogFormat.segmentHeaderBytes, nextSegmentID: firstID + 1)
        st.buffer.reserveCapacity(CommitLog.writeBatchBytes + 4096)
        for s in found { st.segments[s.id] = SegmentInfo(path: s.path, dirty: nil) }
        state = Mutex(st)

        switch opts.sync {
        case .batch: break
        case .periodic(let ms):
            try prepareSpareSegment()
            startSyncThread(intervalMs: ms)
        case .group(let ms):
            try prepareSpareSegment()
            startSyncThread(intervalMs: ms)
        }
    }

    /// Whether rollovers hand full segments to the sync thread (spare segments kept).
    var keepsSpareSegment: Bool {
        if case .batch = options.sync { return false }
        return true
    }

    /// Creates the spare segment if there is none. Under `writeLock`, which serialises
    /// every rollover, so a spare's id is always above the active segment's.
    func prepareSpareSegment() throws {
        try writeLock.withLock { _ in
            let id = try state.withLock { s -> Int64? in
                if let f = s.failure { throw CommitLogError.failed(f) }
                guard s.spare == nil, !s.isShutDown else { return nil }
                defer { s.nextSegmentID += 1 }
                return s.nextSegmentID
            }
            guard let id else { return }
            let spare: SegmentHandle
            do {
                spare = try CommitLog.createSegment(id: id, directory: directory, fileSystem: fileSystem)
            } catch {
                fail(error)
                throw error
            }
            state.withLock { $0.spare = spare }
        }
    }

    static func createSegment(id: Int64, directory: String, fileSystem: any FileSystem) throws -> SegmentHandle {
        let path = directory + "/" + CommitLogFormat.segmentFileName(id: id)
        let file = try fileSystem.createForWriting(path)
        try file.append(CommitLogFormat.encodeSegmentHeader(id: id))
        // The name must be durable before any entry in the segment is reported durable.
        try fileSystem.syncDirectory(directory)
        return SegmentHandle(id: id, path: path, file: file)
    }

    // MARK: Append

    enum AppendOutcome {
        case appended(CommitLogPosition, flush: Bool, handedOver: Bool)
        case rollover(Int64)
    }

    /// Appends; returns when the entry is as durable as the sync mode promises, with the
    /// position just past the entry. Throws `mutationTooLarge` before writing anything,
    /// the I/O error itself if the fsync this call waited for failed, and
    /// `CommitLogError.failed` once the log has failed.
    @discardableResult
    public func append(_ mutation: Mutation) throws -> CommitLogPosition {
        // Serialise and checksum outside every lock.
        var entry: [UInt8] = []
        entry.reserveCapacity(160)
        entry.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0] as [UInt8])
        MutationSerializer.serialize(mutation, into: &entry)
        let length = entry.count - CommitLogFormat.entryHeaderBytes
        guard length <= options.maxMutationBytes else {
            throw CommitLogError.mutationTooLarge(sizeBytes: length, maxBytes: options.maxMutationBytes)
        }
        entry.withUnsafeMutableBytes { e in
            e.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 0, as: UInt32.self)
            let lengthCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: e[0..<4]))
            e.storeBytes(of: lengthCRC.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        let payloadCRC = entry.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[CommitLogFormat.entryHeaderBytes...]))
        }
        CommitLogFormat.appendLE(payloadCRC, &entry)

        let segmentSize = options.segmentSizeBytes
        while true {
            let outcome = try state.withLock { s -> AppendOutcome in
                if let f = s.failure { throw CommitLogError.failed(f) }
                if s.isShutDown { throw CommitLogError.shutDown }
                if s.sealed { return .rollover(s.active.id) }
                var handedOver = false
                if s.activeEnd + entry.count > segmentSize {
                    guard s.closing == nil, let spare = s.spare else {
                        s.sealed = true
                        return .rollover(s.active.id)
                    }
                    Self.handOver(&s, to: spare)
                    handedOver = true
                }
                s.buffer.append(contentsOf: entry)
                s.activeEnd += entry.count
                let end = Int32(s.activeEnd)
                for u in mutation.updates { s.activeDirty[u.table] = end }
                return .appended(CommitLogPosition(segmentID: s.active.id, offset: end),
                                 flush: s.closing == nil && s.buffer.count >= CommitLog.writeBatchBytes,
                                 handedOver: handedOver)
            }
            switch outcome {
            case .rollover(let id):
                try rollover(from: id)
            case .appended(let position, let flush, let handedOver):
                if handedOver {
                    // The sync thread closes the full segment and prepares the next spare.
                    coordinator.condition.lock()
                    coordinator.condition.broadcast()
                    coordinator.condition.unlock()
                }
                // Never wait behind the sync thread's write (or a close it is finishing):
                // the bytes then just stay buffered for the next writer or the thread.
                if flush { _ = try writeLock.withLockIfAvailable { _ in try writeBufferLocked(finishingClose: false) } }
                if case .periodic(let periodMs) = options.sync {
                    // Cassandra's periodic_commitlog_sync_lag_block: when syncs fall behind
                    // by half a period more than promised (a stuck disk), writers wait for
                    // the sync thread instead of piling up unsynced data.
                    let lagNanos = monotonicNanos() - lastSyncNanos.load(ordering: .relaxed)
                    if lagNanos > Int64(periodMs) * 1_500_000 { try waitUntilDurable(position) }
                    return position
                }
                try waitUntilDurable(position)
                return position
            }
        }
    }

    /// The spare becomes the active segment; the full one waits in `closing` for the sync
    /// thread. Under `state`; `s.closing` is nil.
    static func handOver(_ s: inout State, to spare: SegmentHandle) {
        s.closing = ClosingSegment(handle: s.active, bytes: s.buffer, end: s.activeEnd)
        s.segments[s.active.id] = SegmentInfo(path: s.active.path, dirty: s.activeDirty)
        s.activeDirty = [:]
        s.active = spare
        s.spare = nil
        s.activeEnd = CommitLogFormat.segmentHeaderBytes
        s.buffer = []
    }

    /// Writes, fsyncs and closes the segment left in `closing`, if any. Caller holds
    /// `writeLock`. Returns whether there was one.
    @discardableResult
    func finishClosingLocked() throws -> Bool {
        guard let c = try state.withLock({ s -> ClosingSegment? in
            if let f = s.failure { throw CommitLogError.failed(f) }
            return s.closing
        }) else { return false }
        do {
            if !c.bytes.isEmpty { try c.handle.file.append(c.bytes) }
            try fsyncLock.withLock { _ in
                try c.handle.file.sync()
                c.handle.closed = true
                try c.handle.file.close()
            }
        } catch {
            fail(error)
            throw error
        }
        advanceSynced(to: CommitLogPosition(segmentID: c.handle.id, offset: Int32(c.end)))
        state.withLock { $0.closing = nil }
        logger.debug("commit log segment closed", metadata: ["path": "\(c.handle.path)"])
        return true
    }

    /// Hands the buffered bytes to the active file. Caller holds `writeLock`.
    /// Returns the handle written to and the position its bytes now reach.
    /// A segment still closing is finished first, so the active segment's bytes never
    /// reach the disk before it is durable; with `finishingClose` false (a writer on the
    /// request path) nothing is written while one is pending.
    @discardableResult
    func writeBufferLocked(finishingClose: Bool = true) throws -> (SegmentHandle, CommitLogPosition) {
        if finishingClose { try finishClosingLocked() }
        let (bytes, handle, end) = try state.withLock { s -> ([UInt8], SegmentHandle, Int) in
            if let f = s.failure { throw CommitLogError.failed(f) }
            if s.closing != nil { return ([], s.active, s.activeEnd) }
            var taken: [UInt8] = []
            if !s.buffer.isEmpty {
                taken.reserveCapacity(CommitLog.writeBatchBytes + 4096)
                swap(&taken, &s.buffer)
            }
            return (taken, s.active, s.activeEnd)
        }
        if !bytes.isEmpty {
            do {
                try handle.file.append(bytes)
            } catch {
                fail(error)
                throw error
            }
        }
        return (handle, CommitLogPosition(segmentID: handle.id, offset: Int32(end)))
    }

    /// Writes and fsyncs everything appended so far; returns the position now durable.
    @discardableResult
    func performSync() throws -> CommitLogPosition {
        let (handle, target) = try writeLock.withLock { _ in try writeBufferLocked() }
        coordinator.condition.lock()
        let already = coordinator.synced >= target
        coordinator.condition.unlock()
        if already {
            lastSyncNanos.store(monotonicNanos(), ordering: .relaxed)
            return target
        }
        try fsyncLock.withLock { _ in
            // A rollover that closed this segment already fsynced all of it.
            guard !handle.closed else { return }
            do {
                try handle.file.sync()
            } catch {
                fail(error)
                throw error
            }
        }
        lastSyncNanos.store(monotonicNanos(), ordering: .relaxed)
        advanceSynced(to: target)
        return target
    }

    func advanceSynced(to position: CommitLogPosition) {
        coordinator.condition.lock()
        if position > coordinator.synced { coordinator.synced = position }
        coordinator.condition.broadcast()
        coordinator.condition.unlock()
    }

    /// Enters the failed state (first error wins) and wakes every waiter.
    func fail(_ error: any Error) {
        let first = state.withLock { s -> Bool in
            guard s.failure == nil else { return false }
            s.failure = error
            return true
        }
        if first {
            logger.critical("commit log failed; refusing all further writes", metadata: ["error": "\(error)"])
        }
        coordinator.condition.lock()
        if coordinator.failure == nil { coordinator.failure = error }
        coordinator.condition.broadcast()
        coordinator.condition.unlock()
    }

    /// Batch: group commit (one waiter becomes the leader and fsyncs for everyone queued
    /// behind it). Group (and periodic when syncs lag): the sync thread fsyncs; waiters wait.
    func waitUntilDurable(_ position: CommitLogPosition) throws {
        let c = coordinator
        let leads: Bool
        if case .batch = options.sync { leads = true } else { leads = false }
        c.condition.lock()
        defer { c.condition.unlock() }
        while true {
            if c.synced >= position { return }
            if let f = c.failure { throw f }
            if leads && !c.syncing {
                c.syncing = true
                c.condition.unlock()
                // performSync records success or failure in the coordinator itself.
                _ = try? performSync()
                c.condition.lock()
                c.syncing = false
                c.condition.broadcast()
                continue
            }
            c.condition.wait()
        }
    }

    /// Closes the full segment `id` (write, fsync, close) and opens the next one (the
    /// spare if there is one), on the writer's thread: batch mode, or a rollover that
    /// found no spare ready.
    func rollover(from id: Int64) throws {
        try writeLock.withLock { _ in
            try finishClosingLocked()
            let taken = try state.withLock { s -> ([UInt8], SegmentHandle, Int)? in
                if let f = s.failure { throw CommitLogError.failed(f) }
                guard s.active.id == id else { return nil }  // another thread rolled over
                var bytes: [UInt8] = []
                swap(&bytes, &s.buffer)
                return (bytes, s.active, s.activeEnd)
            }
            guard let (bytes, old, end) = taken else { return }
            // The old segment is fully durable before the next one exists, so only the
            // newest segment can ever have a torn tail.
            do {
                if !bytes.isEmpty { try old.file.append(bytes) }
                try fsyncLock.withLock { _ in
                    try old.file.sync()
                    old.closed = true
                    try old.file.close()
                }
            } catch {
                fail(error)
                throw error
            }
            advanceSynced(to: CommitLogPosition(segmentID: id, offset: Int32(end)))
            let next: SegmentHandle
            if let spare = state.withLock({ s -> SegmentHandle? in defer { s.spare = nil }; return s.spare }) {
                next = spare
            } else {
                let newID = state.withLock { s -> Int64 in
                    defer { s.nextSegmentID += 1 }
                    return s.nextSegmentID
                }
                do {
                    next = try CommitLog.createSegment(id: newID, directory: directory, fileSystem: fileSystem)
                } catch {
                    fail(error)
                    throw error
                }
            }
            state.withLock { s in
                s.segments[id] = SegmentInfo(path: old.path, dirty: s.activeDirty)
                s.activeDirty = [:]
                s.active = next
                s.activeEnd = CommitLogFormat.segmentHeaderBytes
                s.sealed = false
                s.buffer.reserveCapacity(CommitLog.writeBatchBytes + 4096)
            }
            logger.debug("commit log segment rolled over", metadata: ["closed": "\(old.path)", "next": "\(next.path)"])
            // Segments emptied by flushes while this one was active can go now.
            deleteCleanSegments()
        }
    }

    // MARK: Sync thread

    /// Between fsyncs the buffered entries are still handed to the OS at this interval, so
    /// a crash of the process alone (not of the machine) loses at most this much.
    static let writeIntervalSeconds = 0.01

    /// Periodic: fsync every `intervalMs`, and write buffered bytes every 10 ms in between.
    /// Group: fsync every `intervalMs` (the window waiters are gathered over).
    func startSyncThread(intervalMs: Int) {
        coordinator.threadRunning = true
        let syncInterval = Double(max(intervalMs, 1)) / 1000
        let tick = min(syncInterval, CommitLog.writeIntervalSeconds)
        let c = coordinator
        // Only the coordinator is held while sleeping, so an abandoned log can deinit.
        let thread = Thread { [weak self] in
            let clock = ContinuousClock()
            var nextSync = clock.now.advanced(by: .seconds(syncInterval))
            while true {
                c.condition.lock()
                if !c.stopping {
                    let untilSync = clock.now.duration(to: nextSync)
                    let seconds = min(tick, max(0, Double(untilSync.components.seconds)
                                                  + Double(untilSync.components.attoseconds) / 1e18))
                    _ = c.condition.wait(until: Date(timeIntervalSinceNow: seconds))
                }
                if c.stopping || c.failure != nil {
                    c.threadRunning = false
                    c.condition.broadcast()
                    c.condition.unlock()
                    return
                }
                c.condition.unlock()
                guard let log = self else { return }
                do {
                    if clock.now >= nextSync {
                        nextSync = clock.now.advanced(by: .seconds(syncInterval))
                        try log.performSync()
                    } else {
                        _ = try log.writeLock.withLock { _ in try log.writeBufferLocked() }
                    }
                    // After a writer handed over a full segment (closed just above):
                    // segments emptied meanwhile can go, and the next spare is made.
                    if log.state.withLock({ $0.spare == nil && !$0.isShutDown }) {
                        log.deleteCleanSegments()
                        try log.prepareSpareSegment()
                    }
                } catch {
                    log.logger.error("commit log sync failed", metadata: ["error": "\(error)"])
                }
            }
        }
        thread.name = "CommitLogSync"
        thread.start()
    }

    deinit {
        // Wake the sync thread so it notices the log is gone.
        coordinator.condition.lock()
        coordinator.stopping = true
        coordinator.condition.broadcast()
        coordinator.condition.unlock()
    }

    // MARK: Public queries and control

    /// The position just past the last appended entry.
    public var currentPosition: CommitLogPosition {
        state.withLock { CommitLogPosition(segmentID: $0.active.id, offset: Int32($0.activeEnd)) }
    }

    /// Paths of every segment still kept (oldest first), the active one last.
    public var activeSegmentPaths: [String] {
        state.withLock { s in
            s.segments.sorted { $0.key < $1.key }.map(\.value.path) + [s.active.path]
        }
    }

    /// Makes everything appended so far durable.
    public func sync() throws {
        if let f = state.withLock({ $0.failure }) { throw CommitLogError.failed(f) }
        try performSync()
    }

    /// Final sync, then stops the sync thread and closes the active segment. Later appends
    /// throw `CommitLogError.shutDown`.
    public func shutdown() throws {
        // Refuse new appends first, so the final sync covers every entry ever accepted
        // (a group-mode writer must not be left waiting for a sync that never comes).
        let first = state.withLock { s -> Bool in
            defer { s.isShutDown = true }
            return !s.isShutDown
        }
        let c = coordinator
        c.condition.lock()
        c.stopping = true
        c.condition.broadcast()
        while c.threadRunning { c.condition.wait() }
        c.condition.unlock()
        let failure = state.withLock { $0.failure }
        var syncError: (any Error)? = failure.map { CommitLogError.failed($0) }
        if failure == nil {
            do { try performSync() } catch { syncError = error }
        }
        if first {
            // Under writeLock: a rollover in flight has finished and installed its segment.
            let (handle, spare) = writeLock.withLock { _ in
                state.withLock { s -> (SegmentHandle, SegmentHandle?) in
                    defer { s.spare = nil }
                    return (s.active, s.spare)
                }
            }
            fsyncLock.withLock { _ in
                if !handle.closed {
                    handle.closed = true
                    try? handle.file.close()
                }
            }
            // The unused spare holds no entry: remove it rather than leave it to replay.
            if let spare {
                try? spare.file.close()
                try? fileSystem.removeFile(spare.path)
                try? fileSystem.syncDirectory(directory)
            }
        }
        if let e = syncError { throw e }
    }

    /// `table` flushed everything up to `position`: forget its data in older segments and
    /// delete every non-active segment no table needs anymore.
    public func discardCompleted(table: TableID, upTo position: CommitLogPosition) {
        state.withLock { s in
            for (id, var info) in s.segments {
                guard var dirty = info.dirty, let end = dirty[table] else { continue }
                if CommitLogPosition(segmentID: id, offset: end) <= position {
                    dirty[table] = nil
                    info.dirty = dirty
                    s.segments[id] = info
                }
            }
            if let end = s.activeDirty[table], CommitLogPosition(segmentID: s.active.id, offset: end) <= position {
                s.activeDirty[table] = nil
            }
        }
        deleteCleanSegments()
    }

    /// The table was dropped (or is unknown, e.g. mutations replayed for a table that no
    /// longer exists): its entries will never be flushed, so they must not pin segments.
    public func discardTable(_ table: TableID) {
        discardCompleted(table: table, upTo: CommitLogPosition(segmentID: Int64.max, offset: Int32.max))
    }

    /// Deletes the non-active segments with no dirty table ("recycling").
    func deleteCleanSegments() {
        let clean = state.withLock { s -> [String] in
            var paths: [String] = []
            // A segment still being closed goes after its close (the sync thread calls again).
            for (id, info) in s.segments where info.dirty?.isEmpty == true && s.closing?.handle.id != id {
                paths.append(info.path)
                s.segments[id] = nil
            }
            return paths
        }
        guard !clean.isEmpty else { return }
        for path in clean {
            do {
                try fileSystem.removeFile(path)
                logger.debug("commit log segment discarded", metadata: ["path": "\(path)"])
            } catch {
                // Harmless: a leftover segment is replayed again, and replay is idempotent.
                logger.warning("could not delete commit log segment", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
        try? fileSystem.syncDirectory(directory)
    }
}

@inline(__always)
func monotonicNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}
