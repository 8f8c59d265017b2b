import Foundation
import HyadesCluster
import HyadesCore
import HyadesService
import HyadesStorage
import Logging
import NIOCore
import NIOPosix

/// The replica side of coordinated requests on this node (Cassandra's verb handlers and
/// stages): MUTATION_REQ, READ_REPAIR_REQ and HINT_REQ apply a mutation and answer once
/// the local commit log allows it; READ_REQ and RANGE_REQ read on their own thread pool
/// (never the CQL request pool: coordinators blocked on replicas must not starve the reads
/// that would unblock them). Errors answer FAILURE_RSP with the reason.
final class ReplicaVerbService: @unchecked Sendable {
    let messaging: InternodeMessaging
    let processor: QueryProcessor
    let handler: ReplicaVerbHandler
    let pool: NIOThreadPool
    let logger: Logger

    let batchlog: BatchlogStore

    init(messaging: InternodeMessaging, processor: QueryProcessor, pool: NIOThreadPool, batchlog: BatchlogStore,
         logger: Logger) {
        self.batchlog = batchlog
        self.messaging = messaging
        self.processor = processor
        self.handler = ReplicaVerbHandler(engine: processor.schema.engine)
        self.pool = pool
        self.logger = logger
    }

    func start() {
        for (verb, response) in [(InternodeVerb.mutationReq, InternodeVerb.mutationRsp), (.readRepairReq, .readRepairRsp),
                                 (.hintReq, .hintRsp)] {
            messaging.register(verb) { [weak self] frame, from in self?.mutation(frame, from: from, response: response) }
        }
        messaging.register(.readReq) { [weak self] frame, from in
            self?.onPool(frame, from: from, response: .readRsp) { h, p in try h.read(p) }
        }
        messaging.register(.rangeReq) { [weak self] frame, from in
            self?.onPool(frame, from: from, response: .rangeRsp) { h, p in try h.range(p) }
        }
        // Batchlog: stored durably (fsync) before the answer; removed when the coordinator
        // finished the batch.
        messaging.register(.batchStoreReq) { [weak self] frame, from in
            guard let self else { return }
            let batchlog = self.batchlog
            self.onPool(frame, from: from, response: .batchStoreRsp) { _, p in
                let (id, mutation) = try BatchlogStore.decode(p)
                try batchlog.store(id: id, mutation: mutation, createdMillis: Int64(Date().timeIntervalSince1970 * 1000))
                return []
            }
        }
        messaging.register(.batchRemoveReq) { [weak self] frame, from in
            guard let self else { return }
            let batchlog = self.batchlog
            self.onPool(frame, from: from, response: .batchRemoveRsp) { _, p in
                guard p.count == 16 else { throw MutationSerializationError(offset: 0, reason: "batch id of \(p.count) bytes") }
                batchlog.remove(id: p.withUnsafeBytes { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) })
                return []
            }
        }
    }

    private func respond(_ frame: InternodeFrame, to peer: InternodeAddress, _ verb: InternodeVerb, _ payload: [UInt8]) {
        messaging.send(verb, payload: payload, to: peer, messageID: frame.messageID)
    }

    private func fail(_ frame: InternodeFrame, to peer: InternodeAddress, _ error: any Error) {
        logger.debug("\(frame.verb) from \(peer) failed: \(error)")
        messaging.send(.failureRsp, payload: Array("\(error)".utf8), to: peer, messageID: frame.messageID,
                       flags: InternodeFormat.flagFailure)
    }

    /// Applied on the pool (a full memtable may make the apply wait for room), answered
    /// once the commit log has it as the local writes are (periodic: written; batch and
    /// group: fsynced).
    private func mutation(_ frame: InternodeFrame, from peer: InternodeAddress, response: InternodeVerb) {
        let mutation: Mutation
        do { mutation = try MutationSerializer.deserialize(frame.payload) } catch {
            fail(frame, to: peer, error)
            return
        }
        let apply: @Sendable () -> Void = { [self] in
            do {
                let appended = try handler.apply(mutation)
                processor.whenAcknowledgeable(appended) { [self] error in
                    if let error { fail(frame, to: peer, error) } else { respond(frame, to: peer, response, []) }
                }
            } catch {
                fail(frame, to: peer, error)
            }
        }
        // As the CQL layer's inline writes: a write whose memtables are well below their
        // bound cannot block (the commit log's append is a copy into a mapped segment), so
        // it runs here, on the event loop, without two thread hops; others go to the pool.
        let engine = processor.schema.engine
        if mutation.updates.allSatisfy({ engine.table($0.table)?.writeCannotWaitForSpace ?? false }) {
            apply()
        } else {
            pool.submit { state in
                guard case .active = state else { return }
                apply()
            }
        }
    }

    private func onPool(_ frame: InternodeFrame, from peer: InternodeAddress, response: InternodeVerb,
                        _ body: @escaping @Sendable (ReplicaVerbHandler, [UInt8]) throws -> [UInt8]) {
        pool.submit { [self] state in
            guard case .active = state else { return }
            do {
                respond(frame, to: peer, response, try body(handler, frame.payload))
            } catch {
                fail(frame, to: peer, error)
            }
        }
    }
}
