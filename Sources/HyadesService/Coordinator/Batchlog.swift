import Foundation
import HyadesCluster
import HyadesCore
import HyadesStorage
import Synchronization

/// Logged batches' safety net (Cassandra's batchlog): before a logged batch that spans
/// several partitions is applied, its mutation is stored on up to two other nodes; once
/// every part reached its level it is removed. A node replays the batches it holds that
/// nobody removed (the coordinator died) after `replayAfterMillis`, so a logged batch is
/// applied entirely or not at all, eventually, whatever happens to its coordinator.
///
/// On disk, one file per batch, `<directory>/<batch id>.batch` (docs/formats/hints.md):
/// `u32 CRC32C of the rest | i64 created (ms) | mutation`; a file whose checksum fails is
/// reported and set aside (renamed `.corrupt`), never replayed half.
public final class BatchlogStore: Sendable {
    public let directory: String
    let fileSystem: any FileSystem

    public init(directory: String, fileSystem: any FileSystem) throws {
        self.directory = directory
        self.fileSystem = fileSystem
        try fileSystem.createDirectory(directory)
    }

    func path(_ id: UUID) -> String { directory + "/" + id.uuidString.lowercased() + ".batch" }

    /// BATCH_STORE_REQ's payload: the batch id then the mutation.
    public static func encode(id: UUID, mutation: Mutation) -> [UInt8] {
        var out = withUnsafeBytes(of: id.uuid) { Array($0) }
        MutationSerializer.serialize(mutation, into: &out)
        return out
    }

    public static func decode(_ payload: [UInt8]) throws -> (UUID, Mutation) {
        guard payload.count > 16 else { throw MutationSerializationError(offset: 0, reason: "batch payload too short") }
        let id = payload.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
        return (id, try MutationSerializer.deserialize(Array(payload[16...])))
    }

    /// Stores a batch durably (fsynced before the answer: the batch must outlive a crash).
    public func store(id: UUID, mutation: Mutation, createdMillis: Int64) throws {
        var body: [UInt8] = []
        for i in 0..<8 { body.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: createdMillis) >> (56 - 8 * UInt64(i)))) }
        MutationSerializer.serialize(mutation, into: &body)
        let crc = CRC32C.checksum(body)
        var bytes: [UInt8] = (0..<4).map { UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32($0))) }
        bytes += body
        let tmp = path(id) + ".tmp"
        let f = try fileSystem.createForWriting(tmp)
        try f.append(bytes)
        try f.sync()
        try f.close()
        try fileSystem.rename(tmp, to: path(id))
        try fileSystem.syncDirectory(directory)
    }

    public func remove(id: UUID) {
        try? fileSystem.removeFile(path(id))
    }

    /// Batches stored before `createdBeforeMillis`, oldest first; damaged files are set aside.
    public func due(createdBeforeMillis: Int64) -> [(id: UUID, mutation: Mutation)] {
        var out: [(UUID, Mutation, Int64)] = []
        for name in (try? fileSystem.listDirectory(directory)) ?? [] where name.hasSuffix(".batch") {
            guard let id = UUID(uuidString: String(name.dropLast(6))) else { continue }
            do {
                let file = try fileSystem.openForReading(directory + "/" + name)
                let bytes = try file.read(at: 0, count: Int(file.size))
                file.close()
                guard bytes.count > 12 else { throw MutationSerializationError(offset: 0, reason: "short batch file") }
                let crc = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[$1]) }
                let body = Array(bytes[4...])
                guard CRC32C.checksum(body) == crc else { throw MutationSerializationError(offset: 0, reason: "checksum mismatch") }
                let created = Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(body[$1]) })
                guard created < createdBeforeMillis else { continue }
                out.append((id, try MutationSerializer.deserialize(Array(body[8...])), created))
            } catch {
                try? fileSystem.rename(directory + "/" + name, to: directory + "/" + name + ".corrupt")
            }
        }
        return out.sorted { $0.2 < $1.2 }.map { ($0.0, $0.1) }
    }
}

extension StorageProxy {
    /// The nodes a batch is logged on: up to two live nodes other than this one, on other
    /// racks first (Cassandra's BatchlogEndpointFilter, without its randomness).
    func batchlogEndpoints(_ t: ClusterTopology) -> [HostID] {
        let others = t.ring.endpoints.keys.filter { $0 != t.local && t.isAlive($0) }.sorted()
        let localRack = t.localLocation.rack
        let otherRacks = others.filter { t.ring.location(of: $0)?.rack != localRack }
        let sameRack = others.filter { t.ring.location(of: $0)?.rack == localRack }
        return Array((otherRacks + sameRack).prefix(2))
    }

