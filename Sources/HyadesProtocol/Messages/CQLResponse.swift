import NIOCore

/// A response message (spec section 4.2), without frame concerns.
public enum CQLResponse: Hashable, Sendable {
    case error(CQLErrorMessage)
    case ready
    /// The authenticator's class name, e.g. `org.apache.cassandra.auth.PasswordAuthenticator`.
    case authenticate(String)
    /// For each STARTUP option, the supported values.
    case supported([String: [String]])
    case result(CQLResult)
    case event(CQLEvent)
    case authChallenge([UInt8]?)
    case authSuccess([UInt8]?)

    public var opcode: CQLOpcode {
        switch self {
        case .error: return .error
        case .ready: return .ready
        case .authenticate: return .authenticate
        case .supported: return .supported
        case .result: return .result
        case .event: return .event
        case .authChallenge: return .authChallenge
        case .authSuccess: return .authSuccess
        }
    }

    /// Roughly the encoded body size: exact enough for rows (the bulk) to avoid regrowth.
    var bodySizeHint: Int {
        if case .result(.rows(let rows)) = self {
            return rows.content.readableBytes + 64 + (rows.metadata.columns?.count ?? 0) * 32
        }
        return 128
    }

    /// Appends the body to `out`.
    public func write(to out: inout ByteBuffer) throws {
        switch self {
        case .error(let e): try e.write(to: &out)
        case .ready: break
        case .authenticate(let name): try out.writeCQLString(name)
        case .supported(let options): try out.writeCQLStringMultimap(options)
        case .result(let r): try r.write(to: &out)
        case .event(let e): try e.write(to: &out)
        case .authChallenge(let token): try out.writeCQLBytes(token)
        case .authSuccess(let token): try out.writeCQLBytes(token)
        }
    }

    /// Decodes a body of the given opcode; trailing bytes are ignored.
    public static func read(opcode: CQLOpcode, from body: inout ByteBuffer) throws -> CQLResponse {
        switch opcode {
        case .error: return .error(try CQLErrorMessage.read(from: &body))
        case .ready: return .ready
        case .authenticate: return .authenticate(try body.readCQLString("authenticator"))
        case .supported: return .supported(try body.readCQLStringMultimap("supported options"))
        case .result: return .result(try CQLResult.read(from: &body))
        case .event: return .event(try CQLEvent.read(from: &body))
        case .authChallenge: return .authChallenge(try body.readCQLBytesArray("auth challenge"))
        case .authSuccess: return .authSuccess(try body.readCQLBytesArray("auth success"))
        default: throw ProtocolError.unexpectedOpcode(opcode, stream: 0)
        }
    }
}
