import Foundation
import HyadesCore
import HyadesProtocol
import NIOCore
import NIOPosix

/// One streaming session driven from a plain thread, for SSTables sent WHILE they are
/// written (docs/formats/streaming.md, "Files of unknown size"): INIT announces the
/// component files with `StreamingFormat.unknownSize`, the writer hands over each file's
/// bytes as it produces them, then COMMIT. Nothing is staged on the sender's disk.
///
/// Blocking by design: the SSTable writer runs on its own threads, not in Swift
/// concurrency, and waits on NIO futures here (never on an event loop). At most
/// `maxChunksInFlight` chunks are queued on the connection: the node's pace is the
/// writer's pace, and memory stays bounded.
public final class SSTableUploadSession: @unchecked Sendable {
    public let sessionID: UUID
    public let host: String
    /// The node had committed this session id already (a re-run): nothing is sent, the
    /// calls below return at once.
    public private(set) var alreadyImported = false
    public private(set) var bytesSent: Int64 = 0

    private let channel: (any Channel)?
    private let replies: ReplyQueue
    private let files: [String]
    private var current = 0
    private var offset: UInt64 = 0
    private var crc: UInt32 = 0
    private var inFlight: [EventLoopFuture<Void>] = []
    private var pending: ByteBuffer?
    private var failed: (any Error)?
    private var closed = false
    static let maxChunksInFlight = 8

