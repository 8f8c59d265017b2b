import HyadesCore
import NIOCore
import Testing
@testable import HyadesProtocol

let allocator = ByteBufferAllocator()

func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    var b = allocator.buffer(capacity: bytes.count)
    b.writeBytes(bytes)
    return b
}

func bytes(_ b: ByteBuffer) -> [UInt8] { Array(b.readableBytesView) }

/// [short]-prefixed UTF-8, written out by hand for golden frames.
func shortString(_ s: String) -> [UInt8] {
    let u = Array(s.utf8)
    return [UInt8(u.count >> 8), UInt8(u.count & 0xFF)] + u
}

func int32BE(_ v: Int32) -> [UInt8] {
    let u = UInt32(bitPattern: v)
    return [UInt8(u >> 24), UInt8((u >> 16) & 0xFF), UInt8((u >> 8) & 0xFF), UInt8(u & 0xFF)]
}

/// A whole frame as bytes.
func frameBytes(_ frame: CQLFrame) -> [UInt8] {
    var out = allocator.buffer(capacity: 64)
    frame.write(to: &out)
    return bytes(out)
}

/// Encodes a request through the client codec and decodes it with the server codec.
func roundTrip(_ request: CQLRequest, stream: Int16 = 7, codec: CQLMessageCodec = CQLMessageCodec()) throws -> CQLRequestEnvelope {
    let frame = try codec.encodeRequest(CQLRequestEnvelope(stream: stream, request: request), allocator: allocator)
    // Through the wire form and the frame decoder too.
    var wire = buffer(frameBytes(frame))
    let decoded = try #require(try CQLFrameDecoder.decodeFrame(from: &wire, role: .server, maxBodyBytes: 1 << 24))
    #expect(wire.readableBytes == 0)
    return try codec.decodeRequest(decoded, allocator: allocator)
}

func roundTrip(_ response: CQLResponse, stream: Int16 = 7, codec: CQLMessageCodec = CQLMessageCodec()) throws -> CQLResponseEnvelope {
    try roundTrip(CQLResponseEnvelope(stream: stream, response: response), codec: codec)
}

func roundTrip(_ envelope: CQLResponseEnvelope, codec: CQLMessageCodec = CQLMessageCodec()) throws -> CQLResponseEnvelope {
    let frame = try codec.encodeResponse(envelope, allocator: allocator)
    var wire = buffer(frameBytes(frame))
    let decoded = try #require(try CQLFrameDecoder.decodeFrame(from: &wire, role: .client, maxBodyBytes: 1 << 24))
    #expect(wire.readableBytes == 0)
    return try codec.decodeResponse(decoded, allocator: allocator)
}

/// Deterministic pseudo-random bytes (SplitMix64), so failures replay from the seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
