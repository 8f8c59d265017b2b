import NIOCore

/// Writes `CQLFrame`s: the 9-byte header, then the body as given (already compressed by
/// the message layer when compression is on). Use as `MessageToByteHandler(CQLFrameEncoder())`.
public struct CQLFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = CQLFrame

    public init() {}

    public func encode(data: CQLFrame, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}

extension CQLFrame {
    /// Appends header and body to `out`.
    public func write(to out: inout ByteBuffer) {
        out.reserveCapacity(minimumWritableBytes: CQLProtocol.headerLength + body.readableBytes)
        out.writeInteger(version)
        out.writeInteger(flags.rawValue)
        out.writeInteger(stream)
        out.writeInteger(opcode.rawValue)
        out.writeInteger(UInt32(body.readableBytes))
        var b = body
        out.writeBuffer(&b)
    }
}