    /// Connects and sends INIT for `fileNames` (component file names, in the order their
    /// bytes will be sent). Throws the node's refusal as `StreamingSessionError`.
    public init(fileNames: [String], keyspace: String, table: String, to host: String, port: Int, sessionID: UUID,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                connectTimeout: TimeAmount = .seconds(10)) throws {
        self.sessionID = sessionID
        self.host = host
        self.files = fileNames
        let replies = ReplyQueue()
        self.replies = replies
        let channel = try connectStreaming(host: host, port: port, replies: replies, eventLoopGroup: eventLoopGroup,
                                          timeout: connectTimeout)
        self.channel = channel
        let infos = fileNames.map { StreamingFileInfo(name: $0, sizeBytes: StreamingFormat.unknownSize) }
        do {
            try send(.initSession(sessionID: sessionID, keyspace: keyspace, table: table, files: infos))
            switch try reply() {
            case .sessionAccepted: break
            case .alreadyImported:
                alreadyImported = true
                close()
            case let other: throw unexpected(other, "INIT")
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// The next bytes of the current file (copied: the caller may reuse its buffer).
    /// Gathered into CHUNKs of `StreamingFormat.defaultChunkBytes`.
    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        if alreadyImported || bytes.isEmpty { return }
        if let failed { throw failed }
        guard let channel, current < files.count else { throw SSTableStreamerError("append after the last file") }
        crc = CRC32C.update(crc, bytes)
        var at = 0
        while at < bytes.count {
            if pending == nil { pending = channel.allocator.buffer(capacity: StreamingFormat.defaultChunkBytes) }
            let n = min(bytes.count - at, StreamingFormat.defaultChunkBytes - pending!.readableBytes)
            pending!.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + n)]))
            at += n
            if pending!.readableBytes == StreamingFormat.defaultChunkBytes { try sendPending() }
        }
    }

    private func sendPending() throws {
        guard let buffer = pending, buffer.readableBytes > 0 else { return }
        pending = nil
        try queue(.chunk(fileIndex: UInt32(current), offset: offset, data: buffer))
        offset += UInt64(buffer.readableBytes)
        bytesSent += Int64(buffer.readableBytes)
    }

    /// Ends the current file (FILE_END with its CRC32C) and waits for the node's FILE_ACCEPTED.
    public func endFile() throws {
        if alreadyImported { return }
        if let failed { throw failed }
        let index = UInt32(current)
        try sendPending()
        try drain()
        try send(.fileEnd(fileIndex: index, crc32c: crc))
        switch try reply() {
        case .fileAccepted(let i) where i == index: break
        case let other: throw unexpected(other, "FILE_END of \(files[current])")
        }
        current += 1
        offset = 0
        crc = 0
    }

    /// COMMIT after the last file; returns when the node has adopted the session (or
    /// says it already had). Closes the connection.
    public func commit() throws -> StreamSummary {
        defer { close() }
        if alreadyImported {
            return StreamSummary(sessionID: sessionID, alreadyImported: true, files: files.count, bytesSent: 0,
                                 sstablesAdopted: 0, partitionsAdopted: 0, bytesAdopted: 0)
        }
        guard current == files.count else { throw SSTableStreamerError("COMMIT after \(current) of \(files.count) files") }
        try send(.commit)
        switch try reply() {
        case .committed(let sstables, let partitions, let bytes):
            return StreamSummary(sessionID: sessionID, alreadyImported: false, files: files.count, bytesSent: bytesSent,
                                 sstablesAdopted: Int(sstables), partitionsAdopted: Int64(partitions), bytesAdopted: Int64(bytes))
        case .alreadyImported:
            return StreamSummary(sessionID: sessionID, alreadyImported: true, files: files.count, bytesSent: bytesSent,
                                 sstablesAdopted: 0, partitionsAdopted: 0, bytesAdopted: 0)
        case let other: throw unexpected(other, "COMMIT")
        }
    }

    /// STAGE after the last file, instead of COMMIT (`hyades load --atomic`): the node
    /// verifies the session and keeps it staged under `loadID` until ADOPT_LOAD or
    /// ABORT_LOAD (`StagedLoad`). The summary's "adopted" counts are what was staged.
    public func stage(loadID: UUID) throws -> StreamSummary {
        defer { close() }
        if alreadyImported {
            return StreamSummary(sessionID: sessionID, alreadyImported: true, files: files.count, bytesSent: 0,
                                 sstablesAdopted: 0, partitionsAdopted: 0, bytesAdopted: 0)
        }
        guard current == files.count else { throw SSTableStreamerError("STAGE after \(current) of \(files.count) files") }
        try send(.stage(loadID: loadID))
        switch try reply() {
        case .staged(let sstables, let partitions, let bytes):
            return StreamSummary(sessionID: sessionID, alreadyImported: false, files: files.count, bytesSent: bytesSent,
                                 sstablesAdopted: Int(sstables), partitionsAdopted: Int64(partitions), bytesAdopted: Int64(bytes))
        case let other: throw unexpected(other, "STAGE")
        }
    }

    /// Drops the connection: a session not committed is discarded by the node.
    public func close() {
        if closed { return }
        closed = true
        if let channel { try? channel.close().wait() }
    }

    // MARK: internals

    private func queue(_ m: StreamingMessage) throws {
        guard let channel else { return }
        inFlight.append(channel.writeAndFlush(m))
        if inFlight.count > Self.maxChunksInFlight {
            let oldest = inFlight.removeFirst()
            try wait(oldest)
        }
    }

    private func drain() throws {
        let pending = inFlight
        inFlight = []
        for f in pending { try wait(f) }
    }

    private func send(_ m: StreamingMessage) throws {
        guard let channel else { return }
        try wait(channel.writeAndFlush(m))
    }

    /// A write fails when the node closed the connection: its ERROR, sent just before,
    /// is the real reason.
    private func wait(_ f: EventLoopFuture<Void>) throws {
        do { try f.wait() } catch {
            let reason: any Error
            if case .error(let code, let message)? = try? replies.next(timeout: .seconds(1)) {
                reason = StreamingSessionError(code: code, message: message)
            } else {
                reason = error
            }
            failed = reason
            throw reason
        }
    }

    private func reply() throws -> StreamingMessage {
        guard let m = try replies.next(timeout: nil) else {
            throw StreamingSessionError(code: .nodeError, message: "the node closed the connection without an answer")
        }
        return m
    }

    private func unexpected(_ m: StreamingMessage, _ after: String) -> any Error {
        if case .error(let code, let message) = m { return StreamingSessionError(code: code, message: message) }
        return SSTableStreamerError("unexpected reply \(SSTableStreamer.describe(m)) to \(after)")
    }
}

