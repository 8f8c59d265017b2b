import Foundation
import HyadesCore
import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesProtocol

/// The SSTable streaming frames (docs/formats/streaming.md) on EmbeddedChannel: every
/// message survives any split, and garbled, truncated or oversized frames are errors that
/// never wait for (or allocate) the announced length.
@Suite struct StreamingCodecTests {
    static let messages: [StreamingMessage] = [
        .initSession(sessionID: UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")!, keyspace: "gaia", table: "gaia_source",
                     files: [.init(name: "hy-1-Data.db", sizeBytes: 123_456_789_012), .init(name: "hy-1-Index.db", sizeBytes: 0)]),
        .chunk(fileIndex: 0, offset: 1 << 33, data: buffer(Array(0..<200))),
        .chunk(fileIndex: 1, offset: 0, data: buffer([])),
        .fileEnd(fileIndex: 1, crc32c: 0xE306_9283),
        .commit,
        .sessionAccepted,
        .fileAccepted(fileIndex: 4095),
        .committed(sstables: 3, partitions: 1_000_000, bytes: 77 << 30),
        .alreadyImported,
        .error(code: .rejected, message: "cannot import hy-2-Data.db: checksum mismatch ✗"),
        .describeTable(keyspace: "gaia", table: "gaia_source"),
        .stage(loadID: UUID(uuidString: "F0E1D2C3-B4A5-9687-7869-5A4B3C2D1E0F")!),
        .adoptLoad(loadID: UUID(uuidString: "F0E1D2C3-B4A5-9687-7869-5A4B3C2D1E0F")!, keyspace: "gaia", table: "gaia_source"),
        .abortLoad(loadID: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!, keyspace: "ks", table: "t"),
        .staged(sstables: 2, partitions: 5_000, bytes: 1 << 40),
        .loadAborted,
        .tableSchema(StreamingTableSchema(keyspace: "gaia", table: "obs", columns: [
            .init(id: 0, name: "source_id", type: "bigint", kind: .partitionKey),
            .init(id: 1, name: "epoch", type: "timestamp", kind: .clustering, descending: true),
            .init(id: 7, name: "mags", type: "frozen<list<float>>", kind: .regular),
            .init(id: 3, name: "survey", type: "text", kind: .static),
        ])),
    ]

    static func channel(maxFrameBytes: Int = 4096) throws -> EmbeddedChannel {
        let c = EmbeddedChannel()
        try c.pipeline.syncOperations.addHandler(ByteToMessageHandler(StreamingFrameDecoder(maxFrameBytes: maxFrameBytes)))
        try c.pipeline.syncOperations.addHandler(MessageToByteHandler(StreamingFrameEncoder()))
        return c
    }

    static func wire(_ ms: [StreamingMessage]) -> [UInt8] {
        var out = allocator.buffer(capacity: 1024)
        for m in ms { StreamingFrameEncoder.write(m, into: &out) }
        return bytes(out)
    }

    /// A frame with a correct length and checksum around arbitrary type and payload bytes.
    static func frame(type: UInt8, payload: [UInt8]) -> [UInt8] {
        let n = UInt32(payload.count + 1)
        var f: [UInt8] = [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF), type] + payload
        let crc = CRC32C.checksum(f)
        f += [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        return f
    }

    static func readAll(_ c: EmbeddedChannel) throws -> [StreamingMessage] {
        var out: [StreamingMessage] = []
        while let m = try c.readInbound(as: StreamingMessage.self) { out.append(m) }
        return out
    }

    @Test(arguments: [1, 3, 7, 64, 100_000])
    func everyMessageSurvivesAnySplit(_ piece: Int) throws {
        let c = try Self.channel()
        let all = Self.wire(Self.messages)
        var got: [StreamingMessage] = []
        var i = 0
        while i < all.count {
            try c.writeInbound(buffer(Array(all[i..<min(i + piece, all.count)])))
            got += try Self.readAll(c)
            i += piece
        }
        #expect(got == Self.messages)
        #expect(try c.finish().isClean)
    }

    @Test func theEncoderHandlerWritesWhatTheDecoderReads() throws {
        let c = try Self.channel()
        for m in Self.messages { try c.writeOutbound(m) }
        var wire: [UInt8] = []
        while let b = try c.readOutbound(as: ByteBuffer.self) { wire += bytes(b) }
        #expect(wire == Self.wire(Self.messages))
    }

