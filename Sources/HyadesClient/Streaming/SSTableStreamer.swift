#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HyadesCore
import HyadesProtocol
import NIOCore
import NIOPosix

/// What a streaming session achieved.
public struct StreamSummary: Hashable, Sendable {
    public var sessionID: UUID
    /// The node had already committed this session id: nothing was sent or adopted again
    /// (a re-run of an interrupted load).
    public var alreadyImported: Bool
    public var files: Int
    /// File bytes sent over the wire (0 when already imported).
    public var bytesSent: Int64
    /// As the node reported on COMMIT (0 when already imported).
    public var sstablesAdopted: Int
    public var partitionsAdopted: Int64
    public var bytesAdopted: Int64

    public init(sessionID: UUID, alreadyImported: Bool, files: Int, bytesSent: Int64, sstablesAdopted: Int,
                partitionsAdopted: Int64, bytesAdopted: Int64) {
        self.sessionID = sessionID
        self.alreadyImported = alreadyImported
        self.files = files
        self.bytesSent = bytesSent
        self.sstablesAdopted = sstablesAdopted
        self.partitionsAdopted = partitionsAdopted
        self.bytesAdopted = bytesAdopted
    }
}

public struct SSTableStreamOptions: Sendable {
    /// File bytes per CHUNK frame; must stay below the node's frame limit (2 MiB by default).
    public var chunkBytes = StreamingFormat.defaultChunkBytes
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Largest reply frame accepted from the node.
    public var maxReplyFrameBytes = 64 << 10

    public init() {}
}

/// A problem on the sending side, before or while talking to the node (a missing file,
/// a file that changed while it was sent, an unexpected reply).
public struct SSTableStreamerError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Sends finished SSTables to the node that owns their ranges, which adopts them whole
/// (Cassandra's sstableloader; protocol: docs/formats/streaming.md). One call is one
/// session on one connection: every file, then COMMIT; the node adopts all files of the
/// session in one MANIFEST edit or none.
///
/// Re-running with the same `sessionID` after an interruption is safe: a session the node
/// already committed is answered "already imported" and not adopted twice. Choose session
/// ids deterministically per (load, node, file set), e.g. a name-based UUID.
public struct SSTableStreamer: Sendable {
    /// Streams `files` (paths of SSTable component files, `hy-<gen>-<Component>`, all
    /// components of every SSTable) to `host:port` (the node's `storage_port`) for
    /// `keyspace.table`. Throws `StreamingSessionError` when the node refuses (its code and
    /// reason), `SSTableStreamerError` for local problems, or the connection's error.
    public static func stream(files: [String], keyspace: String, table: String, to host: String, port: Int,
                              sessionID: UUID,
                              eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                              options: SSTableStreamOptions = SSTableStreamOptions()) async throws -> StreamSummary {
        let infos = try describe(files)
        guard options.chunkBytes > 0, options.chunkBytes + 64 <= StreamingFormat.defaultMaxFrameBytes else {
            throw SSTableStreamerError("chunkBytes must be 1 ... \(StreamingFormat.defaultMaxFrameBytes - 64)")
        }
        let channel = try await connect(host: host, port: port, eventLoopGroup: eventLoopGroup, options: options)
        return try await channel.executeThenClose { inbound, outbound in
            var session = Session(replies: inbound.makeAsyncIterator())
            try await session.send(.initSession(sessionID: sessionID, keyspace: keyspace, table: table, files: infos), outbound)
            switch try await session.reply() {
            case .sessionAccepted: break
            case .alreadyImported:
                return StreamSummary(sessionID: sessionID, alreadyImported: true, files: files.count, bytesSent: 0,
                                     sstablesAdopted: 0, partitionsAdopted: 0, bytesAdopted: 0)
            case let other: throw unexpected(other, "INIT")
            }
            var sent: Int64 = 0
            for (i, path) in files.enumerated() {
                let crc = try await sendFile(path, index: UInt32(i), size: infos[i].sizeBytes, chunkBytes: options.chunkBytes,
                                             session: &session, outbound: outbound)
                sent += Int64(infos[i].sizeBytes)
                try await session.send(.fileEnd(fileIndex: UInt32(i), crc32c: crc), outbound)
                switch try await session.reply() {
                case .fileAccepted(let index) where index == UInt32(i): break
                case let other: throw unexpected(other, "FILE_END of \(path)")
                }
            }
            try await session.send(.commit, outbound)
            switch try await session.reply() {
            case .committed(let sstables, let partitions, let bytes):
                return StreamSummary(sessionID: sessionID, alreadyImported: false, files: files.count, bytesSent: sent,
                                     sstablesAdopted: Int(sstables), partitionsAdopted: Int64(partitions),
                                     bytesAdopted: Int64(bytes))
            case .alreadyImported:
                return StreamSummary(sessionID: sessionID, alreadyImported: true, files: files.count, bytesSent: sent,
                                     sstablesAdopted: 0, partitionsAdopted: 0, bytesAdopted: 0)
            case let other: throw unexpected(other, "COMMIT")
            }
        }
    }

