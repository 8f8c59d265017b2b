/// A streaming frame that cannot be trusted: oversized, garbled, truncated or unknown.
/// The node answers it with ERROR `protocolViolation` (or `tooLarge`) and closes.
public struct StreamingProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StreamingErrorCode
    public var message: String

    public init(_ code: StreamingErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func malformed(_ message: String) -> StreamingProtocolError { .init(.protocolViolation, message) }

    public var description: String { "streaming protocol error: \(message)" }
}

/// The node refused or failed a session: its ERROR reply (or the connection was lost).
public struct StreamingSessionError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StreamingErrorCode
    public var message: String

    public init(code: StreamingErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "streaming session failed (\(code)): \(message)" }
}
