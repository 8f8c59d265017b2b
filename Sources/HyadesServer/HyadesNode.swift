import Foundation
import HyadesCore
import HyadesService
import HyadesStorage
import Logging

/// One node's storage, schema and query processor, opened from a `ServerConfig`:
/// engine, tables from the schema file, commit log replay, identity (tokens, host id).
public final class HyadesNode: Sendable {
    public let config: ServerConfig
    public let engine: StorageEngine
    public let schema: SchemaManager
    public let processor: QueryProcessor
    public let identity: NodeIdentity
    /// Yields the reason once if the engine stops on a disk error.
    public let failures: AsyncStream<String>
    /// Yields the first failed read of each corrupt SSTable file when `disk_failure_policy`
    /// is stop or die (the node then stops serving).
    public let corruptReads: AsyncStream<SSTableReadFailure>
    /// `<data directory>/hyades-status.json` (what `hyades status` shows).
    public let status: NodeStatusFile
    private let logger: Logger

    /// `fileSystem` is the storage seam (tests inject faults through it).
    public init(config: ServerConfig, fileSystem: any FileSystem = PosixFileSystem(),
                logger: Logger = Logger(label: "hyades.node")) throws {
        self.config = config
        self.logger = logger
        let (stream, continuation) = AsyncStream<String>.makeStream()
        self.failures = stream
        var options = StorageEngineOptions()
        options.commitLog = CommitLogOptions(sync: config.commitLogSync, segmentSizeBytes: config.commitlogSegmentSizeBytes)
        let fs = fileSystem
        try fs.createDirectory(config.dataDirectory)
        // First start: tokens from TokenAllocation against the ring learned from the seeds
        // (`allocate_tokens_for_local_replication_factor`; random without it).
        identity = try NodeIdentity.loadOrCreate(directory: config.dataDirectory, numTokens: config.numTokens,
                                                 allocate: config.allocateTokensForLocalReplicationFactor.map { rf in
            { hostID in RingDiscovery.allocateTokens(config: config, hostID: hostID, replicationFactor: rf, logger: logger) }
        })
        let engine = try StorageEngine(commitLogDirectory: config.commitlogDirectory, fileSystem: fs, options: options,
                                   logger: logger,
                                   onFailure: { error in continuation.yield("\(error)"); continuation.finish() })
        self.engine = engine
        let (corrupt, corruptContinuation) = AsyncStream<SSTableReadFailure>.makeStream()
        self.corruptReads = corrupt
        engine.readFailures.policy = config.diskFailurePolicy
        let status = NodeStatusFile(dataDirectory: config.dataDirectory, failures: engine.readFailures,
                                    policy: config.diskFailurePolicy)
        self.status = status
        engine.readFailures.observe(first: { f, policy in
            // Once per file, at error level: file, offset, table, and what the policy does.
            let action: String
            switch policy {
            case .stop: action = "stopping CQL and streaming (disk_failure_policy: stop)"
            case .die: action = "stopping the node (disk_failure_policy: die)"
            case .bestEffort: action = f.outOfReads ? "the SSTable is taken out of reads (disk_failure_policy: best_effort)"
                                                    : "disk_failure_policy: best_effort"
            case .ignore: action = "reads of the damaged data keep failing (disk_failure_policy: ignore)"
            }
            logger.error("corrupt SSTable: \(f.path) at offset \(f.offset) in table \(f.table): \(f.what); \(action); check it with `hyades sstable verify \(f.path)`")
            if policy == .stop || policy == .die { corruptContinuation.yield(f) }
        }, change: { status.write() })
        // Flushes (replay's too) cut SSTables at this node's tokens until gossip knows the
        // ring (StorageShards).
        engine.setShardBoundaries(ShardBoundaries(identity.tokens))
        schema = try SchemaManager(engine: engine, dataDirectory: config.dataDirectory,
                                   memtableLimitBytes: config.memtableHeapSpaceBytes)
        // The engine logs what replay found.
        _ = try engine.replayCommitLog()
        let node = NodeInfo(clusterName: config.clusterName, dataCenter: config.dataCenter, rack: config.rack,
                            hostID: identity.hostID, rpcAddress: Self.ipv4(config.rpcAddress),
                            nativePort: Int32(config.nativeTransportPort),
                            listenAddress: Self.ipv4(config.listenAddress), broadcastAddress: Self.ipv4(config.listenAddress),
                            tokens: identity.tokens.map { String($0.value) })
        processor = QueryProcessor(
            schema: schema, node: node,
            batchGuards: BatchGuards(sizeWarnThresholdBytes: config.batchSizeWarnThresholdBytes,
                                     sizeFailThresholdBytes: config.batchSizeFailThresholdBytes,
                                     unloggedAcrossPartitionsWarnThreshold: config.unloggedBatchAcrossPartitionsWarnThreshold),
            tombstoneThresholds: TombstoneThresholds(warn: config.tombstoneWarnThreshold,
                                                     failure: config.tombstoneFailureThreshold))
    }

    /// Flushes every memtable and shuts the engine down (commit log closed cleanly).
    public func drain() throws {
        if engine.failure == nil { try flushAll() }
        try engine.shutdown()
    }

    /// Flushes every table's memtable and syncs the commit log (the engine stays open).
    public func flushAll() throws {
        for ks in schema.snapshot.keyspaces.values {
            for t in ks.tables.values {
                try engine.table(t.id)?.flush()
            }
        }
        try engine.syncCommitLog()
    }

    static func ipv4(_ s: String) -> [UInt8] {
        let parts = s.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 ? parts : [127, 0, 0, 1]
    }
}
