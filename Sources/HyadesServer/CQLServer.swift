import HyadesProtocol
import HyadesService
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The native-protocol listener: one pipeline per client connection (frame codec,
/// connection handler, query handler), queries run on a thread pool.
public final class CQLServer: Sendable {
    public let processor: QueryProcessor
    let group: any EventLoopGroup
    let pool: NIOThreadPool
    /// The pool's threads (requests are spread over this many tasks).
    let poolThreads: Int
    let configuration: CQLServerConfiguration
    let host: String
    let port: Int
    let logger: Logger
    /// Set with PasswordAuthenticator: AUTH_RESPONSE is checked against these roles.
    let roles: RoleStore?
    let events = EventRegistry()
    let tracker = RequestTracker()
    /// Node-wide budgets of in-flight requests (count, bytes, bytes per client IP).
    public let limits: InFlightLimits
    private let channels = Mutex<(server: (any Channel)?, children: [ObjectIdentifier: any Channel], stopping: Bool)>((nil, [:], false))

    public init(processor: QueryProcessor, host: String, port: Int,
                configuration: CQLServerConfiguration = CQLServerConfiguration(),
                limits: InFlightLimitSettings = InFlightLimitSettings(),
                roles: RoleStore? = nil,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                threadPool: NIOThreadPool = NIOThreadPool.singleton,
                poolThreads: Int = System.coreCount,
                logger: Logger = Logger(label: "hyades.cql")) {
        self.poolThreads = poolThreads
        self.processor = processor
        self.host = host
        self.port = port
        self.configuration = configuration
        self.limits = InFlightLimits(limits)
        self.roles = roles
        self.group = group
        self.pool = threadPool
        self.logger = logger
    }

    /// Binds and starts accepting; returns the bound address (port 0 = ephemeral).
    @discardableResult
    public func start() async throws -> SocketAddress {
        let configuration = self.configuration
        let processor = self.processor
        let pool = self.pool
        let events = self.events
        let tracker = self.tracker
        let limits = self.limits
        let roles = self.roles
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Accepted while the node stops: refused (NIO closes the connection).
                    guard self.track(channel) else { throw CQLListenerStopping() }
                    let ops = channel.pipeline.syncOperations
                    try ops.addHandler(ByteToMessageHandler(CQLFrameDecoder(role: .server, maxBodyBytes: configuration.maxBodyBytes)))
                    try ops.addHandler(MessageToByteHandler(CQLFrameEncoder()))
                    try ops.addHandler(InFlightLimitHandler(limits: limits))
                    try ops.addHandler(CQLServerConnectionHandler(configuration: configuration))
                    try ops.addHandler(QueryTracingHandler(traces: processor.traces, coordinator: processor.node.rpcAddress))
                    if let roles {
                        try ops.addHandler(PasswordAuthenticationHandler(roles: roles, pool: pool))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        CQLQueryHandler(processor: processor, pool: pool, events: events, tracker: tracker,
                                        threads: poolThreads))
                }
            }
            .bind(host: host, port: port).get()
        channels.withLock { $0.server = server }
        guard let address = server.localAddress else { throw ServerConfigError("listener has no local address") }
        logger.info("CQL native transport listening on \(address)")
        return address
    }

    /// Records a connection so that stop() closes it; false once stopping.
    private func track(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let tracked = channels.withLock { s -> Bool in
            if s.stopping { return false }
            s.children[id] = channel
            return true
        }
        guard tracked else { return false }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.children.removeValue(forKey: id) }
        }
        return true
    }

    public var localAddress: SocketAddress? { channels.withLock { $0.server?.localAddress } }

    /// Stops accepting: the listening socket is closed and connections accepted from now
    /// on are refused; connections already open keep being served until `stop()`.
    public func stopAccepting() async {
        let server = channels.withLock { s -> (any Channel)? in
            s.stopping = true
            let c = s.server
            s.server = nil
            return c
        }
        try? await server?.close()
    }

    /// Stops accepting, waits for in-flight requests to be answered, closes connections.
    public func stop() async {
        await stopAccepting()
        // Requests already running finish and get their answers before connections close.
        var waited = 0
        while tracker.inFlight > 0, waited < 30_000 {
            try? await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        let children = channels.withLock { Array($0.children.values) }
        for c in children { try? await c.close() }
    }
}

/// The refusal a child initializer gives once the CQL listener is stopping.
struct CQLListenerStopping: Error {}
