import Foundation
import HyadesCore
import HyadesProtocol
import HyadesService
import HyadesStorage
import NIOCore
import NIOPosix
import Synchronization

/// A refusal the node answers with ERROR and then closes the connection.
struct StreamingRefusal: Error, CustomStringConvertible {
    var code: StreamingErrorCode
    var message: String
    init(_ code: StreamingErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
    var description: String { message }
}

/// Session ids being received right now, node-wide: a second connection with the same id
/// is told "busy" instead of racing the first into one staging directory.
final class ActiveStreamingSessions: Sendable {
    private let ids = Mutex<Set<UUID>>([])
    let limit: Int
    init(limit: Int) { self.limit = limit }

    func claim(_ id: UUID) throws {
        try ids.withLock { s in
            if s.contains(id) { throw StreamingRefusal(.busy, "session \(id) is already being received on another connection") }
            if s.count >= limit { throw StreamingRefusal(.busy, "\(limit) streaming sessions in progress; retry later") }
            s.insert(id)
        }
    }

    func release(_ id: UUID) { _ = ids.withLock { $0.remove(id) } }
}

/// The node's side of one streaming session (docs/formats/streaming.md): files into
/// `<table dir>/staging/<session id>/`, checked and fsynced one by one, adopted on COMMIT
/// through `TableStore.importSSTables`. Used by one task at a time; `discard()` removes
/// whatever is staged (always called when the connection ends).
final class StreamingReceiver {
    let schema: SchemaManager
    let configuration: StreamingServerConfiguration
    let pool: NIOThreadPool
    let active: ActiveStreamingSessions
    let connections: StreamingConnections?
    let channel: (any Channel)?
    var fileSystem: any FileSystem { schema.engine.fileSystem }

    private struct Session {
        var id: UUID
        var target: SSTableImportTarget
        var directory: String
        var files: [StreamingFileInfo]
        /// Files fully received (FILE_ACCEPTED sent); the next one is `files[completed]`.
        var completed = 0
        var current: (any WritableFile)?
        var received: UInt64 = 0
        var crc: UInt32 = 0
        /// Bytes of all files so far: files of unknown size (streamed while written)
        /// are held to the session limit as they arrive.
        var sessionBytes: UInt64 = 0
    }
    private var session: Session?
    private(set) var finished = false

    init(schema: SchemaManager, configuration: StreamingServerConfiguration, pool: NIOThreadPool, active: ActiveStreamingSessions,
         connections: StreamingConnections? = nil, channel: (any Channel)? = nil) {
        self.connections = connections
        self.channel = channel
        self.schema = schema
        self.configuration = configuration
        self.pool = pool
        self.active = active
    }

    /// Handles one message; returns the reply to send, if any. After a reply that ends the
    /// session `finished` is true and the connection is closed.
    func receive(_ message: StreamingMessage) async throws -> StreamingMessage? {
        switch message {
        case .initSession(let id, let keyspace, let table, let files):
            return try await start(id: id, keyspace: keyspace, table: table, files: files)
        case .chunk(let index, let offset, let data):
            try chunk(index: index, offset: offset, data: data)
            return nil
        case .fileEnd(let index, let crc):
            return try await fileEnd(index: index, crc: crc)
        case .commit:
            return try await commit()
        case .stage(let loadID):
            return try await stage(loadID: loadID)
        case .adoptLoad(let loadID, let keyspace, let table):
            return try await adoptLoad(loadID, keyspace: keyspace, table: table)
        case .abortLoad(let loadID, let keyspace, let table):
            return try abortLoad(loadID, keyspace: keyspace, table: table)
        case .describeTable(let keyspace, let table):
            guard session == nil else { throw StreamingRefusal(.protocolViolation, "DESCRIBE_TABLE inside a session") }
            guard let target = schema.importTarget(keyspace: keyspace, table: table) else {
                throw StreamingRefusal(.unknownTable, "unconfigured table \(keyspace).\(table)")
            }
            return .tableSchema(Self.describe(target.metadata))
        case .sessionAccepted, .fileAccepted, .committed, .alreadyImported, .error, .tableSchema, .staged, .loadAborted:
            throw StreamingRefusal(.protocolViolation, "a node-to-client message was sent to the node")
        }
    }

