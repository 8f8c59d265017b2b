import HyadesProtocol
import HyadesStorage
import NIOCore
import NIOPosix
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
        // One request thread per core, coordinator or not: point reads that need other
        // replicas are deferred and run again when their data is here (ReplicaPrefetch), and
        // writes are answered from callbacks, so no request thread waits for the network.
        let pool = NIOThreadPool.singleton
        let poolThreads = System.coreCount
        server = CQLServer(processor: node.processor, host: config.rpcAddress, port: config.nativeTransportPort,
                           configuration: cql, limits: config.inFlightLimits, roles: roles, threadPool: pool,
                           poolThreads: poolThreads, logger: logger)
    }

    public func run() async throws {
        let native: SocketAddress
        do {
            native = try await server.start()
        } catch {
            // E.g. the port is taken: still close the engine cleanly before exiting.
            try? node.drain()
            throw ServerConfigError("cannot listen on \(node.config.rpcAddress):\(node.config.nativeTransportPort): \(error)")
        }
        // SSTable streaming (bulk load, `hyades sstable import`) on storage_port.
        var streamingConfiguration = StreamingServerConfiguration()
        streamingConfiguration.maxSessionBytes = node.config.streamingMaxSessionSizeBytes
        streamingConfiguration.importExtendedVerify = node.config.streamingImportExtendedVerify
        let messaging = InternodeMessaging(identity: node.internodeIdentity, clusterName: node.config.clusterName,
                                           group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        // `hyades nodetool` (gossipinfo, tablestats, flush, compact, drain) on the same port.
        let admin = AdminService(node: node, logger: logger)
        let streaming = StreamingServer(schema: node.schema, host: node.config.listenAddress, port: node.config.storagePort,
                                        configuration: streamingConfiguration, internode: messaging, admin: admin,
                                        logger: logger)
        var gossip: GossipService?
        var coordinator: CoordinatorService?
        do {
            let bound = try await streaming.start()
            messaging.listening(onPort: bound.port ?? node.config.storagePort)
            // The coordinator and replica verbs, then gossip (cluster membership), on the
            // same port once it listens.
            do {
                coordinator = try CoordinatorService(node: node, messaging: messaging, logger: logger)
                coordinator?.start()
            } catch {
                logger.error("coordinator not started (writes and reads stay on this node): \(error)")
            }
            gossip = node.startGossip(messaging: messaging, storagePort: bound.port ?? node.config.storagePort,
                                      nativePort: native.port ?? node.config.nativeTransportPort,
                                      events: server.events, coordinator: coordinator, logger: logger)
            admin.attach(gossip: gossip)
        } catch {
            // The CQL service stays up: several nodes (or test runs) on one machine may share
            // a storage_port; only bulk import is unavailable, and the log says why.
            logger.error("SSTable streaming disabled: cannot listen on \(node.config.listenAddress):\(node.config.storagePort) (storage_port): \(error)")
        }
        logger.info("node \(node.identity.hostID) serving, \(node.identity.tokens.count) tokens")
        node.status.set("serving")
        // Serve until the engine fails, a read meets a corrupt SSTable under
        // disk_failure_policy stop or die, or shutdown is requested.
        let stopReason = await Self.firstStop(node, admin: admin)
        if case .drain(let request) = stopReason {
            try await drain(request, admin: admin, streaming: streaming, messaging: messaging, gossip: gossip,
                            coordinator: coordinator)
            return
        }
        admin.refuseDrains("the node is stopping")
        if case .corrupt(let f) = stopReason {
            // stop: clients are turned away, the process stays up (for the operator to look
            // at it) until it is stopped; die: the process exits non-zero.
            let policy = node.config.diskFailurePolicy
            let why = "a read met a corrupt SSTable: \(f.path) at offset \(f.offset) in table \(f.table): \(f.what)"
            logger.error("disk_failure_policy \(policy.rawValue): no longer serving CQL (native_transport_port) or SSTable streaming (storage_port): \(why)")
            await Self.closeListeners(server: server, streaming: streaming)
            logger.info("listeners closed and every connection ended")
            if policy == .die {
                node.status.set("died", reason: why)
                try? node.engine.syncCommitLog()
                try? node.engine.shutdown()
                throw NodeDied(reason: why)
            }
            node.status.set("not serving", reason: "disk_failure_policy stop: \(why)")
            logger.error("the node stays up without serving clients until it is stopped (SIGTERM); replace the damaged file with a good copy (see docs/operations.md) and restart")
            try? await gracefulShutdown()
            logger.info("draining: flushing memtables")
        } else {
            logger.info("draining: closing the listeners, finishing in-flight requests, flushing memtables")
            node.status.set("draining")
            await Self.closeListeners(server: server, streaming: streaming)
            logger.info("listeners closed and every connection ended")
            // Then, as Cassandra's drain does after stopping the native transport, peers are
            // told of the shutdown: they mark this node DOWN at once (no wait for the failure
            // detector), and drivers, whose connections to it are already closed, take the
            // DOWN event (they ignore one while a connection to the node is still open).
            gossip?.shutdown()
        }
        if let reason = node.engine.failure {
            node.status.set("died", reason: "storage engine stopped on a disk error: \(reason)")
            try? node.engine.shutdown()
            throw NodeStopped(reason: reason)
        }
        await messaging.shutdown()
        coordinator?.stop()
        try node.drain()
        node.status.set("stopped")
        logger.info("drained; storage engine shut down cleanly")
    }

    /// `nodetool drain`, as Cassandra's: the node stops serving clients (native transport
    /// closed, in-flight requests answered), announces its shutdown to gossip, stops
    /// internode messaging and SSTable streaming, flushes every memtable and shuts the
    /// storage engine down; the process stays up, serving nothing, until it is stopped
    /// (SIGTERM), and then exits 0 without draining again.
    func drain(_ request: DrainRequest, admin: AdminService, streaming: StreamingServer,
               messaging: InternodeMessaging, gossip: GossipService?, coordinator: CoordinatorService?) async throws {
        admin.drainTaken()
        logger.info("draining (nodetool drain): closing the listeners, finishing in-flight requests, flushing memtables")
        node.status.set("draining")
        await server.stopAccepting()
        await server.stop()
        gossip?.shutdown()
        // No new storage_port connection or COMMIT from here; sessions under way end below,
        // once nodetool has its answer (its connection is on this listener too).
        await streaming.stopAccepting()
        await messaging.shutdown()
        do {
            try node.flushAll()
        } catch {
            request.finish(error)
            await streaming.stop()
            node.status.set("died", reason: "drain failed: \(error)")
            try? node.engine.shutdown()
            throw NodeStopped(reason: "drain failed: \(error)")
        }
        coordinator?.stop()
        // The engine is shut down (commit log closed cleanly) and the status says so before
        // nodetool gets its answer: what it reports is done. An import still under way on
        // storage_port fails cleanly against the stopped engine.
        try node.drain()
        node.status.set("drained")
        request.finish()
        await request.waitAnswered()
        await streaming.stop()
        logger.info("DRAINED: no longer serving CQL, gossip, internode messaging or streaming; stop the process to exit")
        try? await gracefulShutdown()
        logger.info("stopping a drained node")
        node.status.set("stopped")
    }

    enum StopReason: Sendable {
        case shutdown, engineFailed, corrupt(SSTableReadFailure), drain(DrainRequest)
    }

    /// Waits for the first reason to stop serving.
    static func firstStop(_ node: HyadesNode, admin: AdminService? = nil) async -> StopReason {
        let (events, continuation) = AsyncStream<StopReason>.makeStream()
        var watchers = [
            Task { for await _ in node.failures { continuation.yield(.engineFailed); break } },
            Task { for await f in node.corruptReads { continuation.yield(.corrupt(f)); break } },
        ]
        if let admin {
            watchers.append(Task { for await r in admin.drainRequests { continuation.yield(.drain(r)); break } })
        }
        defer { for w in watchers { w.cancel() } }
        for await e in events.cancelOnGracefulShutdown() { return e }
        return .shutdown
    }

    /// Every port stops accepting first; then the connections already accepted end:
    /// streaming sessions still receiving are discarded (a COMMIT under way finishes),
    /// CQL requests under way are answered.
    static func closeListeners(server: CQLServer, streaming: StreamingServer) async {
        await server.stopAccepting()
        await streaming.stopAccepting()
        await streaming.stop()
        await server.stop()
    }
}

/// The storage engine stopped on a disk error (e.g. a failed fsync): the process must
/// exit non-zero; data written since the last good sync may be lost.
public struct NodeStopped: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "storage engine stopped on a disk error: \(reason)" }
}

/// `disk_failure_policy: die` after a read met a corrupt SSTable: the process exits non-zero
/// (the commit log was synced; nothing written is lost).
public struct NodeDied: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { "disk_failure_policy die: \(reason)" }
}