    @Test func aFlippedBitAnywhereIsAChecksumError() throws {
        let good = Self.wire([Self.messages[0]])
        for offset in stride(from: 4, to: good.count, by: 5) {
            var bad = good
            bad[offset] ^= 0x04
            let c = try Self.channel()
            let error = #expect(throws: StreamingProtocolError.self) { try c.writeInbound(buffer(bad)) }
            #expect(error?.message.contains("checksum mismatch") == true, "offset \(offset): \(String(describing: error))")
            _ = try? c.finish()
        }
    }

    @Test func anOversizedLengthFailsOnItsFourBytesAlone() throws {
        let c = try Self.channel(maxFrameBytes: 1024)
        // Only the length arrives: the decoder must not wait for (or reserve) 4 GiB.
        let error = #expect(throws: StreamingProtocolError.self) { try c.writeInbound(buffer([0xFF, 0xFF, 0xFF, 0xF0])) }
        #expect(error?.code == .tooLarge)
        #expect(error?.message.contains("4294967280 bytes exceeds the limit of 1024") == true)
        _ = try? c.finish()
        let zero = try Self.channel()
        #expect(throws: StreamingProtocolError.self) { try zero.writeInbound(buffer([0, 0, 0, 0, 1, 2, 3, 4])) }
        _ = try? zero.finish()
    }

    @Test func aConnectionClosedInsideAFrameIsAnError() throws {
        let c = try Self.channel()
        let good = Self.wire([.commit, Self.messages[1]])
        try c.writeInbound(buffer(Array(good.dropLast(7))))
        #expect(try Self.readAll(c) == [.commit])
        let error = #expect(throws: StreamingProtocolError.self) { _ = try c.finish() }
        #expect(error?.message.contains("connection closed inside a frame") == true)
    }

    @Test func malformedPayloadsWithGoodChecksumsAreRefused() throws {
        let cases: [([UInt8], String)] = [
            (Self.frame(type: 0x42, payload: []), "unknown message type 0x42"),
            (Self.frame(type: StreamingFormat.typeInit, payload: Array("CQL!".utf8) + [0, 1]), "bad INIT magic"),
            (Self.frame(type: StreamingFormat.typeInit, payload: StreamingFormat.magic + [0, 9]), "unsupported streaming version 9"),
            (Self.frame(type: StreamingFormat.typeInit, payload: StreamingFormat.magic + [0, 1] + [UInt8](repeating: 0, count: 16) + [0, 40, 1]),
             "keyspace missing"),
            (Self.frame(type: StreamingFormat.typeInit, payload: StreamingFormat.magic + [0, 1] + [UInt8](repeating: 0, count: 16)
                        + [0, 1, 0x61, 0, 1, 0x62, 0xFF, 0xFF, 0xFF, 0xFF]), "files in one session"),
            (Self.frame(type: StreamingFormat.typeFileEnd, payload: [0, 0, 0, 1]), "file checksum missing"),
            (Self.frame(type: StreamingFormat.typeCommit, payload: [1]), "1 unexpected trailing bytes"),
            (Self.frame(type: StreamingFormat.typeError, payload: [0, 1, 0, 2, 0xC3, 0x28]), "not valid UTF-8"),
        ]
        for (bytes, expected) in cases {
            let c = try Self.channel()
            let error = #expect(throws: StreamingProtocolError.self) { try c.writeInbound(buffer(bytes)) }
            #expect(error?.message.contains(expected) == true, "\(expected): got \(String(describing: error))")
            _ = try? c.finish()
        }
    }

    @Test func aHugeFileCountIsRefusedBeforeItsEntriesAreRead() throws {
        var p = StreamingFormat.magic + [0, 1] + [UInt8](repeating: 7, count: 16) + [0, 1, 0x61, 0, 1, 0x62]
        p += [0, 0, 0x10, 0x01]   // 4097 files
        let c = try Self.channel()
        let error = #expect(throws: StreamingProtocolError.self) { try c.writeInbound(buffer(Self.frame(type: StreamingFormat.typeInit, payload: p))) }
        #expect(error?.code == .tooLarge)
        _ = try? c.finish()
    }
}
