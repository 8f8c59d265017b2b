import HyadesProtocol

/// Everything a request can fail with. Server errors keep Cassandra's error code and
/// message (`code`, `message`) so callers can branch on them exactly as on a Java driver.
public enum CQLClientError: Error, Sendable, CustomStringConvertible {
    /// The node answered with an ERROR frame (spec section 9).
    case server(CQLErrorMessage)
    /// No response within the request's timeout. The stream id stays reserved until the
    /// late answer arrives, so it can never be matched to a later request.
    case timeout
    /// The connection closed (or could not be opened) before the answer arrived.
    case connectionClosed(String)
    /// All 32768 stream ids of the connection are in flight.
    case tooManyInFlight
    /// The node sent something the protocol does not allow here.
    case unexpectedResponse(String)
    /// No contact point or host could be reached; one line per attempt.
    case noHostAvailable([String])
    /// The caller passed something unusable (wrong number of bound values, bad address).
    case invalidArgument(String)

    /// Cassandra's error code (0x2000 syntax error, 0x2200 invalid, 0x2500 unprepared...),
    /// for server errors only.
    public var code: Int32? {
        if case .server(let e) = self { return e.code }
        return nil
    }

    /// The human-readable part.
    public var message: String {
        switch self {
        case .server(let e): return e.message
        case .timeout: return "no response within the request timeout"
        case .connectionClosed(let why): return why
        case .tooManyInFlight: return "all 32768 stream ids of the connection are in use"
        case .unexpectedResponse(let what): return what
        case .noHostAvailable(let attempts): return "no host available: " + attempts.joined(separator: "; ")
        case .invalidArgument(let what): return what
        }
    }

    public var description: String {
        if let code { return "server error 0x\(String(code, radix: 16, uppercase: true)): \(message)" }
        return message
    }
}

extension CQLClientError {
    /// Cassandra's code for "prepared statement unknown to this node".
    public static let unpreparedCode: Int32 = 0x2500
    public static let syntaxErrorCode: Int32 = 0x2000
    public static let invalidCode: Int32 = 0x2200
}
