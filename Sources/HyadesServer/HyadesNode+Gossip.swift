import Foundation
import HyadesCluster
import Logging
import NIOCore
import NIOPosix

extension HyadesNode {
    /// The address peers reach this node at: broadcast_address, else listen_address.
    var broadcastHost: String { config.broadcastAddress ?? config.listenAddress }

    /// This node on the internode network: its host id (kept on disk, so a node that comes
    /// back on another address is still itself) and broadcast address.
    var internodeIdentity: HyadesCluster.NodeIdentity {
        let hostID = withUnsafeBytes(of: identity.hostID.uuid) { HostID(bytes: Array($0)) }
        return HyadesCluster.NodeIdentity(hostID: hostID,
                                          address: InternodeAddress(host: broadcastHost, port: UInt16(config.storagePort)))
    }

    /// The seeds of `seed_provider` as internode addresses ("host" takes this node's
    /// storage_port). Empty: this node is alone until others name it as their seed.
    func seedAddresses(storagePort: Int) -> [InternodeAddress] {
        config.seeds.compactMap { seed in
            let parts = seed.split(separator: ":")
            if parts.count == 2, let port = UInt16(parts[1]) { return InternodeAddress(host: String(parts[0]), port: port) }
            if parts.count == 1 { return InternodeAddress(host: String(parts[0]), port: UInt16(storagePort)) }
            return nil
        }
    }

    /// Starts gossip on `messaging` (the storage_port listener routes internode frames to
    /// it). `storagePort`: the port actually bound.
    func startGossip(messaging: InternodeMessaging, storagePort: Int, nativePort: Int, events: EventRegistry,
                     coordinator: CoordinatorService?, logger: Logger) -> GossipService {
        var configuration = GossipConfiguration(clusterName: config.clusterName,
                                                seeds: seedAddresses(storagePort: storagePort))
        configuration.failureDetector.phiConvictThreshold = config.phiConvictThreshold
        let gossip = GossipService(messaging: messaging, configuration: configuration, processor: processor,
                                   events: events, logger: logger)
        let schemaSync = SchemaSync(messaging: messaging, processor: processor, events: events, logger: logger)
        schemaSync.livePeers = { [weak gossip] in gossip?.livePeers ?? [] }
        gossip.schemaSync = schemaSync
        gossip.coordinator = coordinator
        // Flushes and compactions cut SSTables at this node's range boundaries (StorageShards).
        let shards = StorageShards(engine: engine)
        let local = StorageShards.Member(hostID: internodeIdentity.hostID, address: broadcastHost,
                                         location: Location(dataCenter: config.dataCenter, rack: config.rack),
                                         status: .normal, tokens: identity.tokens)
        let processor = processor
        gossip.peersPublished = { peers in
            shards.update(local: local, peers: peers, keyspaces: Array(processor.schema.snapshot.keyspaces.values))
        }
        // A keyspace created or altered here changes what this node replicates.
        processor.schema.addChangeListener { _, _ in
            shards.update(local: local, peers: processor.cluster.peers, keyspaces: Array(processor.schema.snapshot.keyspaces.values))
        }
        shards.update(local: local, peers: [], keyspaces: Array(processor.schema.snapshot.keyspaces.values))
        schemaSync.start()
        let nativeHost = config.broadcastRPCAddress ?? config.rpcAddress
        gossip.start(node: processor.node, nativeHost: nativeHost, nativePort: nativePort,
                     tokens: identity.tokens.map(\.value), eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        if !configuration.seeds.isEmpty {
            logger.info("gossip started: seeds \(configuration.seeds.map(\.description).joined(separator: ", "))")
        }
        return gossip
    }
}
