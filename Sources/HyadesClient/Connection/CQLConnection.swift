import HyadesProtocol
import NIOCore
import NIOPosix

/// How to open a connection: body compression, credentials, limits.
public struct CQLConnectionConfiguration: Sendable {
    /// Frame body compression asked for in STARTUP; nil = none.
    public var compression: CQLCompression?
    public var connectTimeout: TimeAmount
    /// For PasswordAuthenticator (SASL PLAIN); nil when the node does not ask.
    public var username: String?
    public var password: String?
    /// Largest response body accepted (Cassandra's native_transport_max_frame_size is 16 MiB;
    /// pages can be larger here, so the default is generous).
    public var maxBodyBytes: Int
    /// Requests sent at once; more wait in a client-side queue (in order) until answers
    /// free a slot. Nodes refuse more than a limit per connection (Hyades: 4096, as
    /// Cassandra's native_transport_max_requests_per_connection would) with Overloaded.
    public var maxInFlight: Int
    /// Server-pushed events (stream -1) after `register`; called on the connection's event loop.
    public var onEvent: (@Sendable (CQLEvent) -> Void)?

    public init(compression: CQLCompression? = nil, connectTimeout: TimeAmount = .seconds(5),
                username: String? = nil, password: String? = nil, maxBodyBytes: Int = 256 * 1024 * 1024,
                maxInFlight: Int = 2048, onEvent: (@Sendable (CQLEvent) -> Void)? = nil) {
        self.compression = compression
        self.connectTimeout = connectTimeout
        self.username = username
        self.password = password
        self.maxBodyBytes = maxBodyBytes
        self.maxInFlight = max(1, min(maxInFlight, 32768))
        self.onEvent = onEvent
    }
}

/// One native-protocol v4 connection to one node, ready for requests: OPTIONS and STARTUP
/// (with authentication if the node asks) are done by `connect`. Up to 32768 requests may
/// be in flight at once; answers are matched by stream id.
public final class CQLConnection: Sendable {
    public let host: String
    public let port: Int
    public let channel: any Channel
    /// What STARTUP negotiated.
    public let compression: CQLCompression?
    let multiplexer: CQLRequestMultiplexer

    public var eventLoop: any EventLoop { channel.eventLoop }
    public var isActive: Bool { channel.isActive }
    /// "host:port".
    public var endpoint: String { "\(host):\(port)" }

    private init(host: String, port: Int, channel: any Channel, compression: CQLCompression?, multiplexer: CQLRequestMultiplexer) {
        self.host = host
        self.port = port
        self.channel = channel
        self.compression = compression
        self.multiplexer = multiplexer
    }

    /// Opens a connection and performs the startup conversation.
    public static func connect(host: String, port: Int, configuration: CQLConnectionConfiguration = .init(),
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> CQLConnection {
        let onEvent = configuration.onEvent
        let maxBody = configuration.maxBodyBytes
        let maxInFlight = configuration.maxInFlight
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(configuration.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        // The multiplexer encodes and decodes messages itself (see its comment).
                        try ch.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(CQLFrameDecoder(role: .client, maxBodyBytes: maxBody)))
                        try ch.pipeline.syncOperations.addHandler(
                            CQLRequestMultiplexer(eventLoop: ch.eventLoop, maxInFlight: maxInFlight, onEvent: onEvent))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw CQLClientError.connectionClosed("cannot connect to \(host):\(port): \(error)")
        }
        let multiplexer = try await channel.pipeline.handler(type: CQLRequestMultiplexer.self).get()
        let connection = CQLConnection(host: host, port: port, channel: channel,
                                       compression: configuration.compression, multiplexer: multiplexer)
        do {
            try await connection.startup(configuration)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    private func startup(_ configuration: CQLConnectionConfiguration) async throws {
        let supported = try await request(.options)
        var options = [CQLProtocol.StartupKey.cqlVersion: "3.0.0", "DRIVER_NAME": "HyadesClient", "DRIVER_VERSION": "1.0"]
        if let c = configuration.compression {
            guard case .supported(let map) = supported,
                  map[CQLProtocol.StartupKey.compression, default: []].contains(where: { $0.lowercased() == c.rawValue }) else {
                throw CQLClientError.invalidArgument("\(endpoint) does not support \(c.rawValue) compression")
            }
            options[CQLProtocol.StartupKey.compression] = c.rawValue
        }
        switch try await request(.startup(options)) {
        case .ready:
            return
        case .authenticate(let authenticator):
            guard let user = configuration.username, let password = configuration.password else {
                throw CQLClientError.invalidArgument("\(endpoint) requires authentication (\(authenticator)); give a username and password")
            }
            let token = [0] + Array(user.utf8) + [0] + Array(password.utf8)
            switch try await request(.authResponse(token)) {
            case .authSuccess: return
            case let other: throw CQLClientError.unexpectedResponse("answer to AUTH_RESPONSE: \(other.opcode)")
            }
        case let other:
            throw CQLClientError.unexpectedResponse("answer to STARTUP: \(other.opcode)")
        }
    }

    /// Sends one request; the future fails with `CQLClientError` (ERROR frames become
    /// `.server`). `timeout` nil = wait as long as the connection lives.
    /// Callable from any thread; cheapest from the connection's own event loop.
    @inlinable
    public func send(_ request: CQLRequest, timeout: TimeAmount? = nil) -> EventLoopFuture<CQLResponseEnvelope> {
        sendRequest(request, timeoutNanos: timeout.map { UInt64(max($0.nanoseconds, 1)) } ?? 0)
    }

    @usableFromInline
    func sendRequest(_ request: CQLRequest, timeoutNanos: UInt64) -> EventLoopFuture<CQLResponseEnvelope> {
        multiplexer.send(request, timeoutNanos: timeoutNanos)
    }

    /// Sends one request; `callback` runs once, on `eventLoop`, with the answer or the
    /// `CQLClientError`. No promise, no future: the cheapest way to send.
    @usableFromInline
    func send(_ request: CQLRequest, timeoutNanos: UInt64,
              callback: @escaping @Sendable (Result<CQLResponseEnvelope, any Error>) -> Void) {
        multiplexer.send(request, timeoutNanos: timeoutNanos, callback: callback)
    }

    /// Sends one request and waits for its answer.
    public func request(_ request: CQLRequest, timeout: TimeAmount? = nil) async throws -> CQLResponse {
        try await send(request, timeout: timeout).get().response
    }

    /// Asks for server events (TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE); they go to
    /// the configuration's `onEvent`.
    public func register(_ events: [String]) async throws {
        guard case .ready = try await request(.register(events)) else {
            throw CQLClientError.unexpectedResponse("answer to REGISTER was not READY")
        }
    }

    /// Closes the socket; requests still in flight fail with `.connectionClosed`.
    public func close() async {
        try? await channel.close().get()
    }
}
