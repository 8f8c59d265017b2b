/// A violation of the native protocol by the peer: a bad header, an unsupported version,
/// an oversized or malformed body. The server answers it with ERROR 0x000A on `stream`,
/// in a v4 frame, and then closes the connection if `closesConnection` says so.
///
/// Following swift-nio's style the public struct wraps a private enum, so cases can be
/// added without breaking callers; match on the static factories' values or `message`.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case unsupportedVersion(UInt8)
        case wrongDirection(UInt8)
        case bodyTooLarge(length: Int, maximum: Int)
        case unknownOpcode(UInt8)
        case unexpectedOpcode(CQLOpcode)
        case malformedBody(String)
        case compression(String)
        case state(String)
        case encoding(String)
    }

    private var base: Base
    /// The stream of the offending frame, so the answer reaches the right request.
    public var stream: Int16

    private init(_ base: Base, stream: Int16) {
        self.base = base
        self.stream = stream
    }

    /// The frame's version byte is not 0x04 (e.g. 0x42, 0x41, 5, 3 while a driver probes).
    public static func unsupportedVersion(_ version: UInt8, stream: Int16) -> ProtocolError {
        ProtocolError(.unsupportedVersion(version), stream: stream)
    }

    /// A response frame (0x84) arrived where a request was expected, or the reverse.
    public static func wrongDirection(_ version: UInt8, stream: Int16) -> ProtocolError {
        ProtocolError(.wrongDirection(version), stream: stream)
    }

    /// The header announces a body larger than the configured maximum.
    public static func bodyTooLarge(length: Int, maximum: Int, stream: Int16) -> ProtocolError {
        ProtocolError(.bodyTooLarge(length: length, maximum: maximum), stream: stream)
    }

    public static func unknownOpcode(_ opcode: UInt8, stream: Int16) -> ProtocolError {
        ProtocolError(.unknownOpcode(opcode), stream: stream)
    }

    /// A known opcode in the wrong direction (a response opcode in a request frame).
    public static func unexpectedOpcode(_ opcode: CQLOpcode, stream: Int16) -> ProtocolError {
        ProtocolError(.unexpectedOpcode(opcode), stream: stream)
    }

    /// The body is truncated or does not follow the message's layout.
    public static func malformedBody(_ what: String, stream: Int16 = 0) -> ProtocolError {
        ProtocolError(.malformedBody(what), stream: stream)
    }

    /// A compressed body that cannot be (or may not be) decompressed.
    public static func compression(_ what: String, stream: Int16 = 0) -> ProtocolError {
        ProtocolError(.compression(what), stream: stream)
    }

    /// A message that is well formed but not allowed now (e.g. QUERY before STARTUP).
    public static func invalidState(_ what: String, stream: Int16 = 0) -> ProtocolError {
        ProtocolError(.state(what), stream: stream)
    }

    /// Something we were asked to send does not fit the wire format (e.g. a [string] over 64 KiB).
    public static func encoding(_ what: String, stream: Int16 = 0) -> ProtocolError {
        ProtocolError(.encoding(what), stream: stream)
    }

    /// The same error attributed to another stream (decoders learn the stream late).
    public func on(stream: Int16) -> ProtocolError {
        ProtocolError(base, stream: stream)
    }

    public var isUnsupportedVersion: Bool {
        if case .unsupportedVersion = base { return true }
        return false
    }

    public var isBodyTooLarge: Bool {
        if case .bodyTooLarge = base { return true }
        return false
    }

    /// Whether the connection cannot continue after the ERROR answer. Framing errors lose
    /// the frame boundary, so everything that breaks framing closes; a malformed body or a
    /// request in the wrong state leaves the framing intact and the connection usable.
    public var closesConnection: Bool {
        switch base {
        case .unsupportedVersion, .wrongDirection, .bodyTooLarge, .compression, .unknownOpcode: return true
        case .unexpectedOpcode, .malformedBody, .state, .encoding: return false
        }
    }

    /// The text sent to the client in ERROR 0x000A.
    public var message: String {
        switch base {
        case .unsupportedVersion(let v): return CQLProtocol.unsupportedVersionMessage(v)
        case .wrongDirection(let v): return "Wrong protocol direction (version byte \(v))"
        case .bodyTooLarge(let length, let maximum):
            return "Request is too big: length \(length) exceeds maximum allowed length \(maximum)."
        case .unknownOpcode(let op): return "Unknown opcode \(op)"
        case .unexpectedOpcode(let op): return "Opcode \(op) is not a request"
        case .malformedBody(let what): return "Invalid message: \(what)"
        case .compression(let what): return "Invalid compressed body: \(what)"
        case .state(let what): return what
        case .encoding(let what): return "Cannot encode message: \(what)"
        }
    }

    public var description: String { "ProtocolError(stream \(stream)): \(message)" }

    /// The ERROR message the server sends for this error.
    public var errorMessage: CQLErrorMessage {
        CQLErrorMessage(.protocolError, message)
    }
}
