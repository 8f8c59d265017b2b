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

@Suite struct CommonErrorTests {
    @Test func commonErrorsCarryTheirCodesAndFields() throws {
        let u = CQLErrorMessage.unprepared(id: [0x0A, 0xFF])
        #expect(u.code == 0x2500 && u.message.hasPrefix("Prepared query with ID 0aff not found"))
        #expect(CQLErrorMessage.badCredentials.code == 0x0100)
        #expect(CQLErrorMessage.alreadyExists(keyspace: "ks").kind == .alreadyExists(keyspace: "ks", table: ""))
        #expect(CQLErrorMessage.alreadyExists(keyspace: "ks", table: "t").message == "Cannot add already existing table ks.t")
        #expect(CQLErrorMessage.unavailable(.localQuorum, required: 2, alive: 1).message == "Cannot achieve consistency level LOCAL_QUORUM")
        #expect(CQLErrorMessage.invalid("x").code == 0x2200)
        #expect(CQLErrorMessage.syntaxError("x").code == 0x2000)
        // And they survive the wire.
        let env = try roundTrip(.error(u))
        #expect(env.response == .error(u))
    }
}
