import HyadesProtocol
import HyadesStorage
import Logging
import ServiceLifecycle

/// The node as a swift-service-lifecycle Service: serves until graceful shutdown
/// (SIGTERM/SIGINT) or a storage failure, then drains: stop accepting, finish in-flight
/// requests, flush memtables, shut the engine down.
public final class NodeService: Service, Sendable {
    public let node: HyadesNode
    public let server: CQLServer
    let logger: Logger

    public init(config: ServerConfig, fileSystem: any FileSystem = PosixFileSystem(),
                logger: Logger = Logger(label: "hyades")) throws {
        self.logger = logger
        node = try HyadesNode(config: config, fileSystem: fileSystem, logger: logger)
        var roles: RoleStore?
        if config.authenticator == "PasswordAuthenticator" {
            let (store, created) = try RoleStore.openOrCreate(dataDirectory: config.dataDirectory)
            if created {
                logger.warning("PasswordAuthenticator: created the default superuser 'cassandra' (password 'cassandra') in \(store.path); change it with `hyades role set-password cassandra`")
            }
            roles = store
        }
        let cql = CQLServerConfiguration(maxBodyBytes: config.nativeTransportMaxFrameSizeBytes,
                                         maxInFlightRequests: config.nativeTransportMaxInFlightRequests,
                                         authenticator: roles == nil ? nil : CQLServerConfiguration.passwordAuthenticator)
        server = CQLServer(processor: node.processor, host: config.rpcAddress, port: config.nativeTransportPort,
                           configuration: cql, limits: config.inFlightLimits, roles: roles, logger: logger)
    }

    public func run() async throws {
        do {
            try await server.start()
        } catch {
            // E.g. the port is taken: still close the engine cleanly before exiting.
            try? node.drain()
            throw ServerConfigError("cannot listen on \(node.config.rpcAddress):\(node.config.nativeTransportPort): \(error)")
        }
        // SSTable streaming (bulk load, `hyades sstable import`) on storage_port.
        var streamingConfiguration = StreamingServerConfiguration()
        streamingConfiguration.maxSessionBytes = node.config.streamingMaxSessionSizeBytes
        streamingConfiguration.importExtendedVerify = node.config.streamingImportExtendedVerify
        let streaming = StreamingServer(schema: node.schema, host: node.config.listenAddress, port: node.config.storagePort,
                                        configuration: streamingConfiguration, logger: logger)
        do {
            try await streaming.start()
        } catch {
            // The CQL service stays up: several nodes (or test runs) on one machine may share
            // a storage_port; only bulk import is unavailable, and the log says why.
            logger.error("SSTable streaming disabled: cannot listen on \(node.config.listenAddress):\(node.config.storagePort) (storage_port): \(error)")
        }
        logger.info("node \(node.identity.hostID) serving, \(node.identity.tokens.count) tokens")
        // Serve until the engine fails (the stream yields) or shutdown is requested.
        for await _ in node.failures.cancelOnGracefulShutdown() { break }
        logger.info("draining: closing the listener, finishing in-flight requests, flushing memtables")
        // Sessions still receiving are ended; a COMMIT under way finishes before the drain.
        await streaming.stop()
        await server.stop()
        if let reason = node.engine.failure {
            try? node.engine.shutdown()
            throw NodeStopped(reason: reason)
        }
        try node.drain()
        logger.info("drained; storage engine shut down cleanly")
    }
}

/// The storage engine stopped on a disk error (e.g. a failed fsync): the process must
/// exit non-zero; data written since the last good sync may be lost.
public struct NodeStopped: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "storage engine stopped on a disk error: \(reason)" }
}