/// Replies from the node, handed from the event loop to the session's thread.
final class ReplyQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var messages: [StreamingMessage] = []
    private var ended = false
    private var failure: (any Error)?

    func push(_ m: StreamingMessage) {
        condition.withLock {
            messages.append(m)
            condition.broadcast()
        }
    }

    func end(_ error: (any Error)?) {
        condition.withLock {
            ended = true
            if failure == nil { failure = error }
            condition.broadcast()
        }
    }

    /// The next reply; nil when the connection ended without one (or on timeout).
    func next(timeout: TimeAmount?) throws -> StreamingMessage? {
        let deadline = timeout.map { Date(timeIntervalSinceNow: Double($0.nanoseconds) / 1e9) }
        return try condition.withLock { () throws -> StreamingMessage? in
            while messages.isEmpty && !ended {
                if let deadline {
                    if !condition.wait(until: deadline) { return nil }
                } else {
                    condition.wait()
                }
            }
            if !messages.isEmpty { return messages.removeFirst() }
            if let failure { throw failure }
            return nil
        }
    }
}

final class ReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = StreamingMessage
    let replies: ReplyQueue
    init(_ replies: ReplyQueue) { self.replies = replies }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        replies.push(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        replies.end(nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        replies.end(error)
        context.close(promise: nil)
    }
}

/// The end of an atomic load (`hyades load --atomic`) on one node: ADOPT_LOAD or
/// ABORT_LOAD on a connection of its own (docs/formats/streaming.md, "Atomic loads").
public enum StagedLoad {
    public enum Outcome: Hashable, Sendable {
        case committed(sstables: Int, partitions: Int64, bytes: Int64)
        /// The node had adopted this load id before (a re-run).
        case alreadyImported
    }

    /// Adopts every session staged under `loadID` in one step; throws the node's refusal.
    public static func adopt(loadID: UUID, keyspace: String, table: String, host: String, port: Int) throws -> Outcome {
        switch try request(.adoptLoad(loadID: loadID, keyspace: keyspace, table: table), host: host, port: port) {
        case .committed(let sstables, let partitions, let bytes):
            return .committed(sstables: Int(sstables), partitions: Int64(partitions), bytes: Int64(bytes))
        case .alreadyImported: return .alreadyImported
        case .error(let code, let message): throw StreamingSessionError(code: code, message: message)
        case let other: throw SSTableStreamerError("unexpected reply \(SSTableStreamer.describe(other)) to ADOPT_LOAD")
        }
    }

    /// Discards every session staged under `loadID`.
    public static func abort(loadID: UUID, keyspace: String, table: String, host: String, port: Int) throws {
        switch try request(.abortLoad(loadID: loadID, keyspace: keyspace, table: table), host: host, port: port) {
        case .loadAborted: return
        case .error(let code, let message): throw StreamingSessionError(code: code, message: message)
        case let other: throw SSTableStreamerError("unexpected reply \(SSTableStreamer.describe(other)) to ABORT_LOAD")
        }
    }

    /// One message, one reply, on a connection of its own (blocking: the loader's threads).
    static func request(_ message: StreamingMessage, host: String, port: Int,
                        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws -> StreamingMessage {
        let replies = ReplyQueue()
        let channel = try connectStreaming(host: host, port: port, replies: replies, eventLoopGroup: eventLoopGroup,
                                          timeout: .seconds(10))
        defer { try? channel.close().wait() }
        try channel.writeAndFlush(message).wait()
        guard let reply = try replies.next(timeout: nil) else {
            throw StreamingSessionError(code: .nodeError, message: "the node closed the connection without an answer")
        }
        return reply
    }
}

/// A streaming connection to a node's storage_port whose replies go to `replies`
/// (blocking: the loader's threads).
func connectStreaming(host: String, port: Int, replies: ReplyQueue, eventLoopGroup: any EventLoopGroup,
                    timeout: TimeAmount) throws -> any Channel {
    do {
        return try ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(StreamingFrameDecoder(maxFrameBytes: 64 << 10)))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(StreamingFrameEncoder()))
                    try channel.pipeline.syncOperations.addHandler(ReplyHandler(replies))
                }
            }
            .connect(host: host, port: port).wait()
    } catch {
        throw SSTableStreamerError("cannot connect to \(host):\(port) (the node's storage_port): \(error)")
    }
}