    /// The columns of `keyspace.table` on the node, with the storage column ids its
    /// SSTables must use (not visible through CQL): build the SSTables' schema header and
    /// cells from this before writing them.
    public static func tableSchema(keyspace: String, table: String, at host: String, port: Int,
                                   eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                                   options: SSTableStreamOptions = SSTableStreamOptions()) async throws -> StreamingTableSchema {
        let channel = try await connect(host: host, port: port, eventLoopGroup: eventLoopGroup, options: options)
        return try await channel.executeThenClose { inbound, outbound in
            var session = Session(replies: inbound.makeAsyncIterator())
            try await session.send(.describeTable(keyspace: keyspace, table: table), outbound)
            switch try await session.reply() {
            case .tableSchema(let schema): return schema
            case let other: throw unexpected(other, "DESCRIBE_TABLE")
            }
        }
    }

    /// The SSTable component files (`hy-*`, not `.tmp`) directly in `directory`, sorted:
    /// what to pass as `files` to stream a directory the way `nodetool import` takes one.
    public static func sstableFiles(in directory: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw SSTableStreamerError("cannot list \(directory): \(error.localizedDescription)")
        }
        return names.filter { $0.hasPrefix("hy-") && $0.hasSuffix(".db") }.sorted().map { directory + "/" + $0 }
    }

    // MARK: internals

    static func connect(host: String, port: Int, eventLoopGroup: any EventLoopGroup,
                        options: SSTableStreamOptions) async throws -> NIOAsyncChannel<StreamingMessage, StreamingMessage> {
        let maxReply = options.maxReplyFrameBytes
        do {
            return try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(options.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(StreamingFrameDecoder(maxFrameBytes: maxReply)))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(StreamingFrameEncoder()))
                        return try NIOAsyncChannel<StreamingMessage, StreamingMessage>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SSTableStreamerError("cannot connect to \(host):\(port) (the node's storage_port): \(error)")
        }
    }

    static func describe(_ files: [String]) throws -> [StreamingFileInfo] {
        guard !files.isEmpty else { throw SSTableStreamerError("no files to stream") }
        guard files.count <= StreamingFormat.maxFilesPerSession else {
            throw SSTableStreamerError("\(files.count) files in one session (at most \(StreamingFormat.maxFilesPerSession)): split the load")
        }
        var seen = Set<String>()
        return try files.map { path in
            let name = (path as NSString).lastPathComponent
            guard !name.isEmpty, name.utf8.count <= StreamingFormat.maxFileNameBytes else {
                throw SSTableStreamerError("\(path): file name empty or longer than \(StreamingFormat.maxFileNameBytes) bytes")
            }
            guard seen.insert(name).inserted else {
                throw SSTableStreamerError("\(name) appears twice in one session (file names must be unique)")
            }
            let attributes: [FileAttributeKey: Any]
            do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
                throw SSTableStreamerError("cannot read \(path): \(error.localizedDescription)")
            }
            guard attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? NSNumber else {
                throw SSTableStreamerError("\(path) is not a regular file")
            }
            return StreamingFileInfo(name: name, sizeBytes: size.uint64Value)
        }
    }

    /// Sends one file's chunks; returns its CRC32C.
    private static func sendFile(_ path: String, index: UInt32, size: UInt64, chunkBytes: Int, session: inout Session,
                                 outbound: NIOAsyncChannelOutboundWriter<StreamingMessage>) async throws -> UInt32 {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw SSTableStreamerError("cannot open \(path)") }
        defer { try? handle.close() }
        var offset: UInt64 = 0
        var crc: UInt32 = 0
        let allocator = ByteBufferAllocator()
        let fd = handle.fileDescriptor
        while offset < size {
            let want = Int(min(UInt64(chunkBytes), size - offset))
            // Straight from the file into the frame's buffer: no intermediate Data.
            var buffer = allocator.buffer(capacity: want)
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw -> Int in
                var n = 0
                while n < want {
                    let r = read(fd, raw.baseAddress! + n, want - n)
                    if r < 0 {
                        if errno == EINTR { continue }
                        throw SSTableStreamerError("reading \(path): \(String(cString: strerror(errno)))")
                    }
                    if r == 0 { break }
                    n += r
                }
                return n
            }
            guard got == want else {
                throw SSTableStreamerError("\(path) changed while it was sent (short read at offset \(offset))")
            }
            buffer.withUnsafeReadableBytes { crc = CRC32C.update(crc, $0) }
            try await session.send(.chunk(fileIndex: index, offset: offset, data: buffer), outbound)
            offset += UInt64(want)
        }
        if (try? handle.read(upToCount: 1))??.isEmpty == false {
            throw SSTableStreamerError("\(path) grew while it was sent (announced \(size) bytes)")
        }
        return crc
    }

    private static func unexpected(_ m: StreamingMessage, _ after: String) -> any Error {
        if case .error(let code, let message) = m { return StreamingSessionError(code: code, message: message) }
        return SSTableStreamerError("unexpected reply \(describe(m)) to \(after)")
    }

    static func describe(_ m: StreamingMessage) -> String {
        switch m {
        case .initSession: return "INIT"
        case .chunk: return "CHUNK"
        case .fileEnd: return "FILE_END"
        case .commit: return "COMMIT"
        case .sessionAccepted: return "SESSION_ACCEPTED"
        case .fileAccepted(let i): return "FILE_ACCEPTED(\(i))"
        case .committed: return "COMMITTED"
        case .alreadyImported: return "ALREADY_IMPORTED"
        case .error(let code, let message): return "ERROR(\(code): \(message))"
        case .describeTable: return "DESCRIBE_TABLE"
        case .tableSchema: return "TABLE_SCHEMA"
        case .stage: return "STAGE"
        case .adoptLoad: return "ADOPT_LOAD"
        case .abortLoad: return "ABORT_LOAD"
        case .staged: return "STAGED"
        case .loadAborted: return "LOAD_ABORTED"
        }
    }

    /// The reply side of one connection. When a write fails because the node closed the
    /// connection, its ERROR (sent just before closing) is the real reason: read it.
    struct Session {
        var replies: NIOAsyncChannelInboundStream<StreamingMessage>.AsyncIterator

        mutating func send(_ m: StreamingMessage, _ outbound: NIOAsyncChannelOutboundWriter<StreamingMessage>) async throws {
            do { try await outbound.write(m) } catch {
                if let reason = try? await replies.next(), case .error(let code, let message) = reason {
                    throw StreamingSessionError(code: code, message: message)
                }
                throw error
            }
        }

        mutating func reply() async throws -> StreamingMessage {
            guard let m = try await replies.next() else {
                throw StreamingSessionError(code: .nodeError, message: "the node closed the connection without an answer")
            }
            return m
        }
    }
}