    private func start(id: UUID, keyspace: String, table: String, files: [StreamingFileInfo]) async throws -> StreamingMessage {
        guard session == nil else { throw StreamingRefusal(.protocolViolation, "INIT sent twice on one connection") }
        guard let target = schema.importTarget(keyspace: keyspace, table: table) else {
            throw StreamingRefusal(.unknownTable, "unconfigured table \(keyspace).\(table)")
        }
        if target.store.hasImported(sessionID: id) {
            finished = true
            return .alreadyImported
        }
        guard !files.isEmpty else { throw StreamingRefusal(.protocolViolation, "INIT announces no files") }
        var names = Set<String>()
        var total: UInt64 = 0
        for f in files {
            guard !f.name.contains("/"), f.name != ".", f.name != "..", SSTableFormat.parseFileName(f.name) != nil else {
                throw StreamingRefusal(.protocolViolation, "'\(f.name)' is not an SSTable component name (hy-<generation>-<Component>)")
            }
            guard names.insert(f.name).inserted else { throw StreamingRefusal(.protocolViolation, "\(f.name) announced twice") }
            if f.sizeBytes == StreamingFormat.unknownSize { continue }
            guard f.sizeBytes <= configuration.maxSessionBytes else {
                throw StreamingRefusal(.tooLarge, "\(f.name) is \(f.sizeBytes) bytes; the limit is \(configuration.maxSessionBytes) (streaming_max_session_size)")
            }
            total += f.sizeBytes
        }
        guard total <= configuration.maxSessionBytes else {
            throw StreamingRefusal(.tooLarge, "the session is \(total) bytes; the limit is \(configuration.maxSessionBytes) (streaming_max_session_size)")
        }
        try active.claim(id)
        let directory = target.stagingDirectory + "/" + id.uuidString.lowercased()
        // A directory of this id can only be the leftover of a dropped connection.
        try? FileManager.default.removeItem(atPath: directory)
        session = Session(id: id, target: target, directory: directory, files: files)
        do { try fileSystem.createDirectory(directory) } catch {
            throw StreamingRefusal(.nodeError, "cannot create the staging directory \(directory): \(error)")
        }
        return .sessionAccepted
    }

    private func chunk(index: UInt32, offset: UInt64, data: ByteBuffer) throws {
        guard var s = session else { throw StreamingRefusal(.protocolViolation, "CHUNK before INIT") }
        guard Int(index) == s.completed, s.completed < s.files.count else {
            throw StreamingRefusal(.protocolViolation, "CHUNK for file \(index) while file \(s.completed) is expected")
        }
        let file = s.files[s.completed]
        guard offset == s.received else {
            throw StreamingRefusal(.protocolViolation, "CHUNK of \(file.name) at offset \(offset); \(s.received) bytes received so far")
        }
        guard s.received + UInt64(data.readableBytes) <= file.sizeBytes else {
            throw StreamingRefusal(.tooLarge, "\(file.name) exceeds the \(file.sizeBytes) bytes announced at INIT")
        }
        guard s.sessionBytes + UInt64(data.readableBytes) <= configuration.maxSessionBytes else {
            throw StreamingRefusal(.tooLarge, "the session exceeds \(configuration.maxSessionBytes) bytes (streaming_max_session_size)")
        }
        do {
            if s.current == nil { s.current = try fileSystem.createForWriting(s.directory + "/" + file.name) }
            try data.withUnsafeReadableBytes { raw in
                s.crc = CRC32C.update(s.crc, raw)
                try s.current!.append(raw)
            }
        } catch {
            session = s
            throw StreamingRefusal(.nodeError, "writing \(file.name): \(error)")
        }
        // Every MiB, the disk starts on what came so far: COMMIT's fsync then waits for
        // the last MiB and a journal commit, not for the whole file (a 10 MiB Data.db's
        // fsync was most of the 10-17 ms a loader waits for its last COMMIT).
        if (s.received + UInt64(data.readableBytes)) >> 20 != s.received >> 20 { s.current?.startWriteBack() }
        s.received += UInt64(data.readableBytes)
        s.sessionBytes += UInt64(data.readableBytes)
        session = s
    }

