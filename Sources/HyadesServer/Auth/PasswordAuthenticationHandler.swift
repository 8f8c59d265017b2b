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
}
