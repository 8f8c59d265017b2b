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
/// the first append -> `add` (or the blocking `append`) per write -> `discardCompleted`
/// after each memtable flush (with a position taken when the memtable was switched out, so
/// every entry at or before it is in the flushed data), `discardTable` for dropped tables
/// -> `shutdown`.
///
/// Acknowledging a write. Before a write is acknowledged its bytes must be in the kernel
/// (periodic mode: a process crash then loses nothing acknowledged) or fsynced
/// (`whenDurable`, batch and group modes; `waitUntilDurable` for callers that may block).
/// Segments are memory-mapped where the file system allows (PosixWritableFile.reserve):
/// `add` copies the entry into the mapping under `state`, and it is in the kernel at once.
/// Otherwise `add` buffers it and `write(upTo:)` hands it over, leader-style: whoever holds
/// `writeLock` writes everything buffered so far, so concurrent writers share one write
/// syscall, and a server answering a batch of requests calls it once for the batch.
/// Durability waits hold no thread: the sync thread runs the callbacks after its fsync.
///
/// Concurrency. `writeLock` before `fsyncLock`; `state` and the coordinator's condition
/// are taken briefly, under either or none, and never held while waiting for another lock:
/// - `state` (short): the buffer and bookkeeping; `add` copies its entry in and leaves;
/// - `writeLock`: hands buffered bytes to the files in order, and serialises rollovers;
/// - `fsyncLock`: an fsync and a segment's close, so a sync never blocks writes.
/// The sync thread (every mode) fsyncs, closes full segments and prepares spares.
///
/// Rollover off the request path. Closing a full segment means an fsync of up to a whole
/// segment (20-30 ms measured). So the sync thread keeps a `spare` segment ready (created,
/// its space reserved, header written, directory synced); the writer that fills the active
/// segment swaps the spare in under `state` and leaves the full one `closing`. Writers go
/// on writing into the new segment at once, while the sync thread fsyncs and closes the
/// full one. Rule (replay's torn tails rely on it): segment N is fsynced whole before any
/// byte of segment N+2 is written, so only the two newest segments can have torn tails; a
/// hand-over therefore needs the previous close finished, and without it (or without a
/// spare) the writer rolls over itself. A full disk shows up when a segment is created
/// (its whole size is reserved then), never in a write into a segment: the write needing
/// the new segment throws `segmentUnavailable` before anything is acknowledged.
public final class CommitLog: Sendable {
    public let directory: String
    let fileSystem: any FileSystem
    let options: CommitLogOptions
    let logger: Logger

    /// Benchmarks only (HYADES_ACK_UNWRITTEN=1): entries wait in the user-space buffer
    /// and `write(upTo:)` does nothing, so periodic-mode writes are acknowledged before
    /// their bytes reach the kernel, as before issue 10 item 11, to measure what writing
    /// first costs. Loses acknowledged writes when the process dies: never in use.
    static let acknowledgeUnwritten = ProcessInfo.processInfo.environment["HYADES_ACK_UNWRITTEN"] == "1"

    /// Buffered bytes beyond which `add` hands them to the file itself (when nobody else
    /// is writing), so large bursts do not pile up in memory.
    static let writeBatchBytes = 64 << 10

    /// One open segment file. `closed` is guarded by `fsyncLock`: set after the segment's
    /// final fsync, so a concurrent sync that picked this handle up skips it.
    final class SegmentHandle: @unchecked Sendable {
        let id: Int64
        let path: String
        let file: any WritableFile
        /// Appends are copies into a mapping: `add` writes its entry itself, under `state`.
        let appendsAreCopies: Bool
        var closed = false

        init(id: Int64, path: String, file: any WritableFile) {
            self.id = id
            self.path = path
            self.file = file
            // (HYADES_ACK_UNWRITTEN=1 keeps the old buffered path, for the A/B.)
            self.appendsAreCopies = file.appendsAreCopies && !CommitLog.acknowledgeUnwritten
        }
    }

