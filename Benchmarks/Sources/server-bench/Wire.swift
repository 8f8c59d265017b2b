import HyadesProtocol
import NIOCore

/// Requests written straight as bytes (no envelope, no codec) so the load generator costs
/// as little as possible of the two cores it shares with the node.
enum Wire {
    /// EXECUTE with bigint/blob values (ONE, values flag, optional skip_metadata).
    static func execute(_ out: inout ByteBuffer, stream: Int16, id: [UInt8], key: Int64, value: ByteBuffer?, skipMetadata: Bool) {
        let start = out.writerIndex
        out.writeMultipleIntegers(UInt8(4), UInt8(0), stream, CQLOpcode.execute.rawValue, UInt32(0))
        out.writeInteger(UInt16(id.count))
        out.writeBytes(id)
        out.writeInteger(UInt16(1))                       // consistency ONE
        out.writeInteger(UInt8(skipMetadata ? 0x03 : 0x01)) // values (+ skip_metadata)
        out.writeInteger(UInt16(value == nil ? 1 : 2))
        out.writeMultipleIntegers(Int32(8), key)
        if var v = value {
            out.writeInteger(Int32(v.readableBytes))
            out.writeBuffer(&v)
        }
        out.setInteger(UInt32(out.writerIndex - start - 9), at: start + 5)
    }

    /// Murmur3-scrambled keys: random-looking, reproducible, distinct for distinct i.
    @inline(__always) static func key(_ i: Int) -> Int64 {
        var x = UInt64(bitPattern: Int64(i)) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int64(bitPattern: x ^ (x >> 31))
    }
}

/// Splits the byte stream into frames: (stream, opcode, body) without decoding bodies.
struct RawFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = CQLFrame
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try CQLFrameDecoder.decodeFrame(from: &buffer, role: .client, maxBodyBytes: 256 << 20) else {
            return .needMoreData
        }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}
