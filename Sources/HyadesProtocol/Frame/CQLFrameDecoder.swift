import NIOCore

/// Splits a byte stream into `CQLFrame`s. The body limit is checked on the header alone,
/// before a single body byte is waited for or buffered, so an announced 2 GiB body costs
/// nothing but the 9 header bytes. The body handed on is a zero-copy slice.
///
/// Use as `ByteToMessageHandler(CQLFrameDecoder(...))`. Errors are `ProtocolError`s that
/// carry the offending frame's stream, so the server can answer on it before closing.
public struct CQLFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = CQLFrame

    /// Which direction this side reads: a server reads requests (0x04), a client responses (0x84).
    public enum Role: Sendable {
        case server
        case client
    }

    public let role: Role
    public let maxBodyBytes: Int

    public init(role: Role = .server, maxBodyBytes: Int = CQLProtocol.defaultMaxBodyBytes) {
        self.role = role
        self.maxBodyBytes = maxBodyBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.decodeFrame(from: &buffer, role: role, maxBodyBytes: maxBodyBytes) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at EOF is simply dropped with the connection; complete ones are delivered.
        try decode(context: context, buffer: &buffer)
    }

    /// The header at the reader index, if all of it has arrived; does not move the reader index.
    /// Validates version and direction so an unsupported version is reported as soon as the
    /// header is complete, without waiting for (or buffering) its body.
    public static func peekHeader(in buffer: ByteBuffer, role: Role) throws -> CQLFrameHeader? {
        let start = buffer.readerIndex
        guard let version = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        let versionNumber = version & ~CQLProtocol.responseDirectionBit
        if versionNumber < 3 {
            // v1/v2 headers are 8 bytes with a one-byte stream: read it so the error lands
            // on the stream the client is listening to.
            guard buffer.readableBytes >= CQLProtocol.legacyHeaderLength,
                  let s = buffer.getInteger(at: start + 2, as: Int8.self) else { return nil }
            throw ProtocolError.unsupportedVersion(versionNumber, stream: Int16(s))
        }
        guard buffer.readableBytes >= CQLProtocol.headerLength,
              let flags = buffer.getInteger(at: start + 1, as: UInt8.self),
              let stream = buffer.getInteger(at: start + 2, as: Int16.self),
              let opcode = buffer.getInteger(at: start + 4, as: UInt8.self),
              let length = buffer.getInteger(at: start + 5, as: UInt32.self) else { return nil }
        guard versionNumber == CQLProtocol.version else {
            throw ProtocolError.unsupportedVersion(versionNumber, stream: stream)
        }
        let isResponse = version & CQLProtocol.responseDirectionBit != 0
        guard isResponse == (role == .client) else {
            throw ProtocolError.wrongDirection(version, stream: stream)
        }
        return CQLFrameHeader(version: version, flags: CQLFrameFlags(rawValue: flags),
                              stream: stream, opcode: opcode, bodyLength: length)
    }

    /// One whole frame from `buffer`, or nil (reader index untouched) if more bytes are needed.
    public static func decodeFrame(from buffer: inout ByteBuffer, role: Role, maxBodyBytes: Int) throws -> CQLFrame? {
        guard let header = try peekHeader(in: buffer, role: role) else { return nil }
        let length = Int(header.bodyLength)
        // Checked before waiting for the body: nothing of it is accumulated.
        guard length <= maxBodyBytes else {
            throw ProtocolError.bodyTooLarge(length: length, maximum: maxBodyBytes, stream: header.stream)
        }
        guard let opcode = CQLOpcode(rawValue: header.opcode) else {
            throw ProtocolError.unknownOpcode(header.opcode, stream: header.stream)
        }
        guard buffer.readableBytes - CQLProtocol.headerLength >= length else { return nil }
        buffer.moveReaderIndex(forwardBy: CQLProtocol.headerLength)
        let body = buffer.readSlice(length: length)!  // length checked just above
        return CQLFrame(version: header.version, flags: header.flags, stream: header.stream,
                        opcode: opcode, body: body)
    }
}