    struct SegmentInfo {
        let path: String
        /// Table -> offset just past its last entry in this segment (unflushed data).
        /// nil: a segment found at startup and not replayed yet (its content is unknown).
        var dirty: [TableID: Int32]?
    }

    /// A full segment, until the sync thread has fsynced and closed it.
    struct ClosingSegment {
        let handle: SegmentHandle
        /// Its last bytes not handed to the file yet (the next `writeBufferLocked` does).
        var pending: [UInt8]
        /// Offset up to which its bytes are in the kernel.
        var written: Int
        let end: Int
    }

    struct State {
        var active: SegmentHandle
        var activeEnd: Int
        /// Offset up to which the active segment's bytes are in the kernel.
        var activeWritten: Int
        /// The next segment, ready to take over.
        var spare: SegmentHandle?
        var closing: ClosingSegment?
        /// Set when the active segment is full and no hand-over was possible: writers roll
        /// over themselves (and, on a full disk, fail until a segment can be created).
        var sealed = false
        var buffer: [UInt8] = []
        /// An empty buffer with its capacity, swapped in when `buffer` is taken for writing
        /// (one write per request batch: allocating 64 KiB each time would cost more).
        var spareBuffer: [UInt8] = []
        /// Dirty tables of the active segment (merged into `segments` at rollover).
        var activeDirty: [TableID: Int32] = [:]
        /// Every segment still on disk except the active one.
        var segments: [Int64: SegmentInfo] = [:]
        var nextSegmentID: Int64
        var failure: (any Error)?
        var isShutDown = false

        /// Whether the entry ending at `p` is in the kernel.
        func isWritten(_ p: CommitLogPosition) -> Bool {
            if p.segmentID == active.id { return Int(p.offset) <= activeWritten }
            if let c = closing, c.handle.id == p.segmentID { return Int(p.offset) <= c.written }
            // Older segments were written whole before the next one took over.
            return p.segmentID < active.id
        }
    }

    typealias DurabilityCallback = @Sendable ((any Error)?) -> Void

    /// Durability bookkeeping shared by waiters and the sync thread.
    final class Coordinator: @unchecked Sendable {
        let condition = NSCondition()
        var synced = CommitLogPosition.none
        var failure: (any Error)?
        var stopping = false
        var threadRunning = false
        /// Callbacks for positions not synced yet (`whenDurable`).
        var waiters: [(position: CommitLogPosition, callback: DurabilityCallback)] = []
        /// Threads blocked in `waitUntilDurable`.
        var blockedWaiters = 0
        /// A hand-over happened: a segment to close and a spare to prepare.
        var housekeeping = false
        /// Whether the sync thread may be asleep with nobody waiting and must be woken when
        /// a waiter arrives. Under `condition`.
        var idle: Bool { waiters.isEmpty && blockedWaiters == 0 }
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
        let active = try CommitLog.createSegment(id: firstID, directory: directory, fileSystem: fileSystem,
                                                 sizeBytes: opts.segmentSizeBytes)
        var st = State(active: active, activeEnd: CommitLogFormat.segmentHeaderBytes,
                       activeWritten: CommitLogFormat.segmentHeaderBytes, nextSegmentID: firstID + 1)
        st.buffer.reserveCapacity(CommitLog.writeBatchBytes + 4096)
        for s in found { st.segments[s.id] = SegmentInfo(path: s.path, dirty: nil) }
        state = Mutex(st)

        // No spare (a full disk) is not fatal here: the first rollover needs one, and the
        // sync thread keeps trying to make it.
        try? prepareSpareSegment()
        startSyncThread()
    }

