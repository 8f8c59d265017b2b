import HyadesClient

/// Error text as cqlsh prints it: the Python driver's exception class, then the server's
/// words. Syntax errors show the message alone (`SyntaxException: line 1:7 ...`), other
/// server errors `InvalidRequest: Error from server: code=2200 [Invalid query] message="..."`.
public enum ShellErrors {
    public static func describe(_ error: any Error) -> String {
        if let e = error as? ShellMessageError { return e.message }
        if let e = error as? ShellUsageError { return e.message }
        guard let e = error as? CQLClientError else { return "\(error)" }
        if let code = e.code {
            let (name, what) = names(code)
            if code == 0x2000 { return "\(name): \(e.message)" }
            let hex = String(code, radix: 16, uppercase: false)
            return "\(name): Error from server: code=\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex) [\(what)] message=\"\(e.message)\""
        }
        switch e {
        case .timeout: return "OperationTimedOut: errors={}, \(e.message)"
        case .noHostAvailable: return "NoHostAvailable: \(e.message)"
        case .connectionClosed: return "ConnectionShutdown: \(e.message)"
        default: return "ProtocolError: \(e.message)"
        }
    }

    /// The driver's exception class and cqlsh's bracketed description per error code.
    static func names(_ code: Int32) -> (String, String) {
        switch code {
        case 0x0000: return ("ServerError", "Server error")
        case 0x000A: return ("ProtocolError", "Protocol error")
        case 0x0100: return ("AuthenticationFailed", "Bad credentials")
        case 0x1000: return ("Unavailable", "Unavailable exception")
        case 0x1001: return ("OverloadedErrorMessage", "Request was rejected because the coordinator node is overloaded")
        case 0x1002: return ("IsBootstrappingErrorMessage", "Coordinator node is bootstrapping")
        case 0x1003: return ("TruncateError", "Error during truncate")
        case 0x1100: return ("WriteTimeout", "Coordinator node timed out waiting for replica nodes' responses")
        case 0x1200: return ("ReadTimeout", "Coordinator node timed out waiting for replica nodes' responses")
        case 0x1300: return ("ReadFailure", "Replica(s) failed to execute read")
        case 0x1400: return ("FunctionFailure", "Function failure")
        case 0x1500: return ("WriteFailure", "Replica(s) failed to execute write")
        case 0x2000: return ("SyntaxException", "Syntax error in CQL query")
        case 0x2100: return ("Unauthorized", "Unauthorized")
        case 0x2200: return ("InvalidRequest", "Invalid query")
        case 0x2300: return ("ConfigurationException", "Query invalid because of configuration issue")
        case 0x2400: return ("AlreadyExists", "Already exists")
        case 0x2500: return ("PreparedQueryNotFound", "Unprepared")
        default: return ("ServerError", "Server error")
        }
    }
}
