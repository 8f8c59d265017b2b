/// The life of one server connection: STARTUP (with optional compression), optional SASL
/// authentication, then requests. OPTIONS is answered in every state (drivers use it as a
/// heartbeat). Pure: no channel, so every transition is testable directly.
struct CQLServerConnectionStateMachine {
    enum State: Equatable {
        /// Only OPTIONS and STARTUP are allowed.
        case awaitingStartup
        /// STARTUP answered AUTHENTICATE; AUTH_RESPONSE goes to the authenticator.
        case authenticating
        /// Queries flow.
        case ready
    }

    enum RequestAction: Equatable {
        /// Answer directly on the request's stream.
        case reply(CQLResponse)
        /// STARTUP accepted: switch compression on for what follows, then reply.
        case startupAccepted(compression: CQLCompression?, reply: CQLResponse)
        /// Hand the request to the query layer.
        case forward
        /// Answer ERROR 0x000A; the connection stays usable.
        case protocolError(ProtocolError)
    }

    private(set) var state: State = .awaitingStartup
    let supportedOptions: [String: [String]]
    let authenticator: String?

    init(supportedOptions: [String: [String]], authenticator: String?) {
        self.supportedOptions = supportedOptions
        self.authenticator = authenticator
    }

    mutating func requestReceived(_ request: CQLRequest, stream: Int16) -> RequestAction {
        switch (state, request) {
        case (_, .options):
            return .reply(.supported(supportedOptions))

        case (.awaitingStartup, .startup(let options)):
            return startup(options, stream: stream)

        case (.awaitingStartup, _):
            return .protocolError(.invalidState(
                "Unexpected message \(Self.name(request.opcode)), expecting STARTUP or OPTIONS", stream: stream))

        case (_, .startup):
            return .protocolError(.invalidState(
                "Unexpected message STARTUP, the connection is already initialized", stream: stream))

        case (.authenticating, .authResponse):
            return .forward

        case (.authenticating, _):
            return .protocolError(.invalidState(
                "Unexpected message \(Self.name(request.opcode)), expecting SASL response", stream: stream))

        case (.ready, .authResponse):
            return .protocolError(.invalidState("Unexpected message AUTH_RESPONSE, already authenticated", stream: stream))

        case (.ready, _):
            return .forward
        }
    }

    /// The query layer answered; AUTH_SUCCESS completes authentication.
    mutating func responseWritten(_ response: CQLResponse) {
        if state == .authenticating, case .authSuccess = response {
            state = .ready
        }
    }

    private mutating func startup(_ options: [String: String], stream: Int16) -> RequestAction {
        guard let cqlVersion = options[CQLProtocol.StartupKey.cqlVersion] else {
            return .protocolError(.invalidState("Missing value CQL_VERSION in STARTUP message", stream: stream))
        }
        guard cqlVersion.hasPrefix("3.") else {
            return .protocolError(.invalidState("Invalid or unsupported CQL version \(cqlVersion); supported is 3.x",
                                                stream: stream))
        }
        var compression: CQLCompression?
        if let name = options[CQLProtocol.StartupKey.compression], !name.isEmpty {
            guard let c = CQLCompression(rawValue: name.lowercased()) else {
                return .protocolError(.invalidState("Unknown compression algorithm: \(name)", stream: stream))
            }
            compression = c
        }
        // Other keys (DRIVER_NAME, DRIVER_VERSION, ...) are informational and ignored.
        if let authenticator {
            state = .authenticating
            return .startupAccepted(compression: compression, reply: .authenticate(authenticator))
        }
        state = .ready
        return .startupAccepted(compression: compression, reply: .ready)
    }

    static func name(_ opcode: CQLOpcode) -> String {
        switch opcode {
        case .error: return "ERROR"
        case .startup: return "STARTUP"
        case .ready: return "READY"
        case .authenticate: return "AUTHENTICATE"
        case .options: return "OPTIONS"
        case .supported: return "SUPPORTED"
        case .query: return "QUERY"
        case .result: return "RESULT"
        case .prepare: return "PREPARE"
        case .execute: return "EXECUTE"
        case .register: return "REGISTER"
        case .event: return "EVENT"
        case .batch: return "BATCH"
        case .authChallenge: return "AUTH_CHALLENGE"
        case .authResponse: return "AUTH_RESPONSE"
        case .authSuccess: return "AUTH_SUCCESS"
        }
    }
}