    /// Creates the spare segment if there is none, outside every lock (a directory fsync
    /// takes milliseconds; writers go on meanwhile). A failure (a full disk) leaves the
    /// log as it was: the rollover that needs a segment tries itself. Segments must take
    /// over in id order, so a spare overtaken by a rollover that made its own segment
    /// meanwhile is removed.
    func prepareSpareSegment() throws {
        let id = try state.withLock { s -> Int64? in
            if let f = s.failure { throw CommitLogError.failed(f) }
            guard s.spare == nil, !s.isShutDown else { return nil }
            defer { s.nextSegmentID += 1 }
            return s.nextSegmentID
        }
        guard let id else { return }
        let spare = try CommitLog.createSegment(id: id, directory: directory, fileSystem: fileSystem,
                                                sizeBytes: options.segmentSizeBytes)
        let kept = state.withLock { s -> Bool in
            guard s.spare == nil, !s.isShutDown, s.failure == nil, spare.id > s.active.id else { return false }
            s.spare = spare
            return true
        }
        if !kept {
            try? spare.file.close()
            try? fileSystem.removeFile(spare.path)
        }
    }

    /// Creates a segment with its whole size reserved on disk (so no write into it can
    /// meet a full disk), its header written and its name durable. On failure nothing is
    /// left behind.
    static func createSegment(id: Int64, directory: String, fileSystem: any FileSystem, sizeBytes: Int) throws -> SegmentHandle {
        let path = directory + "/" + CommitLogFormat.segmentFileName(id: id)
        let file = try fileSystem.createForWriting(path)
        do {
            try file.reserve(Int64(sizeBytes))
            try file.append(CommitLogFormat.encodeSegmentHeader(id: id))
            // The name must be durable before any entry in the segment is reported durable.
            try fileSystem.syncDirectory(directory)
        } catch {
            try? file.close()
            try? fileSystem.removeFile(path)
            throw error
        }
        return SegmentHandle(id: id, path: path, file: file)
    }

    // MARK: Append

    enum AppendOutcome {
        case appended(CommitLogPosition, flush: Bool, handedOver: Bool)
        case rollover(Int64)
        case failed(any Error)
    }

