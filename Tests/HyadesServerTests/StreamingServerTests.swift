import Foundation
import HyadesClient
import HyadesCore
import HyadesProtocol
import HyadesServer
import NIOCore
import NIOPosix
import Testing

/// The node's streaming listener against a client that misbehaves on purpose: every
/// refusal is an ERROR with a reason, and nothing stays staged or gets adopted.
@Suite struct StreamingServerTests {
    /// A connection that writes raw frames (so tests can garble them) and reads replies.
    struct RawClient {
        var replies: NIOAsyncChannelInboundStream<StreamingMessage>.AsyncIterator
        let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>

        /// Runs `body` on a new connection, closed when it returns.
        static func with<R: Sendable>(_ address: SocketAddress, _ body: (inout RawClient) async throws -> R) async throws -> R {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: address) { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(StreamingFrameDecoder()))
                    return try NIOAsyncChannel<StreamingMessage, ByteBuffer>(wrappingChannelSynchronously: ch)
                }
            }
            return try await channel.executeThenClose { inbound, outbound in
                var c = RawClient(replies: inbound.makeAsyncIterator(), writer: outbound)
                return try await body(&c)
            }
        }

        func send(_ m: StreamingMessage) async throws {
            var b = ByteBuffer()
            StreamingFrameEncoder.write(m, into: &b)
            try await writer.write(b)
        }

        func sendRaw(_ bytes: [UInt8]) async throws { try await writer.write(ByteBuffer(bytes: bytes)) }

        mutating func next() async throws -> StreamingMessage? { try await replies.next() }
    }

    final class Fixture: @unchecked Sendable {
        let node: RunningNode
        let streaming: StreamingServer
        let address: SocketAddress

        init(maxSessionBytes: UInt64 = 64 << 30) async throws {
            node = try await RunningNode()
            let c = try await node.client()
            _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
            _ = try await c.query("CREATE TABLE ks.t (k bigint PRIMARY KEY, v text)")
            await c.close()
            var configuration = StreamingServerConfiguration()
            configuration.maxSessionBytes = maxSessionBytes
            streaming = StreamingServer(schema: node.node.schema, host: "127.0.0.1", port: 0, configuration: configuration)
            address = try await streaming.start()
        }

        var stagingDirectory: String { node.node.schema.importTarget(keyspace: "ks", table: "t")!.stagingDirectory }

        func staged(_ id: UUID) -> Bool { FileManager.default.fileExists(atPath: stagingDirectory + "/" + id.uuidString.lowercased()) }

        func stop() async throws {
            await streaming.stop()
            try await node.stop()
            node.remove()
        }
    }

    static func initSession(_ id: UUID, table: String = "t", files: [StreamingFileInfo]) -> StreamingMessage {
        .initSession(sessionID: id, keyspace: "ks", table: table, files: files)
    }

    static func expectError(_ reply: StreamingMessage?, _ code: StreamingErrorCode, _ text: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .error(let c, let message)? = reply else {
            Issue.record("expected ERROR \(code), got \(String(describing: reply))", sourceLocation: sourceLocation)
            return
        }
        #expect(c == code, sourceLocation: sourceLocation)
        #expect(message.contains(text), "\(message)", sourceLocation: sourceLocation)
    }

    /// What `SSTableStreamer` users (the loader, `hyades sstable import`) see.
    @Test func theStreamerReportsLocalProblemsAndTheNodesReason() async throws {
        let f = try await Fixture(maxSessionBytes: 1 << 20)
        let port = f.address.port!
        let missing = await #expect(throws: SSTableStreamerError.self) {
            try await SSTableStreamer.stream(files: ["/nonexistent/hy-1-Data.db"], keyspace: "ks", table: "t", to: "127.0.0.1",
                                             port: port, sessionID: UUID())
        }
        #expect(missing?.message.contains("cannot read /nonexistent/hy-1-Data.db") == true, "\(String(describing: missing))")
        let dir0 = f.node.directory + "/one"
        try FileManager.default.createDirectory(atPath: dir0, withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: dir0 + "/hy-1-Data.db"))
        let refused = await #expect(throws: SSTableStreamerError.self) {
            // Port 1 on loopback: nothing listens there.
            try await SSTableStreamer.stream(files: [dir0 + "/hy-1-Data.db"], keyspace: "ks", table: "t", to: "127.0.0.1",
                                             port: 1, sessionID: UUID())
        }
        #expect(refused?.message.contains("cannot connect to 127.0.0.1:1 (the node's storage_port)") == true)
        let dir = f.node.directory + "/out"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: dir + "/hy-1-Data.db"))
        let big = await #expect(throws: StreamingSessionError.self) {
            try await SSTableStreamer.stream(files: [dir + "/hy-1-Data.db"], keyspace: "ks", table: "t", to: "127.0.0.1",
                                             port: port, sessionID: UUID())
        }
        #expect(big?.code == .tooLarge)
        // Not SSTables at all: every file arrives, then the node's verification refuses them.
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: dir + "/hy-1-Data.db"))
        let junk = await #expect(throws: StreamingSessionError.self) {
            try await SSTableStreamer.stream(files: [dir + "/hy-1-Data.db"], keyspace: "ks", table: "t", to: "127.0.0.1",
                                             port: port, sessionID: UUID())
        }
        #expect(junk?.code == .rejected)
        #expect(junk?.message.contains("incomplete: missing Index.db") == true, "\(String(describing: junk))")
        try await f.stop()
    }

    @Test func theSessionLimitIsConfigurable() throws {
        #expect(try ServerConfig.parse(yaml: "streaming_max_session_size: 2GiB").streamingMaxSessionSizeBytes == 2 << 30)
        #expect(try ServerConfig.parse(yaml: "streaming_max_session_size_in_mb: 512").streamingMaxSessionSizeBytes == 512 << 20)
        #expect(ServerConfig().streamingMaxSessionSizeBytes == 64 << 30)
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "streaming_max_session_size: lots") }
    }

    @Test func refusalsAtInitNameTheProblem() async throws {
        let f = try await Fixture(maxSessionBytes: 1 << 20)
        let cases: [(StreamingMessage, StreamingErrorCode, String)] = [
            (Self.initSession(UUID(), table: "nope", files: [.init(name: "hy-1-Data.db", sizeBytes: 1)]), .unknownTable, "unconfigured table ks.nope"),
            (Self.initSession(UUID(), files: [.init(name: "hy-1-Data.db", sizeBytes: 2 << 20)]), .tooLarge, "the limit is 1048576"),
            (Self.initSession(UUID(), files: [.init(name: "hy-1-Data.db", sizeBytes: 600 << 10), .init(name: "hy-1-Index.db", sizeBytes: 600 << 10)]),
             .tooLarge, "the session is 1228800 bytes"),
            (Self.initSession(UUID(), files: [.init(name: "../../MANIFEST", sizeBytes: 1)]), .protocolViolation, "not an SSTable component name"),
            (Self.initSession(UUID(), files: []), .protocolViolation, "no files"),
            (.commit, .protocolViolation, "COMMIT before INIT"),
            (.committed(sstables: 1, partitions: 1, bytes: 1), .protocolViolation, "node-to-client"),
        ]
        for (message, code, text) in cases {
            try await RawClient.with(f.address) { c in
                try await c.send(message)
                Self.expectError(try await c.next(), code, text)
                #expect(try await c.next() == nil, "the node closes after an ERROR")
            }
        }
        try await f.stop()
    }

    @Test func aFileWhoseChecksumDiffersIsRefusedAndItsStagingRemoved() async throws {
        let f = try await Fixture()
        let id = UUID()
        try await RawClient.with(f.address) { c in
            try await c.send(Self.initSession(id, files: [.init(name: "hy-1-Data.db", sizeBytes: 10)]))
            #expect(try await c.next() == .sessionAccepted)
            #expect(f.staged(id))
            try await c.send(.chunk(fileIndex: 0, offset: 0, data: ByteBuffer(bytes: Array(0..<10))))
            try await c.send(.fileEnd(fileIndex: 0, crc32c: CRC32C.checksum(Array(0..<10)) ^ 1))
            Self.expectError(try await c.next(), .checksumMismatch, "hy-1-Data.db: CRC32C of the received bytes")
            // The node discards the staging directory before it closes the connection.
            #expect(try await c.next() == nil)
            #expect(!f.staged(id))
        }
        try await f.stop()
    }

    @Test func chunksOutOfOrderOrPastTheAnnouncedSizeAreRefused() async throws {
        let f = try await Fixture()
        for (offset, count, code, text) in [(UInt64(3), 4, StreamingErrorCode.protocolViolation, "at offset 3; 0 bytes received"),
                                            (0, 11, .tooLarge, "exceeds the 10 bytes announced")] {
            try await RawClient.with(f.address) { c in
                try await c.send(Self.initSession(UUID(), files: [.init(name: "hy-1-Data.db", sizeBytes: 10)]))
                #expect(try await c.next() == .sessionAccepted)
                try await c.send(.chunk(fileIndex: 0, offset: offset, data: ByteBuffer(bytes: [UInt8](repeating: 1, count: count))))
                Self.expectError(try await c.next(), code, text)
            }
        }
        try await f.stop()
    }

    @Test func filesOfUnknownSizeEndAtFileEndAndCountTowardTheSessionLimit() async throws {
        // What `hyades load` sends: each file streamed while it is written.
        let f = try await Fixture(maxSessionBytes: 100)
        let unknown = StreamingFormat.unknownSize
        try await RawClient.with(f.address) { c in
            try await c.send(Self.initSession(UUID(), files: [.init(name: "hy-1-Data.db", sizeBytes: unknown),
                                                              .init(name: "hy-1-Index.db", sizeBytes: unknown)]))
            #expect(try await c.next() == .sessionAccepted)
            let data: [UInt8] = Array(0..<60)
            try await c.send(.chunk(fileIndex: 0, offset: 0, data: ByteBuffer(bytes: data)))
            try await c.send(.fileEnd(fileIndex: 0, crc32c: CRC32C.checksum(data)))
            #expect(try await c.next() == .fileAccepted(fileIndex: 0))
            // 60 + 41 bytes: over the 100-byte session limit, though no file announced a size.
            try await c.send(.chunk(fileIndex: 1, offset: 0, data: ByteBuffer(bytes: [UInt8](repeating: 7, count: 41))))
            Self.expectError(try await c.next(), .tooLarge, "the session exceeds 100 bytes (streaming_max_session_size)")
        }
        try await f.stop()
    }

    @Test func aGarbledFrameIsAnErrorNotACrash() async throws {
        let f = try await Fixture()
        var b = ByteBuffer()
        StreamingFrameEncoder.write(Self.initSession(UUID(), files: [.init(name: "hy-1-Data.db", sizeBytes: 10)]), into: &b)
        var bytes = Array(b.readableBytesView)
        bytes[20] ^= 0x40
        try await RawClient.with(f.address) { c in
            try await c.sendRaw(bytes)
            Self.expectError(try await c.next(), .protocolViolation, "checksum mismatch")
        }
        // An announced 4 GiB frame: refused on its length alone.
        try await RawClient.with(f.address) { d in
            try await d.sendRaw([0xFF, 0xFF, 0xFF, 0xFF])
            Self.expectError(try await d.next(), .tooLarge, "exceeds the limit")
        }
        try await f.stop()
    }

    /// The drain at SIGTERM stops the listener: a session still receiving files is ended
    /// and discarded (the client retries), not waited for.
    @Test func stoppingEndsAnIdleSessionAndDiscardsIt() async throws {
        let f = try await Fixture()
        let id = UUID()
        try await RawClient.with(f.address) { c in
            try await c.send(Self.initSession(id, files: [.init(name: "hy-1-Data.db", sizeBytes: 10)]))
            #expect(try await c.next() == .sessionAccepted)
            try await c.send(.chunk(fileIndex: 0, offset: 0, data: ByteBuffer(bytes: [1, 2, 3])))
            await f.streaming.stop()
            #expect(!f.staged(id))
            // The node closes the socket; with our unread bytes in its receive buffer the
            // kernel may turn that close into a reset, which is the same answer.
            let closed: Bool
            do { closed = try await c.next() == nil } catch let e as IOError where e.errnoCode == ECONNRESET { closed = true }
            #expect(closed, "the node closed the connection")
        }
        try await f.stop()
    }

    @Test func oneSessionIdOnTwoConnectionsIsBusy() async throws {
        let f = try await Fixture()
        let id = UUID()
        try await RawClient.with(f.address) { a in
            try await a.send(Self.initSession(id, files: [.init(name: "hy-1-Data.db", sizeBytes: 10)]))
            #expect(try await a.next() == .sessionAccepted)
            try await RawClient.with(f.address) { b in
                try await b.send(Self.initSession(id, files: [.init(name: "hy-1-Data.db", sizeBytes: 10)]))
                Self.expectError(try await b.next(), .busy, "already being received")
            }
            #expect(f.staged(id))
            // Then this connection drops mid-file: what it staged is discarded.
            try await a.send(.chunk(fileIndex: 0, offset: 0, data: ByteBuffer(bytes: [1, 2, 3])))
        }
        var waited = 0
        while f.staged(id) && waited < 1000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(!f.staged(id), "the staging directory of a dropped session is removed")
        try await f.stop()
    }
}
