import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesProtocol

/// The whole server-side pipeline on an EmbeddedChannel: bytes in, bytes out.
@Suite struct ServerConnectionHandlerTests {
    final class Connection {
        let channel = EmbeddedChannel()
        var client = CQLMessageCodec()

        init(_ configuration: CQLServerConfiguration = CQLServerConfiguration()) throws {
            try channel.pipeline.syncOperations.addCQLServerHandlers(configuration: configuration)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9042)).wait()
        }

        func send(_ request: CQLRequest, stream: Int16) throws {
            let frame = try client.encodeRequest(CQLRequestEnvelope(stream: stream, request: request), allocator: allocator)
            try channel.writeInbound(buffer(frameBytes(frame)))
        }

        func sendRaw(_ bytes: [UInt8]) throws { try channel.writeInbound(buffer(bytes)) }

        /// Every frame the server wrote so far.
        func replies() throws -> [CQLFrame] {
            var wire = allocator.buffer(capacity: 256)
            while var b = try channel.readOutbound(as: ByteBuffer.self) { wire.writeBuffer(&b) }
            var frames: [CQLFrame] = []
            while let f = try CQLFrameDecoder.decodeFrame(from: &wire, role: .client, maxBodyBytes: 1 << 24) { frames.append(f) }
            #expect(wire.readableBytes == 0)
            return frames
        }

        func reply() throws -> CQLResponseEnvelope {
            let frames = try replies()
            #expect(frames.count == 1)
            return try client.decodeResponse(try #require(frames.first), allocator: allocator)
        }

        func forwarded() throws -> [CQLRequestEnvelope] {
            var out: [CQLRequestEnvelope] = []
            while let e = try channel.readInbound(as: CQLRequestEnvelope.self) { out.append(e) }
            return out
        }

        func respond(_ response: CQLResponse, stream: Int16) throws {
            try channel.writeOutbound(CQLResponseEnvelope(stream: stream, response: response))
        }

        func startup(compression: CQLCompression? = nil) throws {
            var options = ["CQL_VERSION": "3.0.0", "DRIVER_NAME": "test"]
            if let compression { options["COMPRESSION"] = compression.rawValue }
            try send(.startup(options), stream: 0)
            let r = try reply()
            #expect(r.response == .ready)
            client.compression = compression
        }
    }

    static func protocolErrorText(_ env: CQLResponseEnvelope) -> String? {
        if case .error(let e) = env.response, e.kind == .protocolError { return e.message }
        return nil
    }

    @Test(arguments: [UInt8(0x42), 0x41, 5, 3])
    func driverVersionProbeGetsTheExactErrorThenClose(_ version: UInt8) throws {
        let c = try Connection()
        // An OPTIONS in the probed version on stream 0x0100; the body (if any) never arrives.
        try c.sendRaw([version, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00])
        let text = "Invalid or unsupported protocol version (\(version)); supported versions are (4/v4)"
        let golden: [UInt8] = [0x84, 0x00, 0x01, 0x00, 0x00] + int32BE(Int32(6 + text.utf8.count))
            + [0x00, 0x00, 0x00, 0x0A] + shortString(text)
        var wire: [UInt8] = []
        while let b = try c.channel.readOutbound(as: ByteBuffer.self) { wire += bytes(b) }
        #expect(wire == golden)
        // Answered first, closed after the answer was written.
        #expect(!c.channel.isActive)
    }

    @Test func optionsIsAnsweredBeforeAndAfterStartup() throws {
        let c = try Connection()
        try c.send(.options, stream: 3)
        let r = try c.reply()
        #expect(r.stream == 3)
        #expect(r.response == .supported(["CQL_VERSION": ["3.4.7"], "COMPRESSION": ["lz4", "snappy"]]))
        try c.startup()
        try c.send(.options, stream: 4)
        #expect(try c.reply().stream == 4)
        #expect(try c.forwarded().isEmpty)
    }

    @Test func queryBeforeStartupIsAProtocolErrorOnItsStream() throws {
        let c = try Connection()
        try c.send(.query("SELECT 1", CQLQueryParameters()), stream: 12)
        let r = try c.reply()
        #expect(r.stream == 12)
        #expect(Self.protocolErrorText(r) == "Unexpected message QUERY, expecting STARTUP or OPTIONS")
        #expect(c.channel.isActive)
        try c.startup()
    }

    @Test func startupChecks() throws {
        let c = try Connection()
        try c.send(.startup(["COMPRESSION": "lz4"]), stream: 1)
        #expect(Self.protocolErrorText(try c.reply()) == "Missing value CQL_VERSION in STARTUP message")
        try c.send(.startup(["CQL_VERSION": "3.0.0", "COMPRESSION": "zstd"]), stream: 2)
        #expect(Self.protocolErrorText(try c.reply()) == "Unknown compression algorithm: zstd")
        try c.startup()
        try c.send(.startup(["CQL_VERSION": "3.0.0"]), stream: 3)
        #expect(Self.protocolErrorText(try c.reply()) == "Unexpected message STARTUP, the connection is already initialized")
        #expect(c.channel.isActive)
    }

    @Test(arguments: CQLCompression.allCases)
    func compressionAfterStartup(_ compression: CQLCompression) throws {
        let c = try Connection()
        try c.startup(compression: compression)
        let q = CQLRequest.query("SELECT * FROM gaia.source", CQLQueryParameters(consistency: .localOne, pageSize: 5000))
        try c.send(q, stream: 9)
        let forwarded = try c.forwarded()
        #expect(forwarded.map(\.request) == [q])
        #expect(forwarded.first?.stream == 9)

        try c.respond(.result(.setKeyspace("gaia")), stream: 9)
        let frames = try c.replies()
        #expect(frames.count == 1)
        #expect(frames.first?.flags.contains(.compressed) == true)
        #expect(try c.client.decodeResponse(frames[0], allocator: allocator).response == .result(.setKeyspace("gaia")))
    }

    @Test func saslFlow() throws {
        let c = try Connection(CQLServerConfiguration(authenticator: CQLServerConfiguration.passwordAuthenticator))
        try c.send(.startup(["CQL_VERSION": "3.0.0"]), stream: 0)
        #expect(try c.reply().response == .authenticate("org.apache.cassandra.auth.PasswordAuthenticator"))
        try c.send(.query("SELECT 1", CQLQueryParameters()), stream: 1)
        #expect(Self.protocolErrorText(try c.reply()) != nil)

        let token = Array("\0cassandra\0cassandra".utf8)
        try c.send(.authResponse(token), stream: 2)
        #expect(try c.forwarded().map(\.request) == [.authResponse(token)])
        try c.respond(.authSuccess(nil), stream: 2)
        #expect(try c.reply().response == .authSuccess(nil))

        try c.send(.query("SELECT 1", CQLQueryParameters()), stream: 3)
        #expect(try c.forwarded().count == 1)
    }

    @Test func failedAuthenticationKeepsTheConnectionAuthenticating() throws {
        let c = try Connection(CQLServerConfiguration(authenticator: CQLServerConfiguration.passwordAuthenticator))
        try c.send(.startup(["CQL_VERSION": "3.0.0"]), stream: 0)
        _ = try c.reply()
        try c.send(.authResponse(Array("\0u\0wrong".utf8)), stream: 1)
        _ = try c.forwarded()
        try c.respond(.error(CQLErrorMessage(.badCredentials, "Provided username and/or password are incorrect")), stream: 1)
        _ = try c.reply()
        try c.send(.query("SELECT 1", CQLQueryParameters()), stream: 2)
        #expect(try c.forwarded().isEmpty)
        #expect(Self.protocolErrorText(try c.reply()) != nil)
    }

    @Test func oversizeFrameIsAnsweredThenClosed() throws {
        let c = try Connection(CQLServerConfiguration(maxBodyBytes: 1000))
        try c.startup()
        try c.sendRaw([0x04, 0x00, 0x00, 0x21, 0x07] + int32BE(5_000_000))
        let r = try c.reply()
        #expect(r.stream == 0x21)
        #expect(Self.protocolErrorText(r) == "Request is too big: length 5000000 exceeds maximum allowed length 1000.")
        #expect(!c.channel.isActive)
    }

    @Test func malformedBodyIsAnsweredAndTheConnectionGoesOn() throws {
        let c = try Connection()
        try c.startup()
        // QUERY whose [long string] claims 100 bytes but has 1.
        try c.sendRaw([0x04, 0x00, 0x00, 0x05, 0x07] + int32BE(5) + int32BE(100) + [0x41])
        let r = try c.reply()
        #expect(r.stream == 5)
        #expect(Self.protocolErrorText(r)?.hasPrefix("Invalid message:") == true)
        #expect(c.channel.isActive)
        try c.send(.prepare("SELECT 1"), stream: 6)
        #expect(try c.forwarded().map(\.stream) == [6])
    }

    /// Counts the read() calls that reach the socket end of the pipeline.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    @Test func inFlightLimitPausesReadingThenAnswersOverloaded() throws {
        let c = try Connection(CQLServerConfiguration(maxInFlightRequests: 2, maxInFlightRequestsHardLimit: 3))
        let counter = ReadCounter()
        try c.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        try c.startup()
        c.channel.read()
        #expect(counter.reads == 1)

        for s: Int16 in 1...2 { try c.send(.prepare("SELECT \(s)"), stream: s) }
        #expect(try c.forwarded().map(\.stream) == [1, 2])
        // At the limit: reads are held back.
        c.channel.read()
        #expect(counter.reads == 1)

        // Frames already read still arrive: one more fits under the hard limit, the next is refused.
        try c.send(.prepare("SELECT 3"), stream: 3)
        try c.send(.prepare("SELECT 4"), stream: 4)
        #expect(try c.forwarded().map(\.stream) == [3])
        let r = try c.reply()
        #expect(r.stream == 4)
        guard case .error(let e) = r.response else { Issue.record("expected an error"); return }
        #expect(e.kind == .overloaded)

        // Answers bring the count under the limit and the held-back read goes out.
        try c.respond(.result(.void), stream: 1)
        #expect(counter.reads == 1)
        try c.respond(.result(.void), stream: 2)
        #expect(counter.reads == 2)
        _ = try c.replies()
        try c.send(.prepare("SELECT 5"), stream: 5)
        #expect(try c.forwarded().map(\.stream) == [5])
    }

    @Test func eventsGoOutOnStreamMinusOne() throws {
        let c = try Connection()
        try c.startup()
        try c.send(.register(["SCHEMA_CHANGE"]), stream: 1)
        _ = try c.forwarded()
        try c.respond(.ready, stream: 1)
        _ = try c.reply()
        let event = CQLEvent.schemaChange(CQLSchemaChange(.created, .keyspace("gaia")))
        try c.respond(.event(event), stream: CQLProtocol.eventStream)
        let r = try c.reply()
        #expect(r.stream == -1 && r.response == .event(event))
    }

    @Test func unencodableResponseBecomesAServerError() throws {
        let c = try Connection()
        try c.startup()
        try c.send(.query("USE x", CQLQueryParameters()), stream: 8)
        _ = try c.forwarded()
        try c.respond(.result(.setKeyspace(String(repeating: "k", count: 70_000))), stream: 8)
        let r = try c.reply()
        #expect(r.stream == 8)
        guard case .error(let e) = r.response else { Issue.record("expected an error"); return }
        #expect(e.kind == .serverError)
    }
}
