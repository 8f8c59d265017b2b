import CLZ4
import NIOCore
import Testing
@testable import HyadesProtocol

@Suite struct CompressionTests {
    static let samples: [[UInt8]] = [
        [],
        [0x42],
        Array("SELECT * FROM gaia.source WHERE token(source_id) > ? AND token(source_id) <= ?".utf8),
        [UInt8](repeating: 0, count: 100_000),
        (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) },
    ]

    @Test(arguments: CQLCompression.allCases)
    func roundTrips(_ c: CQLCompression) throws {
        for s in Self.samples {
            let compressed = try c.compress(buffer(s), allocator: allocator)
            let back = try c.decompress(compressed, maxUncompressedBytes: 1 << 20, allocator: allocator)
            #expect(bytes(back) == s)
        }
    }

    @Test func lz4BodyStartsWithTheBigEndianUncompressedLength() throws {
        let s = [UInt8](repeating: 7, count: 1000)
        let compressed = bytes(try CQLCompression.lz4.compress(buffer(s), allocator: allocator))
        #expect(Array(compressed.prefix(4)) == [0x00, 0x00, 0x03, 0xE8])
        #expect(compressed.count < 100)
        // The rest is a raw LZ4 block that liblz4 itself decodes.
        var out = [CChar](repeating: 0, count: 1000)
        let n = compressed.dropFirst(4).withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                src.withMemoryRebound(to: CChar.self) {
                    LZ4_decompress_safe($0.baseAddress, dst.baseAddress, Int32($0.count), 1000)
                }
            }
        }
        #expect(n == 1000)
        #expect(out.allSatisfy { $0 == 7 })
    }

    @Test func snappyEmptyBodyIsTheSingleZeroByte() throws {
        // What cassandra-driver special-cases as the empty snappy stream.
        #expect(bytes(try CQLCompression.snappy.compress(buffer([]), allocator: allocator)) == [0x00])
    }

    @Test(arguments: CQLCompression.allCases)
    func decompressionBombIsRejected(_ c: CQLCompression) throws {
        // 16 MiB of zeros compress to less than 1 MiB (lz4 ~250:1, snappy ~21:1): a small
        // frame that would expand past the 1 MiB limit.
        let bomb = try c.compress(buffer([UInt8](repeating: 0, count: 16 << 20)), allocator: allocator)
        #expect(bomb.readableBytes < 1 << 20)
        #expect(throws: ProtocolError.self) {
            _ = try c.decompress(bomb, maxUncompressedBytes: 1 << 20, allocator: allocator)
        }
    }

    @Test func lz4LyingLengthHeaderIsRejectedBeforeAllocating() throws {
        // Announces 4 GiB - 1: refused from the 4-byte header alone.
        let body = buffer([0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        #expect(throws: ProtocolError.self) {
            _ = try CQLCompression.lz4.decompress(body, maxUncompressedBytes: 1 << 20, allocator: allocator)
        }
        // Announces more than the block produces.
        var honest = bytes(try CQLCompression.lz4.compress(buffer(Array("hello hello hello".utf8)), allocator: allocator))
        honest[3] &+= 5
        #expect(throws: ProtocolError.self) {
            _ = try CQLCompression.lz4.decompress(buffer(honest), maxUncompressedBytes: 1 << 20, allocator: allocator)
        }
    }

    @Test(arguments: CQLCompression.allCases)
    func corruptBodiesAreRejected(_ c: CQLCompression) throws {
        var rng = SplitMix64(seed: 7)
        let good = bytes(try c.compress(buffer(Array(String(repeating: "gaia dr3 source ", count: 200).utf8)), allocator: allocator))
        for _ in 0..<500 {
            var bad = good
            for _ in 0..<3 { bad[Int(rng.next() % UInt64(bad.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            let cut = Int(rng.next() % UInt64(bad.count + 1))
            do {
                _ = try c.decompress(buffer(Array(bad.prefix(cut))), maxUncompressedBytes: 1 << 20, allocator: allocator)
            } catch is ProtocolError {
            }
        }
        #expect(throws: ProtocolError.self) {
            _ = try c.decompress(buffer([]), maxUncompressedBytes: 1 << 20, allocator: allocator)
        }
    }

    @Test func compressedFrameWithoutNegotiationIsAProtocolError() throws {
        let frame = try CQLMessageCodec(compression: .lz4).encodeRequest(
            CQLRequestEnvelope(stream: 4, request: .query("SELECT 1", CQLQueryParameters())), allocator: allocator)
        #expect(frame.flags.contains(.compressed))
        do {
            _ = try CQLMessageCodec().decodeRequest(frame, allocator: allocator)
            Issue.record("decoded a compressed body without compression")
        } catch let e as ProtocolError {
            #expect(e.stream == 4)
            #expect(e.closesConnection)
        }
    }

    @Test func uncompressedFramesAreAcceptedAfterNegotiation() throws {
        // "Frames do not have to be compressed, even if compression has been agreed upon."
        let plain = try CQLMessageCodec().encodeRequest(CQLRequestEnvelope(stream: 1, request: .options), allocator: allocator)
        #expect(try CQLMessageCodec(compression: .snappy).decodeRequest(plain, allocator: allocator).request == .options)
    }

    @Test func codecBombLimitApplies() throws {
        let big = CQLRequest.query(String(repeating: "x", count: 200_000), CQLQueryParameters())
        let frame = try CQLMessageCodec(compression: .lz4).encodeRequest(CQLRequestEnvelope(stream: 8, request: big), allocator: allocator)
        #expect(frame.body.readableBytes < 10_000)
        #expect(throws: ProtocolError.self) {
            try CQLMessageCodec(compression: .lz4, maxUncompressedBodyBytes: 100_000).decodeRequest(frame, allocator: allocator)
        }
        #expect(try CQLMessageCodec(compression: .lz4).decodeRequest(frame, allocator: allocator).request == big)
    }
}

@Suite struct CompressionFramingTests {
    @Test(arguments: CQLCompression.allCases)
    func emptyBodiesAreSentUncompressed(_ c: CQLCompression) throws {
        let codec = CQLMessageCodec(compression: c)
        let ready = try codec.encodeResponse(CQLResponseEnvelope(stream: 1, response: .ready), allocator: allocator)
        #expect(ready.flags == [] && ready.body.readableBytes == 0)
        let options = try codec.encodeRequest(CQLRequestEnvelope(stream: 1, request: .options), allocator: allocator)
        #expect(options.flags == [])
        let void = try codec.encodeResponse(CQLResponseEnvelope(stream: 1, response: .result(.void)), allocator: allocator)
        #expect(void.flags == [.compressed])
    }
}