    private func fileEnd(index: UInt32, crc: UInt32) async throws -> StreamingMessage {
        guard var s = session else { throw StreamingRefusal(.protocolViolation, "FILE_END before INIT") }
        guard Int(index) == s.completed, s.completed < s.files.count else {
            throw StreamingRefusal(.protocolViolation, "FILE_END for file \(index) while file \(s.completed) is expected")
        }
        let file = s.files[s.completed]
        guard s.received == file.sizeBytes || file.sizeBytes == StreamingFormat.unknownSize else {
            throw StreamingRefusal(.protocolViolation, "FILE_END of \(file.name) after \(s.received) of \(file.sizeBytes) bytes")
        }
        guard s.crc == crc else {
            throw StreamingRefusal(.checksumMismatch,
                                   "\(file.name): CRC32C of the received bytes is 0x\(String(s.crc, radix: 16)), the sender's is 0x\(String(crc, radix: 16))")
        }
        let fs = fileSystem
        let path = s.directory + "/" + file.name
        let current = s.current
        s.current = nil
        session = s
        // Closed, not synced: a staged file outlives no connection (staging is discarded
        // when the connection ends), and COMMIT's import fsyncs every file it adopts, once.
        do {
            let f = try current ?? fs.createForWriting(path)
            f.startWriteBack()
            try f.close()
        } catch {
            throw StreamingRefusal(.nodeError, "closing \(file.name) failed: \(error)")
        }
        s.completed += 1
        s.received = 0
        s.crc = 0
        session = s
        return .fileAccepted(fileIndex: index)
    }

    private func commit() async throws -> StreamingMessage {
        guard let s = session else { throw StreamingRefusal(.protocolViolation, "COMMIT before INIT") }
        guard s.completed == s.files.count else {
            throw StreamingRefusal(.protocolViolation, "COMMIT after \(s.completed) of \(s.files.count) files")
        }
        finished = true
        if let connections, let channel, !connections.beginCommit(channel) {
            throw StreamingRefusal(.nodeError, "the node is shutting down; nothing was adopted (retry the session)")
        }
        let target = s.target
        let directory = s.directory
        let id = s.id
        let extended = configuration.importExtendedVerify
        let result: SSTableImportResult
        do {
            result = try await pool.runIfActive {
                try target.store.importSSTables(from: directory, sessionID: id, expectedSchema: target.schema,
                                                extendedVerify: extended)
            }
        } catch let e as SSTableImportError {
            throw StreamingRefusal(.rejected, e.description)
        } catch {
            throw StreamingRefusal(.nodeError, "import into \(target.keyspace).\(target.table) failed: \(error)")
        }
        if result.alreadyImported { return .alreadyImported }
        return .committed(sstables: UInt32(result.generations.count), partitions: UInt64(max(0, result.partitionCount)),
                          bytes: UInt64(max(0, result.onDiskBytes)))
    }

    // MARK: atomic loads (`hyades load --atomic`)

    /// `<table dir>/staging/load-<load id>`: the sessions staged for one atomic load, each in
    /// a directory named by its session id. Outlives connections, not the node: a node
    /// removes its staging directories when it starts.
    static func loadDirectory(_ target: SSTableImportTarget, _ loadID: UUID) -> String {
        target.stagingDirectory + "/load-" + loadID.uuidString.lowercased()
    }

    /// STAGE: verifies the session's SSTables as COMMIT would, then moves them under the
    /// load's directory instead of adopting them.
    private func stage(loadID: UUID) async throws -> StreamingMessage {
        guard let s = session else { throw StreamingRefusal(.protocolViolation, "STAGE before INIT") }
        guard s.completed == s.files.count else {
            throw StreamingRefusal(.protocolViolation, "STAGE after \(s.completed) of \(s.files.count) files")
        }
        finished = true
        if let connections, let channel, !connections.beginCommit(channel) {
            throw StreamingRefusal(.nodeError, "the node is shutting down; nothing was staged")
        }
        let target = s.target
        let extended = configuration.importExtendedVerify
        let result: SSTableImportResult
        do {
            result = try await pool.runIfActive {
                try target.store.checkStaged(directory: s.directory, expectedSchema: target.schema, extendedVerify: extended)
            }
        } catch let e as SSTableImportError {
            throw StreamingRefusal(.rejected, e.description)
        } catch {
            throw StreamingRefusal(.nodeError, "checking the staged SSTables of \(target.keyspace).\(target.table) failed: \(error)")
        }
        let load = Self.loadDirectory(target, loadID)
        let to = load + "/" + s.id.uuidString.lowercased()
        do {
            try FileManager.default.createDirectory(atPath: load, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: to)
            try FileManager.default.moveItem(atPath: s.directory, toPath: to)
        } catch {
            throw StreamingRefusal(.nodeError, "cannot keep the staged session in \(load): \(error)")
        }
        return .staged(sstables: UInt32(result.generations.count), partitions: UInt64(max(0, result.partitionCount)),
                       bytes: UInt64(max(0, result.onDiskBytes)))
    }

