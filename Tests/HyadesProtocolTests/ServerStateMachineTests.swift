import Testing
@testable import HyadesProtocol

@Suite struct ServerStateMachineTests {
    static func machine(auth: String? = nil) -> CQLServerConnectionStateMachine {
        CQLServerConnectionStateMachine(supportedOptions: CQLProtocol.defaultSupportedOptions, authenticator: auth)
    }

    static let query = CQLRequest.query("SELECT 1", CQLQueryParameters())

    @Test func startupWithoutAuthentication() {
        var m = Self.machine()
        #expect(m.state == .awaitingStartup)
        #expect(m.requestReceived(.options, stream: 0) == .reply(.supported(CQLProtocol.defaultSupportedOptions)))
        #expect(m.requestReceived(.startup(["CQL_VERSION": "3.4.7", "COMPRESSION": "LZ4", "DRIVER_NAME": "x"]), stream: 1)
                == .startupAccepted(compression: .lz4, reply: .ready))
        #expect(m.state == .ready)
        #expect(m.requestReceived(Self.query, stream: 2) == .forward)
        #expect(m.requestReceived(.register(["SCHEMA_CHANGE"]), stream: 2) == .forward)
        #expect(m.requestReceived(.options, stream: 3) == .reply(.supported(CQLProtocol.defaultSupportedOptions)))
    }

    @Test func everyRequestBeforeStartupIsRefused() {
        var m = Self.machine()
        for r in [Self.query, .prepare("x"), .execute(id: [1], CQLQueryParameters()), .register([]), .authResponse(nil),
                  .batch(CQLBatch(kind: .logged, statements: []))] {
            guard case .protocolError(let e) = m.requestReceived(r, stream: 5) else {
                Issue.record("\(r) accepted before STARTUP"); continue
            }
            #expect(e.stream == 5 && !e.closesConnection)
        }
        #expect(m.state == .awaitingStartup)
    }

    @Test func saslUntilAuthSuccess() {
        var m = Self.machine(auth: CQLServerConfiguration.passwordAuthenticator)
        #expect(m.requestReceived(.startup(["CQL_VERSION": "3.0.0"]), stream: 0)
                == .startupAccepted(compression: nil, reply: .authenticate(CQLServerConfiguration.passwordAuthenticator)))
        #expect(m.state == .authenticating)
        if case .protocolError = m.requestReceived(Self.query, stream: 1) {} else { Issue.record("query while authenticating") }
        #expect(m.requestReceived(.authResponse([0]), stream: 2) == .forward)
        m.responseWritten(.error(CQLErrorMessage(.badCredentials, "no")))
        #expect(m.state == .authenticating)
        m.responseWritten(.authChallenge([1]))
        #expect(m.state == .authenticating)
        m.responseWritten(.authSuccess(nil))
        #expect(m.state == .ready)
        if case .protocolError = m.requestReceived(.authResponse([0]), stream: 3) {} else { Issue.record("auth after ready") }
        #expect(m.requestReceived(Self.query, stream: 4) == .forward)
    }

    @Test func startupValidation() {
        var m = Self.machine()
        if case .protocolError = m.requestReceived(.startup(["CQL_VERSION": "4.0.0"]), stream: 0) {} else { Issue.record("CQL 4 accepted") }
        if case .protocolError = m.requestReceived(.startup([:]), stream: 0) {} else { Issue.record("no CQL_VERSION accepted") }
        if case .protocolError = m.requestReceived(.startup(["CQL_VERSION": "3.0.0", "COMPRESSION": "deflate"]), stream: 0) {} else {
            Issue.record("deflate accepted")
        }
        #expect(m.state == .awaitingStartup)
        #expect(m.requestReceived(.startup(["CQL_VERSION": "3.0.0", "COMPRESSION": ""]), stream: 0)
                == .startupAccepted(compression: nil, reply: .ready))
    }
}