    /// Appends the entry to the buffer and returns its position and what the write needs
    /// before it may be acknowledged (`CommitLogAppend.needsSync`). Throws
    /// `mutationTooLarge` before writing anything, `segmentUnavailable` when a new segment
    /// was needed and could not be created (full disk), and `CommitLogError.failed` once
    /// the log has failed.
    public func add(_ mutation: Mutation) throws -> CommitLogAppend {
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
                    guard s.closing == nil, let spare = s.spare, spare.id > s.active.id else {
                        s.sealed = true
                        return .rollover(s.active.id)
                    }
                    Self.handOver(&s, to: spare)
                    handedOver = true
                }
                if s.active.appendsAreCopies && s.buffer.isEmpty {
                    // A mapped segment: the copy is the write (no syscall), so the entry is
                    // in the kernel at once and nobody needs to write it later.
                    do { try s.active.file.append(entry) } catch { return .failed(error) }
                    s.activeEnd += entry.count
                    s.activeWritten = s.activeEnd
                } else {
                    s.buffer.append(contentsOf: entry)
                    s.activeEnd += entry.count
                }
                let end = Int32(s.activeEnd)
                for u in mutation.updates { s.activeDirty[u.table] = end }
                return .appended(CommitLogPosition(segmentID: s.active.id, offset: end),
                                 flush: s.buffer.count >= CommitLog.writeBatchBytes, handedOver: handedOver)
            }
            switch outcome {
            case .failed(let error):
                fail(error)
                throw error
            case .rollover(let id):
                try rollover(from: id)
            case .appended(let position, let flush, let handedOver):
                if handedOver {
                    // The sync thread closes the full segment and prepares the next spare.
                    coordinator.condition.lock()
                    coordinator.housekeeping = true
                    coordinator.condition.broadcast()
                    coordinator.condition.unlock()
                }
                // Never wait behind another writer here: its write may cover these bytes.
                if flush { _ = try writeLock.withLockIfAvailable { _ in try writeBufferLocked() } }
                return CommitLogAppend(position: position, needsSync: needsSync)
            }
        }
    }

    /// Whether a write must wait for an fsync before its acknowledgement.
    var needsSync: Bool {
        guard case .periodic(let periodMs) = options.sync else { return true }
        // Cassandra's periodic_commitlog_sync_lag_block: when syncs fall behind by half a
        // period more than promised (a stuck disk), writers wait for the sync thread
        // instead of piling up unsynced data.
        let lagNanos = monotonicNanos() - lastSyncNanos.load(ordering: .relaxed)
        return lagNanos > Int64(periodMs) * 1_500_000
    }

    /// Appends and returns once the entry is as durable as the sync mode promises (in the
    /// kernel for periodic mode, fsynced for batch and group), with its position. For
    /// callers that may block a thread (tools, tests); the server uses `add` + `whenDurable`.
    @discardableResult
    public func append(_ mutation: Mutation) throws -> CommitLogPosition {
        let a = try add(mutation)
        try waitUntilAcknowledgeable(a)
        return a.position
    }

    /// Blocks until `a`'s write may be acknowledged: written, or fsynced if it needs a sync.
    public func waitUntilAcknowledgeable(_ a: CommitLogAppend) throws {
        try write(upTo: a.position)
        if a.needsSync { try waitUntilDurable(a.position) }
    }

    /// The spare becomes the active segment; the full one waits in `closing` for the sync
    /// thread. Under `state`; `s.closing` is nil.
    static func handOver(_ s: inout State, to spare: SegmentHandle) {
        s.closing = ClosingSegment(handle: s.active, pending: s.buffer, written: s.activeWritten, end: s.activeEnd)
        s.segments[s.active.id] = SegmentInfo(path: s.active.path, dirty: s.activeDirty)
        s.activeDirty = [:]
        s.active = spare
        s.spare = nil
        s.activeEnd = CommitLogFormat.segmentHeaderBytes
        s.activeWritten = CommitLogFormat.segmentHeaderBytes
        s.buffer = []
        s.buffer.reserveCapacity(CommitLog.writeBatchBytes + 4096)
    }

    /// Makes sure every entry up to `position` is in the kernel (written, not synced): the
    /// promise of periodic mode before an acknowledgement. One writer writes everything
    /// buffered; the others find their bytes written when they get the lock.
    public func write(upTo position: CommitLogPosition) throws {
        if CommitLog.acknowledgeUnwritten { return }
        func written() throws -> Bool {
            try state.withLock { s in
                if s.isWritten(position) { return true }
                if let f = s.failure { throw CommitLogError.failed(f) }
                return false
            }
        }
        if try written() { return }
        try writeLock.withLock { _ in
            if try written() { return }
            try writeBufferLocked()
        }
    }

    /// Hands every buffered byte to its file: the closing segment's last bytes first, then
    /// the active segment's. Caller holds `writeLock`.
    func writeBufferLocked() throws {
        typealias Taken = (handle: SegmentHandle, bytes: [UInt8], end: Int)
        let (closing, active) = try state.withLock { s -> (Taken?, Taken?) in
            if let f = s.failure { throw CommitLogError.failed(f) }
            var c: Taken? = nil
            if var cl = s.closing, !cl.pending.isEmpty {
                c = (cl.handle, cl.pending, cl.end)
                cl.pending = []
                s.closing = cl
            }
            var a: Taken? = nil
            if !s.buffer.isEmpty {
                var taken: [UInt8] = []
                swap(&taken, &s.spareBuffer)
                if taken.capacity == 0 { taken.reserveCapacity(CommitLog.writeBatchBytes + 4096) }
                swap(&taken, &s.buffer)
                a = (s.active, taken, s.activeEnd)
            }
            return (c, a)
        }
        for t in [closing, active] {
            guard var t else { continue }
            do {
                try t.handle.file.append(t.bytes)
            } catch {
                fail(error)
                throw error
            }
            t.bytes.removeAll(keepingCapacity: true)
            let emptied = t.bytes
            state.withLock { s in
                if s.active === t.handle {
                    s.activeWritten = max(s.activeWritten, t.end)
                } else if s.closing?.handle === t.handle {
                    s.closing!.written = max(s.closing!.written, t.end)
                }
                if s.spareBuffer.capacity < emptied.capacity && emptied.capacity <= 4 * CommitLog.writeBatchBytes {
                    s.spareBuffer = emptied
                }
            }
        }
    }

    /// Writes, fsyncs and closes the segment left in `closing`, if any, without holding
    /// `writeLock` across the fsync (writers go on writing into the next segment).
    func finishClosing() throws {
        guard let c = try state.withLock({ s -> ClosingSegment? in
            if let f = s.failure { throw CommitLogError.failed(f) }
            return s.closing
        }) else { return }
        if c.written < c.end || !c.pending.isEmpty { try writeLock.withLock { _ in try writeBufferLocked() } }
        try closeSegment(c.handle, end: c.end)
        state.withLock { s in if s.closing?.handle === c.handle { s.closing = nil } }
        logger.debug("commit log segment closed", metadata: ["path": "\(c.handle.path)"])
    }

    /// The final fsync and close of a full segment whose bytes are all written.
    func closeSegment(_ handle: SegmentHandle, end: Int) throws {
        try fsyncLock.withLock { _ in
            guard !handle.closed else { return }
            do {
                try handle.file.sync()
                handle.closed = true
                try handle.file.close()
            } catch {
                fail(error)
                throw error
            }
        }
        advanceSynced(to: CommitLogPosition(segmentID: handle.id, offset: Int32(end)))
    }

    /// Writes and fsyncs everything appended so far; returns the position now durable.
    @discardableResult
    func performSync() throws -> CommitLogPosition {
        while true {
            // A segment still closing is durable before anything after it is reported so.
            try finishClosing()
            let taken = try writeLock.withLock { _ -> (SegmentHandle, CommitLogPosition)? in
                try writeBufferLocked()
                return state.withLock { s in
                    s.closing != nil ? nil : (s.active, CommitLogPosition(segmentID: s.active.id, offset: Int32(s.activeWritten)))
                }
            }
            // A hand-over just happened: close that segment first.
            guard let (handle, target) = taken else { continue }
            coordinator.condition.lock()
            let already = coordinator.synced >= target
            coordinator.condition.unlock()
            if !already {
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
                advanceSynced(to: target)
            }
            lastSyncNanos.store(monotonicNanos(), ordering: .relaxed)
            return target
        }
    }

    /// Records a completed sync and runs the callbacks it satisfies (outside the lock).
    func advanceSynced(to position: CommitLogPosition) {
        let c = coordinator
        c.condition.lock()
        if position > c.synced { c.synced = position }
        var ready: [DurabilityCallback] = []
        if !c.waiters.isEmpty {
            let synced = c.synced
            var kept: [(position: CommitLogPosition, callback: DurabilityCallback)] = []
            for w in c.waiters {
                if w.position <= synced { ready.append(w.callback) } else { kept.append(w) }
            }
            c.waiters = kept
        }
        c.condition.broadcast()
        c.condition.unlock()
        for callback in ready { callback(nil) }
    }

    /// Enters the failed state (first error wins) and fails every waiter.
    func fail(_ error: any Error) {
        let first = state.withLock { s -> Bool in
            guard s.failure == nil else { return false }
            s.failure = error
            return true
        }
        if first {
            logger.critical("commit log failed; refusing all further writes", metadata: ["error": "\(error)"])
        }
        let c = coordinator
        c.condition.lock()
        if c.failure == nil { c.failure = error }
        let failure = c.failure!
        let waiters = c.waiters
        c.waiters = []
        c.condition.broadcast()
        c.condition.unlock()
        for w in waiters { w.callback(failure) }
    }

    /// Calls `callback` once an fsync covers `position` (nil), or with the error that
    /// stopped the log. Holds no thread meanwhile: the sync thread runs the callback right
    /// after its fsync (or the caller, at once, when the position is already durable), so
    /// the callback must be short (hand the answer to an event loop).
    public func whenDurable(_ position: CommitLogPosition, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        let c = coordinator
        c.condition.lock()
        if c.synced >= position {
            c.condition.unlock()
            callback(nil)
            return
        }
        if let f = c.failure {
            c.condition.unlock()
            callback(f)
            return
        }
        let wake = c.idle
        c.waiters.append((position, callback))
        // The sync thread sleeps while nobody waits (batch, group).
        if wake { c.condition.broadcast() }
        c.condition.unlock()
    }

    /// Blocks until an fsync covers `position`; throws the error that stopped the log.
    public func waitUntilDurable(_ position: CommitLogPosition) throws {
        let c = coordinator
        c.condition.lock()
        defer { c.condition.unlock() }
        if c.synced >= position { return }
        c.blockedWaiters += 1
        defer { c.blockedWaiters -= 1 }
        c.condition.broadcast()
        while c.synced < position {
            if let f = c.failure { throw f }
            if !c.threadRunning {
                // No sync thread (stopped): sync here.
                c.condition.unlock()
                defer { c.condition.lock() }
                _ = try performSync()
                continue
            }
            c.condition.wait()
        }
    }

    /// Rolls over on the writer's thread: the active segment `id` is full and no hand-over
    /// was possible (no spare ready, or the previous close not finished). The next segment
    /// comes first, so on a full disk this write fails and the full segment stays active
    /// (sealed): later writes try again. Then everything is written, the previous closing
    /// segment and the full one are fsynced and closed, and the next segment takes over.
    func rollover(from id: Int64) throws {
        try writeLock.withLock { _ in
            let current = try state.withLock { s -> Bool in
                if let f = s.failure { throw CommitLogError.failed(f) }
                return s.active.id == id && s.sealed
            }
            guard current else { return }  // another thread rolled over
            let next: SegmentHandle
            if let spare = state.withLock({ s -> SegmentHandle? in defer { s.spare = nil }; return s.spare }) {
                next = spare
            } else {
                let newID = state.withLock { s -> Int64 in
                    defer { s.nextSegmentID += 1 }
                    return s.nextSegmentID
                }
                do {
                    next = try CommitLog.createSegment(id: newID, directory: directory, fileSystem: fileSystem,
                                                       sizeBytes: options.segmentSizeBytes)
                } catch {
                    logger.error("commit log: cannot create a segment; writes are refused until one can be",
                                 metadata: ["error": "\(error)"])
                    throw CommitLogError.segmentUnavailable(error)
                }
            }
            try writeBufferLocked()
            if let c = state.withLock({ $0.closing }) {
                try closeSegment(c.handle, end: c.end)
                state.withLock { $0.closing = nil }
            }
            let (old, end) = state.withLock { ($0.active, $0.activeEnd) }
            try closeSegment(old, end: end)
            let overtaken = state.withLock { s -> SegmentHandle? in
                // A spare made meanwhile with a lower id must not take over after `next`.
                var overtaken: SegmentHandle? = nil
                if let spare = s.spare, spare.id < next.id {
                    overtaken = spare
                    s.spare = nil
                }
                s.segments[id] = SegmentInfo(path: old.path, dirty: s.activeDirty)
                s.activeDirty = [:]
                s.active = next
                s.activeEnd = CommitLogFormat.segmentHeaderBytes
                s.activeWritten = CommitLogFormat.segmentHeaderBytes
                s.sealed = false
                return overtaken
            }
            if let overtaken {
                try? overtaken.file.close()
                try? fileSystem.removeFile(overtaken.path)
            }
            logger.debug("commit log segment rolled over", metadata: ["closed": "\(old.path)", "next": "\(next.path)"])
            // Segments emptied by flushes while this one was active can go now.
            deleteCleanSegments()
        }
        coordinator.condition.lock()
        coordinator.housekeeping = true
        coordinator.condition.broadcast()
        coordinator.condition.unlock()
    }

    // MARK: Sync thread

    /// The sync thread's longest sleep: buffered bytes nobody wrote yet are written at
    /// least this often, and a spare that could not be made is retried.
    static let tickNanos: Int64 = 10_000_000
    /// Pause before retrying a spare segment that could not be created (a full disk).
    static let spareRetryNanos: Int64 = 250_000_000

    /// Periodic: fsync every period. Batch and group: fsync as soon as anybody waits, and
    /// again at once for everybody who arrived during that fsync (group commit: every
    /// writer waiting when an fsync starts shares it, and nobody waits longer than the
    /// fsync in flight plus its own; a group window is an upper bound this meets whenever
    /// an fsync takes less than half of it). Cassandra's group mode instead fsyncs once per
    /// window, which caps C closed-loop writers at C per window (64 writers at 15 ms:
    /// 4,267 writes/s) while fsyncs here take ~0.2 ms; waits hold no thread, so nothing is
    /// gained by delaying the fsync to gather more (measured: gathering bursts, 5-20%
    /// slower than batch at 64 writers; docs/benchmarks.md). Every mode: close full
    /// segments and prepare spares after hand-overs.
    func startSyncThread() {
        coordinator.threadRunning = true
        let c = coordinator
        let mode = options.sync
        // Only the coordinator is held while sleeping, so an abandoned log can deinit.
        let thread = Thread { [weak self] in
            var nextPeriodicSync: Int64 = monotonicNanos()
            if case .periodic(let ms) = mode { nextPeriodicSync += Int64(max(ms, 1)) * 1_000_000 }
            var nextTick = monotonicNanos() + CommitLog.tickNanos
            var spareRetryAt: Int64 = 0
            var spareFailing = false
            while true {
                var due = false
                var housekeeping = false
                c.condition.lock()
                while true {
                    if c.stopping || c.failure != nil {
                        c.threadRunning = false
                        c.condition.broadcast()
                        c.condition.unlock()
                        return
                    }
                    let now = monotonicNanos()
                    let waiting = !c.waiters.isEmpty || c.blockedWaiters > 0
                    var deadline = nextTick
                    switch mode {
                    case .periodic:
                        if now >= nextPeriodicSync { due = true } else { deadline = min(deadline, nextPeriodicSync) }
                    case .batch, .group:
                        due = waiting
                    }
                    housekeeping = c.housekeeping
                    if due || housekeeping || now >= nextTick { break }
                    _ = c.condition.wait(until: Date(timeIntervalSinceNow: Double(deadline - now) / 1e9))
                }
                c.housekeeping = false
                c.condition.unlock()
                guard let log = self else { return }
                let now = monotonicNanos()
                if now >= nextTick { nextTick = now + CommitLog.tickNanos }
                do {
                    if due {
                        if case .periodic(let ms) = mode { nextPeriodicSync = now + Int64(max(ms, 1)) * 1_000_000 }
                        try log.performSync()
                    } else {
                        try log.finishClosing()
                        try log.writeLock.withLock { _ in try log.writeBufferLocked() }
                    }
                } catch {
                    log.logger.error("commit log sync failed", metadata: ["error": "\(error)"])
                }
                // After a hand-over: segments emptied meanwhile can go, the next spare is made.
                if log.state.withLock({ $0.spare == nil && !$0.isShutDown && $0.failure == nil }) && now >= spareRetryAt {
                    log.deleteCleanSegments()
                    do {
                        try log.prepareSpareSegment()
                        if spareFailing { log.logger.info("commit log: spare segment created again") }
                        spareFailing = false
                    } catch {
                        if !spareFailing {
                            log.logger.error("commit log: cannot create a spare segment (retrying)", metadata: ["error": "\(error)"])
                        }
                        spareFailing = true
                        spareRetryAt = now + CommitLog.spareRetryNanos
                    }
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
