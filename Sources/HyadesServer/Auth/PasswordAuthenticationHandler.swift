import HyadesProtocol
import NIOCore
import NIOPosix

/// Answers AUTH_RESPONSE for PasswordAuthenticator: parses the SASL PLAIN token, checks it
/// against the `RoleStore` on the thread pool (bcrypt is deliberately slow and must not
/// stall the event loop), and replies AUTH_SUCCESS or ERROR 0x0100 with one message for a
/// wrong user and a wrong password alike. Everything else passes through to the query
/// handler; the connection handler's state machine only lets queries through after
/// AUTH_SUCCESS.
final class PasswordAuthenticationHandler: ChannelInboundHandler {
    typealias InboundIn = CQLRequestEnvelope
    typealias InboundOut = CQLRequestEnvelope
    typealias OutboundOut = CQLResponseEnvelope

    private let roles: RoleStore
    private let pool: NIOThreadPool
    /// The logged-in role, once AUTH_SUCCESS went out.
    private(set) var authenticatedUser: String?

    init(roles: RoleStore, pool: NIOThreadPool) {
        self.roles = roles
        self.pool = pool
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if case .query(let text, _) = envelope.request, RoleStatement.mightBe(text) {
            roleStatement(text, stream: envelope.stream, data: data, context: context)
            return
        }
        guard case .authResponse(let token) = envelope.request else {
            context.fireChannelRead(data)
            return
        }
        let stream = envelope.stream
        let roles = self.roles
        let channel = context.channel
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        pool.runIfActive(eventLoop: context.eventLoop) { () -> String? in
            guard let token, let credentials = SASLPlainCredentials(token: token) else {
                // Same cost and answer as a wrong password.
                _ = roles.authenticate(user: "", password: "")
                return nil
            }
            return roles.authenticate(user: credentials.username, password: credentials.password) ? credentials.username : nil
        }.whenComplete { result in
            let response: CQLResponse
            if case .success(let user?) = result {
                bound.value.authenticatedUser = user
                response = .authSuccess(nil)
            } else {
                response = .error(.badCredentials)
            }
            channel.writeAndFlush(CQLResponseEnvelope(stream: stream, response: response), promise: nil)
        }
    }

    /// CREATE / ALTER / DROP ROLE|USER and LIST ROLES|USERS: answered here, where the
    /// logged-in role is known, on the thread pool (hashing is slow on purpose).
    private func roleStatement(_ text: String, stream: Int16, data: NIOAny, context: ChannelHandlerContext) {
        let statement: RoleStatement
        do {
            guard let s = try RoleStatement.parse(text) else {
                context.fireChannelRead(data)
                return
            }
            statement = s
        } catch {
            let e = CQLErrorMessage(.syntaxError, "line 1:0 \(error.message)")
            context.writeAndFlush(wrapOutboundOut(CQLResponseEnvelope(stream: stream, response: .error(e))), promise: nil)
            return
        }
        let roles = self.roles, user = authenticatedUser
        let channel = context.channel, allocator = context.channel.allocator
        pool.runIfActive(eventLoop: context.eventLoop) { () -> CQLResponse in
            RoleStatementExecutor.execute(statement, user: user, roles: roles, allocator: allocator)
        }.whenComplete { result in
            let response: CQLResponse
            switch result {
            case .success(let r): response = r
            case .failure(let error): response = .error(CQLErrorMessage(.serverError, "\(error)"))
            }
            channel.writeAndFlush(CQLResponseEnvelope(stream: stream, response: response), promise: nil)
        }
    }
}
