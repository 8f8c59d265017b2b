import NIOCore

/// One native-protocol frame: the 9-byte header's fields and the (possibly compressed) body.
/// The body is a slice of the bytes that arrived, not a copy.
public struct CQLFrame: Hashable, Sendable {
    /// 0x04 for requests, 0x84 for responses.
    public var version: UInt8
    public var flags: CQLFrameFlags
    /// Signed: negative streams are the server's (events use -1).
    public var stream: Int16
    public var opcode: CQLOpcode
    public var body: ByteBuffer

    public init(version: UInt8, flags: CQLFrameFlags = [], stream: Int16, opcode: CQLOpcode, body: ByteBuffer) {
        self.version = version
        self.flags = flags
        self.stream = stream
        self.opcode = opcode
        self.body = body
    }

    public var isResponse: Bool { version & CQLProtocol.responseDirectionBit != 0 }
}

/// The fixed-size header, as read off the wire before the body is known to be acceptable.
public struct CQLFrameHeader: Hashable, Sendable {
    public var version: UInt8
    public var flags: CQLFrameFlags
    public var stream: Int16
    public var opcode: UInt8
    public var bodyLength: UInt32

    public init(version: UInt8, flags: CQLFrameFlags, stream: Int16, opcode: UInt8, bodyLength: UInt32) {
        self.version = version
        self.flags = flags
        self.stream = stream
        self.opcode = opcode
        self.bodyLength = bodyLength
    }
}
