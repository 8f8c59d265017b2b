import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesProtocol

@Suite struct FrameDecoderTests {
    static func decoderChannel(maxBodyBytes: Int = 1024, role: CQLFrameDecoder.Role = .server) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(CQLFrameDecoder(role: role, maxBodyBytes: maxBodyBytes)))
        return channel
    }

    static func sampleFrames() throws -> [CQLFrame] {
        let codec = CQLMessageCodec()
        return try [
            codec.encodeRequest(CQLRequestEnvelope(stream: 0, request: .options), allocator: allocator),
            codec.encodeRequest(CQLRequestEnvelope(stream: 1, request: .startup(["CQL_VERSION": "3.0.0"])), allocator: allocator),
            codec.encodeRequest(CQLRequestEnvelope(stream: 2, request: .query("SELECT * FROM system.local WHERE key='local'",
                CQLQueryParameters(consistency: .one, pageSize: 100))), allocator: allocator),
            codec.encodeRequest(CQLRequestEnvelope(stream: 32767, request: .prepare("SELECT 1")), allocator: allocator),
        ]
    }

    static func wire(_ frames: [CQLFrame]) -> [UInt8] { frames.flatMap(frameBytes) }

    static func readAll(_ channel: EmbeddedChannel) throws -> [CQLFrame] {
        var out: [CQLFrame] = []
        while let f = try channel.readInbound(as: CQLFrame.self) { out.append(f) }
        return out
    }

    @Test func byteByByte() throws {
        let frames = try Self.sampleFrames()
        let channel = try Self.decoderChannel()
        var got: [CQLFrame] = []
        for b in Self.wire(frames) {
            try channel.writeInbound(buffer([b]))
            got += try Self.readAll(channel)
        }
        #expect(got == frames)
        #expect(try channel.finish().isClean)
    }

    @Test func coalescedInOneRead() throws {
        let frames = try Self.sampleFrames()
        let channel = try Self.decoderChannel()
        try channel.writeInbound(buffer(Self.wire(frames)))
        #expect(try Self.readAll(channel) == frames)
        #expect(try channel.finish().isClean)
    }

    @Test(arguments: [2, 5, 9, 10, 13, 31])
    func splitAtEveryChunkSize(_ chunk: Int) throws {
        let frames = try Self.sampleFrames()
        let channel = try Self.decoderChannel()
        let all = Self.wire(frames)
        var got: [CQLFrame] = []
        var i = 0
        while i < all.count {
            try channel.writeInbound(buffer(Array(all[i..<min(i + chunk, all.count)])))
            got += try Self.readAll(channel)
            i += chunk
        }
        #expect(got == frames)
    }

    @Test func bodyIsNotDeliveredUntilComplete() throws {
        let frames = try Self.sampleFrames()
        let channel = try Self.decoderChannel()
        let third = frameBytes(frames[2])
        try channel.writeInbound(buffer(Array(third.dropLast())))
        #expect(try channel.readInbound(as: CQLFrame.self) == nil)
        try channel.writeInbound(buffer([third.last!]))
        #expect(try channel.readInbound(as: CQLFrame.self) == frames[2])
    }

    @Test func oversizeLengthIsRejectedFromTheHeaderAlone() throws {
        // A header announcing 1 GiB, and not a single body byte: the error comes at once.
        let header: [UInt8] = [0x04, 0x00, 0x00, 0x05, 0x07] + int32BE(1 << 30)
        let channel = try Self.decoderChannel(maxBodyBytes: 1024)
        #expect(throws: ProtocolError.bodyTooLarge(length: 1 << 30, maximum: 1024, stream: 5)) {
            try channel.writeInbound(buffer(header))
        }
        // Nothing more is accepted or delivered afterwards.
        try? channel.writeInbound(buffer([UInt8](repeating: 0, count: 4096)))
        #expect(try channel.readInbound(as: CQLFrame.self) == nil)
    }

    @Test func oversizeCheckNeedsNoBodyBytesAndLeavesTheBufferAlone() throws {
        // Directly on the parser: only the 9 header bytes exist when it throws.
        var over = buffer([0x04, 0x00, 0x00, 0x01, 0x07] + int32BE(1025))
        #expect(throws: ProtocolError.self) {
            _ = try CQLFrameDecoder.decodeFrame(from: &over, role: .server, maxBodyBytes: 1024)
        }
        #expect(over.readableBytes == 9)
        // At the limit the header is accepted and the decoder just waits, consuming nothing.
        var atLimit = buffer([0x04, 0x00, 0x00, 0x01, 0x07] + int32BE(1024) + [1, 2, 3])
        #expect(try CQLFrameDecoder.decodeFrame(from: &atLimit, role: .server, maxBodyBytes: 1024) == nil)
        #expect(atLimit.readerIndex == 0 && atLimit.readableBytes == 12)
        // A full 4 GiB length field is rejected, not turned into a negative length.
        var huge = buffer([0x04, 0x00, 0x00, 0x01, 0x07, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ProtocolError.bodyTooLarge(length: Int(UInt32.max), maximum: 1024, stream: 1)) {
            _ = try CQLFrameDecoder.decodeFrame(from: &huge, role: .server, maxBodyBytes: 1024)
        }
    }

    @Test(arguments: [UInt8(0x42), 0x41, 5, 3, 6, 0x7F])
    func unsupportedVersionIsTheExactError(_ version: UInt8) throws {
        // The driver's probe: an OPTIONS or STARTUP in its version, stream 0x0102.
        let header: [UInt8] = [version, 0x00, 0x01, 0x02, 0x05, 0x00, 0x00, 0x00, 0x00]
        let channel = try Self.decoderChannel()
        do {
            try channel.writeInbound(buffer(header))
            Issue.record("no error")
        } catch let e as ProtocolError {
            #expect(e == .unsupportedVersion(version, stream: 0x0102))
            #expect(e.message == "Invalid or unsupported protocol version (\(version)); supported versions are (4/v4)")
            #expect(e.isUnsupportedVersion && e.closesConnection)
        }
    }

    @Test func unsupportedVersionIsReportedBeforeItsBodyArrives() throws {
        // Version 5 with a 100-byte body announced: the header suffices.
        var header = buffer([0x05, 0x00, 0x00, 0x03, 0x01] + int32BE(100))
        #expect(throws: ProtocolError.unsupportedVersion(5, stream: 3)) {
            _ = try CQLFrameDecoder.decodeFrame(from: &header, role: .server, maxBodyBytes: 1024)
        }
    }

    @Test func legacyVersionsUseTheirOneByteStream() throws {
        // v2 header: version, flags, stream (1 byte), opcode, length: 8 bytes.
        var v2 = buffer([0x02, 0x00, 0x07, 0x05, 0x00, 0x00, 0x00, 0x00])
        #expect(throws: ProtocolError.unsupportedVersion(2, stream: 7)) {
            _ = try CQLFrameDecoder.decodeFrame(from: &v2, role: .server, maxBodyBytes: 1024)
        }
    }

    @Test func responseFrameToAServerIsWrongDirection() throws {
        var b = buffer([0x84, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00])
        #expect(throws: ProtocolError.wrongDirection(0x84, stream: 1)) {
            _ = try CQLFrameDecoder.decodeFrame(from: &b, role: .server, maxBodyBytes: 1024)
        }
        // And a client reads it fine.
        var c = buffer([0x84, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00])
        #expect(try CQLFrameDecoder.decodeFrame(from: &c, role: .client, maxBodyBytes: 1024)?.opcode == .ready)
    }

    @Test func unknownOpcodeIsAProtocolError() throws {
        var b = buffer([0x04, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00])
        #expect(throws: ProtocolError.unknownOpcode(0x04, stream: 9)) {
            _ = try CQLFrameDecoder.decodeFrame(from: &b, role: .server, maxBodyBytes: 1024)
        }
    }

    @Test func negativeStreamsAndEmptyBodiesDecode() throws {
        var b = buffer([0x84, 0x00, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00, 0x00])
        let f = try #require(try CQLFrameDecoder.decodeFrame(from: &b, role: .client, maxBodyBytes: 0))
        #expect(f.stream == -1 && f.body.readableBytes == 0)
    }
}
