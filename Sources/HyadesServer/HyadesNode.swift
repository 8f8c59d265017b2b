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
        identity = try NodeIdentity.loadOrCreate(directory: config.dataDirectory, numTokens: config.numTokens)
        engine = try StorageEngine(commitLogDirectory: config.commitlogDirectory, fileSystem: fs, options: options,
                                   logger: logger,
                                   onFailure: { error in continuation.yield("\(error)"); continuation.finish() })
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
        if engine.failure == nil {
            for ks in schema.snapshot.keyspaces.values {
                for t in ks.tables.values {
                    try engine.table(t.id)?.flush()
                }
            }
            try engine.syncCommitLog()
        }
        try engine.shutdown()
    }

    static func ipv4(_ s: String) -> [UInt8] {
        let parts = s.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 ? parts : [127, 0, 0, 1]
    }
}
