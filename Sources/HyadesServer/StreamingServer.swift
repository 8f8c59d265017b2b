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

    public init(schema: SchemaManager, host: String, port: Int,
                configuration: StreamingServerConfiguration = StreamingServerConfiguration(),
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "hyades.streaming")) {
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
        pool.start()
        let server: NIOAsyncChannel<NIOAsyncChannel<StreamingMessage, StreamingMessage>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(StreamingFrameDecoder(maxFrameBytes: maxFrame)))
                        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(StreamingFrameEncoder()))
                        // At most a few frames (~2 MiB each) buffered per connection before
                        // reading pauses: memory stays bounded by sessions x 4 frames.
                        return try NIOAsyncChannel<StreamingMessage, StreamingMessage>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 4)))
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
                        for try await connection in connections {
                            tasks.addTask { await self.serve(connection) }
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

    /// Stops accepting and ends every session: one receiving files is discarded (its
    /// client retries), a COMMIT under way completes its import first. When this returns
    /// no import is running, so the engine can be drained.
    public func stop() async {
        let (channel, task) = running.withLock { r in
            let old = r
            r = (nil, nil)
            return old
        }
        try? await channel?.close()
        task?.cancel()
        await task?.value
        try? await pool.shutdownGracefully()
    }

    private func serve(_ connection: NIOAsyncChannel<StreamingMessage, StreamingMessage>) async {
        let receiver = StreamingReceiver(schema: schema, configuration: configuration, pool: pool, active: active)
        let peer = connection.channel.remoteAddress.map { "\($0)" } ?? "?"
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
