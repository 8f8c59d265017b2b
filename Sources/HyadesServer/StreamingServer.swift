import Foundation
import HyadesProtocol
import HyadesService
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Limits of the streaming listener (spec: docs/formats/streaming.md).
public struct StreamingServerConfiguration: Sendable, Hashable {
    public var maxFrameBytes = StreamingFormat.defaultMaxFrameBytes
    /// Bytes one session (and so one file) may announce (`streaming_max_session_size`).
    public var maxSessionBytes: UInt64 = 64 << 30
    /// Sessions received at once, node-wide; more are told "busy".
    public var maxConcurrentSessions = 16
    /// Threads that fsync received files and verify + adopt sessions. Its own pool, so a
    /// long verification of a large SSTable never occupies the CQL request threads.
    public var importThreads = 1
    /// Also decompress and walk every block of an imported SSTable before adopting it
    /// (`streaming_import_extended_verify`); by default every checksum is verified only.
    public var importExtendedVerify = false

    public init() {}
}

/// The listener on `storage_port` that receives streamed SSTables (`hyades load`,
/// `hyades sstable import`) and adopts them into tables. One session per connection;
/// each connection is served by its own task; fsyncs and imports run on a dedicated pool.
public final class StreamingServer: Sendable {
    let schema: SchemaManager
    let host: String
    let port: Int
    let configuration: StreamingServerConfiguration
    let group: any EventLoopGroup
    /// Owned: started by `start()`, shut down by `stop()`.
    let pool: NIOThreadPool
    let logger: Logger
    let active: ActiveStreamingSessions
    private let running = Mutex<(channel: (any Channel)?, task: Task<Void, Never>?)>((nil, nil))
    let children = StreamingConnections()
    /// Internode messaging shares the port: connections whose first bytes are an internode
    /// frame go to it (`StoragePortSniffer`); nil: such connections are closed.
    let internode: InternodeMessaging?
    /// `hyades nodetool` requests share the port too ("HYAD" frames, docs/formats/admin.md);
    /// nil: such connections are closed.
    let admin: AdminService?

    public init(schema: SchemaManager, host: String, port: Int,
                configuration: StreamingServerConfiguration = StreamingServerConfiguration(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                internode: InternodeMessaging? = nil,
                admin: AdminService? = nil,
                logger: Logger = Logger(label: "hyades.streaming")) {
        self.internode = internode
        self.admin = admin
        self.schema = schema
        self.host = host
        self.port = port
        self.configuration = configuration
        self.group = group
        self.pool = NIOThreadPool(numberOfThreads: max(1, configuration.importThreads))
        self.logger = logger
        self.active = ActiveStreamingSessions(limit: max(1, configuration.maxConcurrentSessions))
    }

    /// Removes staging directories left by a crash, binds, and starts accepting sessions;
    /// returns the bound address (port 0 = ephemeral).
    @discardableResult
    public func start() async throws -> SocketAddress {
        for t in schema.importTargets {
            try? FileManager.default.removeItem(atPath: t.stagingDirectory)
        }
        let maxFrame = configuration.maxFrameBytes
        let children = self.children
        pool.start()
        let server: NIOAsyncChannel<NIOAsyncChannel<StreamingMessage, StreamingMessage>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { [internode, admin, logger] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(StoragePortSniffer(
                            makeInternodeHandler: { internode?.makeInboundHandler() },
                            makeAdminHandler: { admin.map { AdminInboundHandler(service: $0, logger: logger) } }))
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(StreamingFrameDecoder(maxFrameBytes: maxFrame)))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(StreamingFrameEncoder()))
                        // At most a few frames (~2 MiB each) buffered per connection before
                        // reading pauses: memory stays bounded by sessions x 4 frames.
                        // Held until the accept loop takes it, so one NIO drops (accepted
                        // while the listener closes) is still finished and closed by stop().
                        // Once stopping, a new connection is closed before it is wrapped.
                        return try children.adopt(channel) {
                            try NIOAsyncChannel<StreamingMessage, StreamingMessage>(
                                wrappingChannelSynchronously: channel,
                                configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 4)))
                        }
                    }
                }
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        guard let address = server.channel.localAddress else { throw ServerConfigError("streaming listener has no local address") }
        let task = Task<Void, Never> { [self] in
            _ = try? await server.executeThenClose { connections in
                await withDiscardingTaskGroup { tasks in
                    do {
                        // Not cancelled by stop(): the stream ends once the listener is
                        // closed and every connection accepted before is handed out.
                        for try await connection in connections {
                            if children.take(connection) {
                                tasks.addTask { await self.serve(connection) }
                            } else {
                                // Accepted while the node stops: refused, but finished
                                // properly (a dropped NIOAsyncChannel traps).
                                tasks.addTask { try? await connection.executeThenClose { _, _ in } }
                            }
                        }
                    } catch {
                        logger.debug("streaming listener stopped accepting: \(error)")
                    }
                }
            }
        }
        running.withLock { $0 = (server.channel, task) }
        logger.info("SSTable streaming listening on \(address)")
        return address
    }

    /// Stops accepting: the listening socket is closed; connections accepted so far are
    /// still served until `stop()` ends them.
    public func stopAccepting() async {
        children.stopAccepting()
        let channel = running.withLock { $0.channel }
        try? await channel?.close()
    }

    /// Stops accepting and ends every session: one receiving files is discarded (its
    /// client retries), a COMMIT under way completes its import and is answered first, a
    /// COMMIT that arrives after this started is refused (node error, nothing adopted).
    /// When this returns every accepted connection is closed and no import is running,
    /// so the engine can be drained.
    public func stop() async {
        await stopAccepting()
        let task = running.withLock { r in
            let old = r.task
            r = (nil, nil)
            return old
        }
        // Connections not in a COMMIT are closed now: their sessions end and are discarded.
        for c in children.idle() { try? await c.close() }
        await task?.value
        // Connections NIO accepted but never handed to the accept loop.
        for c in children.untaken() { try? await c.executeThenClose { _, _ in } }
        try? await pool.shutdownGracefully()
    }

    private func serve(_ connection: NIOAsyncChannel<StreamingMessage, StreamingMessage>) async {
        let receiver = StreamingReceiver(schema: schema, configuration: configuration, pool: pool, active: active,
                                         connections: children, channel: connection.channel)
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "?"
        defer { children.finished(connection.channel) }
        do {
            try await connection.executeThenClose { inbound, outbound in
                defer { receiver.discard() }
                do {
                    for try await message in inbound {
                        if let reply = try await receiver.receive(message) { try await outbound.write(reply) }
                        if receiver.finished { break }
                    }
                } catch let e as StreamingRefusal {
                    logger.warning("streaming session from \(peer) refused: \(e.message)")
                    try? await outbound.write(.error(code: e.code, message: e.message))
                } catch let e as StreamingProtocolError {
                    logger.warning("streaming session from \(peer): \(e.message)")
                    try? await outbound.write(.error(code: e.code, message: e.message))
                }
            }
        } catch {
            // The connection dropped: what was staged is discarded; the client retries.
            logger.info("streaming connection from \(peer) ended: \(error)")
        }
    }
}