    /// ADOPT_LOAD: every session staged under the load, adopted in one MANIFEST edit that
    /// records the load id; the staged files are removed whatever the outcome.
    private func adoptLoad(_ loadID: UUID, keyspace: String, table: String) async throws -> StreamingMessage {
        guard session == nil else { throw StreamingRefusal(.protocolViolation, "ADOPT_LOAD inside a session") }
        finished = true
        guard let target = schema.importTarget(keyspace: keyspace, table: table) else {
            throw StreamingRefusal(.unknownTable, "unconfigured table \(keyspace).\(table)")
        }
        if let connections, let channel, !connections.beginCommit(channel) {
            throw StreamingRefusal(.nodeError, "the node is shutting down; nothing was adopted")
        }
        try active.claim(loadID)
        defer { active.release(loadID) }
        let load = Self.loadDirectory(target, loadID)
        defer { try? FileManager.default.removeItem(atPath: load) }
        if target.store.hasImported(sessionID: loadID) { return .alreadyImported }
        let sessions = ((try? FileManager.default.contentsOfDirectory(atPath: load)) ?? []).sorted().map { load + "/" + $0 }
        guard !sessions.isEmpty else {
            throw StreamingRefusal(.nodeError, "nothing is staged for load \(loadID) in \(keyspace).\(table) (was the node restarted since?)")
        }
        let extended = configuration.importExtendedVerify
        let result: SSTableImportResult
        do {
            result = try await pool.runIfActive {
                try target.store.importSSTables(fromDirectories: sessions, sessionID: loadID, expectedSchema: target.schema,
                                                extendedVerify: extended)
            }
        } catch let e as SSTableImportError {
            throw StreamingRefusal(.rejected, e.description)
        } catch {
            throw StreamingRefusal(.nodeError, "adopting load \(loadID) into \(keyspace).\(table) failed: \(error)")
        }
        if result.alreadyImported { return .alreadyImported }
        return .committed(sstables: UInt32(result.generations.count), partitions: UInt64(max(0, result.partitionCount)),
                          bytes: UInt64(max(0, result.onDiskBytes)))
    }

    /// ABORT_LOAD: removes whatever is staged under the load.
    private func abortLoad(_ loadID: UUID, keyspace: String, table: String) throws -> StreamingMessage {
        guard session == nil else { throw StreamingRefusal(.protocolViolation, "ABORT_LOAD inside a session") }
        finished = true
        guard let target = schema.importTarget(keyspace: keyspace, table: table) else {
            throw StreamingRefusal(.unknownTable, "unconfigured table \(keyspace).\(table)")
        }
        try? FileManager.default.removeItem(atPath: Self.loadDirectory(target, loadID))
        return .loadAborted
    }

    /// The table's columns with their storage ids, key columns first in key order.
    static func describe(_ t: TableMetadata) -> StreamingTableSchema {
        var columns: [StreamingTableSchema.Column] = []
        for c in t.partitionKeyColumns { columns.append(.init(id: c.id, name: c.name, type: c.type.cqlName, kind: .partitionKey)) }
        for c in t.clusteringColumns {
            columns.append(.init(id: c.id, name: c.name, type: c.type.cqlName, kind: .clustering, descending: c.isDescending))
        }
        for c in t.columns where !c.kind.isPrimaryKey {
            columns.append(.init(id: c.id, name: c.name, type: c.type.cqlName, kind: c.isStatic ? .static : .regular))
        }
        return StreamingTableSchema(keyspace: t.keyspace, table: t.name, columns: columns)
    }

    /// Removes the staging directory (after COMMIT it holds nothing any more; otherwise the
    /// files of an unfinished or refused session) and releases the session id.
    func discard() {
        guard let s = session else { return }
        try? s.current?.close()
        try? FileManager.default.removeItem(atPath: s.directory)
        active.release(s.id)
        session = nil
    }
}
