import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesProtocol

/// Truncated and garbled bodies must become `ProtocolError`s on the frame's stream: never
/// a trap, never a huge allocation.
@Suite struct MalformedBodyTests {
    static func requestFrames() throws -> [CQLFrame] {
        let codec = CQLMessageCodec()
        return try RequestRoundTripTests.requests.map {
            try codec.encodeRequest(CQLRequestEnvelope(stream: 11, request: $0), allocator: allocator)
        }
    }

    static func responseFrames() throws -> [CQLFrame] {
        let codec = CQLMessageCodec()
        return try ResponseRoundTripTests.responses.map {
            try codec.encodeResponse(CQLResponseEnvelope(stream: 11, response: $0), allocator: allocator)
        }
    }

    @Test func everyTruncationOfEveryRequestIsAProtocolError() throws {
        let codec = CQLMessageCodec()
        for frame in try Self.requestFrames() where frame.body.readableBytes > 0 {
            for cut in 0..<frame.body.readableBytes {
                var short = frame
                short.body = frame.body.getSlice(at: frame.body.readerIndex, length: cut)!
                // Some prefixes are complete messages (e.g. STARTUP with fewer entries is not, but
                // QUERY flags=0 may be); what matters is: an error is a ProtocolError on stream 11.
                do {
                    _ = try codec.decodeRequest(short, allocator: allocator)
                } catch let e as ProtocolError {
                    #expect(e.stream == 11)
                    #expect(!e.closesConnection)
                }
            }
        }
    }

    @Test func truncatedRequestsThatAreNotPrefixesFail() throws {
        // Dropping the last byte of these always breaks them.
        let codec = CQLMessageCodec()
        let cases: [CQLRequest] = [
            .startup(["CQL_VERSION": "3.0.0"]),
            .query("SELECT 1", CQLQueryParameters(consistency: .one, pageSize: 10)),
            .execute(id: [1, 2], CQLQueryParameters(values: [.bytes(buffer([1, 2, 3]))])),
            .batch(CQLBatch(kind: .unlogged, statements: [.init(.prepared(id: [1]), values: [.bytes(buffer([5]))])])),
            .register(["STATUS_CHANGE"]),
            .prepare("SELECT 1"),
        ]
        for r in cases {
            var frame = try codec.encodeRequest(CQLRequestEnvelope(stream: 3, request: r), allocator: allocator)
            frame.body = frame.body.getSlice(at: frame.body.readerIndex, length: frame.body.readableBytes - 1)!
            #expect(throws: ProtocolError.self, "\(r)") { try codec.decodeRequest(frame, allocator: allocator) }
        }
    }

    @Test func everyTruncationOfEveryResponseIsAProtocolErrorOrAValue() throws {
        let codec = CQLMessageCodec()
        for frame in try Self.responseFrames() where frame.body.readableBytes > 0 {
            for cut in 0..<frame.body.readableBytes {
                var short = frame
                short.body = frame.body.getSlice(at: frame.body.readerIndex, length: cut)!
                do {
                    _ = try codec.decodeResponse(short, allocator: allocator)
                } catch let e as ProtocolError {
                    #expect(e.stream == 11)
                }
            }
        }
    }

    @Test func rowsWithMissingCellsFail() throws {
        let codec = CQLMessageCodec()
        var rows = ResponseRoundTripTests.rows(ResponseRoundTripTests.columns, count: 3)
        rows.rowCount = 4  // claims one more row than the content holds
        let frame = try codec.encodeResponse(CQLResponseEnvelope(stream: 1, response: .result(.rows(rows))), allocator: allocator)
        #expect(throws: ProtocolError.self) { try codec.decodeResponse(frame, allocator: allocator) }
    }