    /// A logged batch over several partitions (Cassandra's mutateAtomically): stored in the
    /// batchlog of two other nodes first (WRITE_TIMEOUT with write type BATCH_LOG if they do
    /// not answer), then written like any mutation, then removed from the batchlogs.
    public func mutateAtomically(_ mutation: Mutation, consistency: ConsistencyLevel, topology t: ClusterTopology,
                                 applyLocally: @escaping (Mutation) throws(QueryError) -> CommitLogAppend,
                                 completion: @escaping @Sendable (QueryError?) -> Void) throws(QueryError) {
        let endpoints = batchlogEndpoints(t)
        guard !endpoints.isEmpty else {
            // Nobody to log on: Cassandra refuses unless the level is ANY.
            if consistency == .any {
                try mutate(mutation, consistency: consistency, writeType: "BATCH", topology: t, applyLocally: applyLocally,
                           completion: completion)
                return
            }
            throw QueryError.unavailable(consistency, required: 1, alive: 0)
        }
        // Every part's level is checked before the batch is logged.
        for u in mutation.updates {
            guard let params = replicationOf(u.table) else { throw QueryError.invalid("unconfigured table \(u.table)") }
            let replicas = naturalReplicas(params, u.key.token, t)
            try availability(params, live: replicas.filter(t.isAlive), t).check(consistency)
        }
        let id = UUID()
        let payload = BatchlogStore.encode(id: id, mutation: mutation)
        let logged = ReplicaWait()
        let group = CompletionGroup(count: endpoints.count, completion: logged.complete)
        for host in endpoints {
            transport.send(.batchStoreReq, payload: payload, to: host, timeoutMillis: timeouts.writeRequestMillis) { reply in
                switch reply {
                case .response: group.complete(nil)
                case .failure, .timeout:
                    group.complete(.writeTimeout(consistency, received: 0, blockFor: endpoints.count, writeType: "BATCH_LOG"))
                }
            }
        }
        // The writes start once the batch is logged; this thread does not wait for that.
        // `applyLocally` runs on whatever thread answers last, so it must not hold locks
        // the caller holds (the processor's local apply takes none).
        let box = UncheckedApply(applyLocally)
        logged.whenComplete { [self] error in
            if let error {
                completion(error)
                return
            }
            do throws(QueryError) {
                try mutate(mutation, consistency: consistency, writeType: "BATCH", topology: t,
                           applyLocally: box.apply) { [self] error in
                    if error == nil {
                        let remove = Array(withUnsafeBytes(of: id.uuid) { Array($0) })
                        for host in endpoints {
                            transport.send(.batchRemoveReq, payload: remove, to: host,
                                           timeoutMillis: timeouts.writeRequestMillis) { _ in }
                        }
                    }
                    completion(error)
                }
            } catch {
                completion(error)
            }
        }
    }
}

extension StorageProxy {
    /// Replays the batches `store` holds that were logged before `createdBeforeMillis` and
    /// never removed (their coordinator died, or its removal was lost): each is written to
    /// every replica at ONE (hints for those down), then removed; `done` hears of each.
    public func replayBatchlog(_ store: BatchlogStore, createdBeforeMillis: Int64, topology t: ClusterTopology,
                               done: @escaping @Sendable (UUID, QueryError?) -> Void = { _, _ in }) {
        let engine = self.engine
        for (id, mutation) in store.due(createdBeforeMillis: createdBeforeMillis) {
            do {
                try mutate(mutation, consistency: .one, writeType: "BATCH", topology: t,
                           applyLocally: { m throws(QueryError) in
                               do { return try engine.applyDeferringAcknowledgement(m) } catch {
                                   throw QueryError(.serverError, "batchlog replay: \(error)")
                               }
                           }) { error in
                    if error == nil { store.remove(id: id) }
                    done(id, error)
                }
            } catch {
                done(id, error)
            }
        }
    }
}

/// Carries the caller's local-apply closure to the thread that finishes the batchlog step.
private final class UncheckedApply: @unchecked Sendable {
    let apply: (Mutation) throws(QueryError) -> CommitLogAppend
    init(_ apply: @escaping (Mutation) throws(QueryError) -> CommitLogAppend) { self.apply = apply }
}
