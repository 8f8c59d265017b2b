import Foundation
import HyadesCluster
import HyadesService
import NIOCore

/// The coordinator's `ReplicaTransport` over internode messaging: each request gets a
/// message id and a callback, answered by the response frame carrying the same id (from
/// the replica's own connection to us) or expired by a timer after the verb's timeout, as
/// Cassandra's MessagingService callbacks are. A reply is delivered exactly once.
final class InternodeReplicaTransport: ReplicaTransport, @unchecked Sendable {
    let messaging: InternodeMessaging
    let eventLoop: any EventLoop
    private let lock = NSLock()
    private var callbacks: [UInt64: (reply: @Sendable (ReplicaReply) -> Void, timer: Scheduled<Void>?)] = [:]
    private var addresses: [HostID: InternodeAddress] = [:]

    /// The verbs whose frames answer a coordinator request.
    static let responseVerbs: [InternodeVerb] = [.mutationRsp, .readRsp, .rangeRsp, .readRepairRsp, .hintRsp, .batchStoreRsp,
                                                 .batchRemoveRsp, .failureRsp]

    init(messaging: InternodeMessaging, eventLoop: any EventLoop) {
        self.messaging = messaging
        self.eventLoop = eventLoop
    }

    func start() {
        for verb in Self.responseVerbs {
            messaging.register(verb) { [weak self] frame, _ in self?.received(frame) }
        }
    }

    /// Where each ring member is reached (gossip publishes it).
    func update(addresses: [HostID: InternodeAddress]) {
        lock.withLock { self.addresses = addresses }
    }

    func send(_ verb: InternodeVerb, payload: [UInt8], to replica: HostID, timeoutMillis: Int64,
              reply: @escaping @Sendable (ReplicaReply) -> Void) {
        guard let address = lock.withLock({ addresses[replica] }) else {
            reply(.failure("no internode address known for host \(replica)"))
            return
        }
        let id = messaging.newMessageID()
        // The callback first, then its timer: a timer that fires at once still finds it.
        lock.withLock { callbacks[id] = (reply, nil) }
        let timer = eventLoop.scheduleTask(in: .milliseconds(timeoutMillis)) { [weak self] () -> Void in self?.expire(id) }
        lock.withLock { callbacks[id]?.timer = timer }
        let expires = ClusterTime(nanoseconds: InternodeMessaging.now().nanoseconds + timeoutMillis * 1_000_000)
        messaging.send(verb, payload: payload, to: address, messageID: id, expiresAt: expires)
    }

    func schedule(afterMillis: Int64, _ body: @escaping @Sendable () -> Void) {
        eventLoop.scheduleTask(in: .milliseconds(afterMillis)) { body() }
    }

    private func take(_ id: UInt64) -> (reply: @Sendable (ReplicaReply) -> Void, timer: Scheduled<Void>?)? {
        lock.withLock { callbacks.removeValue(forKey: id) }
    }

    private func received(_ frame: InternodeFrame) {
        guard let callback = take(frame.messageID) else { return }   // late: already expired
        callback.timer?.cancel()
        if frame.isFailure || frame.verb == .failureRsp {
            callback.reply(.failure(String(decoding: frame.payload, as: UTF8.self)))
        } else {
            callback.reply(.response(frame.payload))
        }
    }

    private func expire(_ id: UInt64) {
        take(id)?.reply(.timeout)
    }

    /// Requests still waiting for an answer.
    var outstanding: Int { lock.withLock { callbacks.count } }
}
