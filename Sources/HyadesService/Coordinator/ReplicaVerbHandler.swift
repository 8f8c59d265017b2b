import HyadesCore
import HyadesStorage

/// A replica's side of the coordinator's verbs (Cassandra's MutationVerbHandler,
/// ReadCommandVerbHandler, RangeCommand handling): decode, run on the local engine, encode
/// the answer. No networking here: the server (and the simulation) call these and send the
/// answer back. Reads run with tombstones (unfiltered), so that the coordinator can
/// reconcile replicas by timestamp and a deletion on one replica wins over older data on
/// another.
public struct ReplicaVerbHandler: Sendable {
    public let engine: StorageEngine
    /// Range answers stop after this many bytes of partitions (and say so), so one answer
    /// stays far below the internode frame limit.
    public var rangeResponseBytes = 4 << 20

    public init(engine: StorageEngine) { self.engine = engine }

    /// MUTATION_REQ, READ_REPAIR_REQ, HINT_REQ: applies the mutation; the answer may be sent
    /// once the returned commit-log position is acknowledgeable.
    public func applyMutation(_ payload: [UInt8]) throws -> CommitLogAppend {
        try apply(try MutationSerializer.deserialize(payload))
    }

    /// Applies a decoded mutation (the server decodes first to choose its thread).
    public func apply(_ mutation: Mutation) throws -> CommitLogAppend {
        try engine.applyDeferringAcknowledgement(mutation)
    }

    /// READ_REQ: the partition (data) or its digest.
    public func read(_ payload: [UInt8]) throws -> [UInt8] {
        let command = try ReplicaMessages.decodeRead(payload)
        let partition = try Self.readPartition(engine, command.table, command.key, command.slices)
        switch command.kind {
        case .data: return ReplicaMessages.encodeData(partition)
        case .digest: return ReplicaMessages.digest(partition)
        }
    }

    /// RANGE_REQ: the partitions of the range, up to the limit.
    public func range(_ payload: [UInt8]) throws -> [UInt8] {
        let command = try ReplicaMessages.decodeRange(payload)
        let answer = try Self.readRange(engine, command, maxBytes: rangeResponseBytes)
        return command.digest ? ReplicaMessages.digest(answer) : ReplicaMessages.encode(answer)
    }

    static func store(_ engine: StorageEngine, _ table: TableID) throws -> TableStore {
        guard let store = engine.table(table) else { throw StorageEngineError.unknownTable("\(table)") }
        return store
    }

    /// One partition with its tombstones, nil when nothing (not even a tombstone) is stored.
    public static func readPartition(_ engine: StorageEngine, _ table: TableID, _ key: DecoratedKey,
                                     _ slices: Slices) throws -> PartitionUpdate? {
        let it = try store(engine, table).unfilteredRead(key, slices: slices)
        return try PartitionCollector.next(it, table: table)
    }

    public static func readRange(_ engine: StorageEngine, _ command: ReplicaMessages.RangeCommand,
                                 maxBytes: Int) throws -> ReplicaMessages.RangeResponse {
        let it = try store(engine, command.table).unfilteredScan(command.range, slices: command.slices)
        var out: [PartitionUpdate] = []
        var bytes = 0
        while out.count < command.limit && bytes < maxBytes {
            guard let p = try PartitionCollector.next(it, table: command.table) else {
                return ReplicaMessages.RangeResponse(partitions: out, complete: true)
            }
            bytes += PartitionCollector.estimatedBytes(p)
            out.append(p)
        }
        // Stopped at the limit: complete only if nothing follows.
        let more = try it.nextPartition() != nil
        return ReplicaMessages.RangeResponse(partitions: out, complete: !more)
    }
}

/// Turns the engine's partition streams into whole `PartitionUpdate`s and back.
public enum PartitionCollector {
    /// The next partition of `it` whole, nil at the end.
    public static func next(_ it: any UnfilteredPartitionIterator, table: TableID) throws -> PartitionUpdate? {
        guard let h = try it.nextPartition() else { return nil }
        var rows: [Row] = []
        while let r = try it.nextRow() { rows.append(r) }
        return PartitionUpdate(table: table, key: h.key, partitionDeletion: h.deletion, staticRow: h.staticRow,
                               rangeTombstones: h.rangeTombstones, rows: rows)
    }

    static func estimatedBytes(_ p: PartitionUpdate) -> Int {
        var n = p.key.key.count + 32
        for r in p.rows {
            n += r.clustering.count + 16
            for c in r.columns {
                switch c {
                case .simple(_, let cell): n += cell.value.count + 16
                case .complex: n += 64
                }
            }
        }
        return n
    }
}

/// Partitions held in memory (replica answers) as an engine partition stream, so the
/// engine's own merge reconciles them and its filter applies liveness and TTLs.
public final class UpdatesPartitionIterator: UnfilteredPartitionIterator {
    private let partitions: [PartitionUpdate]
    private var index = -1
    private var rowIndex = 0

    /// `partitions` in ring order.
    public init(_ partitions: [PartitionUpdate]) { self.partitions = partitions }

    public func nextPartition() throws -> PartitionHeader? {
        index += 1
        rowIndex = 0
        guard index < partitions.count else { return nil }
        let p = partitions[index]
        return PartitionHeader(key: p.key, deletion: p.partitionDeletion,
                               rangeTombstones: p.rangeTombstones.sorted { ByteOrder.compare($0.start, $1.start) < 0 },
                               staticRow: p.staticRow)
    }

    public func nextRow() throws -> Row? {
        guard index >= 0, index < partitions.count else { return nil }
        let rows = partitions[index].rows
        guard rowIndex < rows.count else { return nil }
        defer { rowIndex += 1 }
        return rows[rowIndex]
    }
}