    @Test func garbledValuesAreRejected() throws {
        let codec = CQLMessageCodec()
        func query(_ tail: [UInt8]) -> CQLFrame {
            CQLFrame(version: 4, stream: 2, opcode: .query,
                     body: buffer(int32BE(1) + Array("x".utf8) + tail))
        }
        // [value] length -3 is invalid.
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(query([0x00, 0x01, 0x01, 0x00, 0x01] + int32BE(-3)), allocator: allocator)
        }
        // Unknown consistency 0x00FF.
        #expect(throws: ProtocolError.self) { try codec.decodeRequest(query([0x00, 0xFF, 0x00]), allocator: allocator) }
        // 65535 values announced in a few bytes: rejected before reserving space for them.
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(query([0x00, 0x01, 0x01, 0xFF, 0xFF, 0, 0, 0, 0]), allocator: allocator)
        }
        // Query string longer than the body.
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(CQLFrame(version: 4, stream: 2, opcode: .prepare, body: buffer(int32BE(1000) + [0x41])),
                                    allocator: allocator)
        }
        // Negative [long string] length.
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(CQLFrame(version: 4, stream: 2, opcode: .prepare, body: buffer(int32BE(-1))), allocator: allocator)
        }
        // Invalid UTF-8 in a [string].
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(CQLFrame(version: 4, stream: 2, opcode: .register, body: buffer([0, 1, 0, 2, 0xC3, 0x28])),
                                    allocator: allocator)
        }
        // Unknown batch type and statement kind.
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(CQLFrame(version: 4, stream: 2, opcode: .batch, body: buffer([7, 0, 0, 0, 1, 0])), allocator: allocator)
        }
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(CQLFrame(version: 4, stream: 2, opcode: .batch, body: buffer([1, 0, 1, 9, 0, 0, 0, 0, 0, 1, 0])),
                                    allocator: allocator)
        }
        // BATCH names-for-values flag is refused (CASSANDRA-10246).
        #expect(throws: ProtocolError.self) {
            try codec.decodeRequest(CQLFrame(version: 4, stream: 2, opcode: .batch, body: buffer([1, 0, 0, 0, 1, 0x40])),
                                    allocator: allocator)
        }
    }

    @Test func responseOpcodeInARequestFrameIsRejected() throws {
        let frame = CQLFrame(version: 4, stream: 6, opcode: .result, body: buffer(int32BE(1)))
        #expect(throws: ProtocolError.unexpectedOpcode(.result, stream: 6)) {
            try CQLMessageCodec().decodeRequest(frame, allocator: allocator)
        }
    }

    @Test func deeplyNestedTypeOptionIsRejected() throws {
        // list<list<list<...>>> 1000 deep in a Rows metadata.
        var body = int32BE(2) + int32BE(1) + int32BE(1) + shortString("k") + shortString("t") + shortString("c")
        for _ in 0..<1000 { body += [0x00, 0x20] }
        body += [0x00, 0x09] + int32BE(0)
        let frame = CQLFrame(version: 0x84, stream: 1, opcode: .result, body: buffer(body))
        #expect(throws: ProtocolError.self) { try CQLMessageCodec().decodeResponse(frame, allocator: allocator) }
    }

    @Test func randomBodiesNeverTrap() throws {
        // Seeded garbage for every request and response opcode: decoding either yields a
        // message or throws a ProtocolError; it must not crash or hang.
        var rng = SplitMix64(seed: 0x5EED_CAFE)
        let codec = CQLMessageCodec()
        for _ in 0..<3000 {
            let n = Int(rng.next() % 64)
            let garbage = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let op = CQLOpcode.allCases[Int(rng.next() % UInt64(CQLOpcode.allCases.count))]
            let frame = CQLFrame(version: op.isRequest ? 4 : 0x84, stream: 1, opcode: op, body: buffer(garbage))
            do {
                if op.isRequest { _ = try codec.decodeRequest(frame, allocator: allocator) }
                else { _ = try codec.decodeResponse(frame, allocator: allocator) }
            } catch is ProtocolError {
            }
        }
    }

    @Test func mutatedValidFramesNeverTrap() throws {
        var rng = SplitMix64(seed: 42)
        let codec = CQLMessageCodec()
        let frames = try Self.requestFrames() + Self.responseFrames()
        for _ in 0..<3000 {
            var frame = frames[Int(rng.next() % UInt64(frames.count))]
            var body = bytes(frame.body)
            guard !body.isEmpty else { continue }
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                body[Int(rng.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            frame.body = buffer(body)
            do {
                if frame.opcode.isRequest { _ = try codec.decodeRequest(frame, allocator: allocator) }
                else { _ = try codec.decodeResponse(frame, allocator: allocator) }
            } catch is ProtocolError {
            }
        }
    }
}

@Suite struct HostileStreamTests {
    @Test func randomByteStreamsNeverTrapTheServerPipeline() throws {
        // Seeded garbage, sometimes starting with a valid v4 header, fed in random chunks.
        var rng = SplitMix64(seed: 0xBAD_F00D)
        for _ in 0..<300 {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addCQLServerHandlers(configuration: CQLServerConfiguration(maxBodyBytes: 512))
            var stream: [UInt8] = []
            if rng.next() % 2 == 0 {
                let op = CQLOpcode.allCases[Int(rng.next() % UInt64(CQLOpcode.allCases.count))].rawValue
                stream += [0x04, UInt8(rng.next() % 4), 0x00, 0x01, op] + int32BE(Int32(rng.next() % 64))
            }
            stream += (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var i = 0
            while i < stream.count, channel.isActive || i == 0 {
                let n = 1 + Int(rng.next() % 17)
                try? channel.writeInbound(buffer(Array(stream[i..<min(i + n, stream.count)])))
                i += n
            }
            while (try? channel.readOutbound(as: ByteBuffer.self)) != nil {}
            while (try? channel.readInbound(as: CQLRequestEnvelope.self)) != nil {}
            _ = try? channel.finish()
        }
    }

    @Test func overlongErrorMessagesAreCutNotRefused() throws {
        let long = String(repeating: "é", count: 40_000)  // 80,000 UTF-8 bytes
        let env = try roundTrip(.error(CQLErrorMessage(.invalid, long)))
        guard case .error(let e) = env.response else { Issue.record("not an error"); return }
        #expect(e.code == 0x2200)
        #expect(e.message.utf8.count <= 65535 && e.message.utf8.count >= 65534)
        #expect(long.hasPrefix(e.message))
    }
}
