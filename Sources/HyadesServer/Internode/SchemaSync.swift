import Foundation
import HyadesCluster
import HyadesCQL
import HyadesService
import Logging

/// Schema between nodes (issue 11 item 4), Cassandra's migration push and pull over
/// internode messaging: a DDL applied on this node is pushed (SCHEMA_PUSH) to every live
/// peer; a peer whose gossiped schema version differs from ours is asked for its schema
/// (SCHEMA_PULL, at most once every two seconds per peer), and answers with a push. Schemas
/// travel whole with their timestamp and the newer wins (`SchemaManager.adopt`), so every
/// node converges on one schema and drivers' schema-agreement waits end. Payload: the
/// schema's timestamp (µs, u64 big-endian) then the schema file's checksummed encoding.
final class SchemaSync: @unchecked Sendable {
    let messaging: InternodeMessaging
    let processor: QueryProcessor
    let events: EventRegistry
    let logger: Logger
    private let lock = NSLock()
    private var lastPull: [InternodeAddress: ClusterTime] = [:]

    init(messaging: InternodeMessaging, processor: QueryProcessor, events: EventRegistry, logger: Logger) {
        self.messaging = messaging
        self.processor = processor
        self.events = events
        self.logger = logger
    }

    func start() {
        messaging.register(.schemaPushReq) { [weak self] frame, from in self?.received(frame.payload, from: from) }
        messaging.register(.schemaPullReq) { [weak self] _, from in self?.push(to: from) }
        processor.schema.addLocalChangeListener { [weak self] _ in self?.pushToLivePeers() }
    }

    /// The peers gossip says are up (set by the gossip service when it starts).
    var livePeers: @Sendable () -> [InternodeAddress] = { [] }

    func pushToLivePeers() {
        for peer in livePeers() { push(to: peer) }
    }

    /// Marks a payload that carries the per-object clock after the timestamp.
    static let clockMagic: [UInt8] = Array("SCK1".utf8)

    func push(to peer: InternodeAddress) {
        messaging.send(.schemaPushReq, payload: Self.payload(processor.schema), to: peer)
    }

    /// timestamp (u64) | "SCK1" | clock length (u32) | clock (SchemaClock.encoded) | schema file bytes
    static func payload(_ schema: SchemaManager) -> [UInt8] {
        let (timestamp, clock, bytes) = schema.syncParts
        let c = clock.encoded
        var payload: [UInt8] = []
        payload.reserveCapacity(16 + c.count + bytes.count)
        for i in 0..<8 { payload.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: timestamp) >> (56 - 8 * UInt64(i)))) }
        payload += clockMagic
        for i in 0..<4 { payload.append(UInt8(truncatingIfNeeded: UInt32(c.count) >> (24 - 8 * UInt32(i)))) }
        payload += c
        payload += bytes
        return payload
    }

    /// Asks `peer` for its schema (gossip saw another schema version there).
    func pull(from peer: InternodeAddress) {
        let now = InternodeMessaging.now()
        let due = lock.withLock { () -> Bool in
            if let last = lastPull[peer], now.since(last) < 2_000_000_000 { return false }
            lastPull[peer] = now
            return true
        }
        if due { messaging.send(.schemaPullReq, payload: [], to: peer) }
    }

    /// Tells registered drivers what a merge changed (SCHEMA_CHANGE events).
    private func announce(_ changes: [SchemaChangePlan]) {
        for change in changes {
            let e = change.event
            if let event = ResultMapping.schemaChange(change: e.change, target: e.target, keyspace: e.keyspace, name: e.name) {
                events.broadcast(.schemaChange(event))
            }
        }
    }

    private func received(_ payload: [UInt8], from peer: InternodeAddress) {
        guard payload.count >= 8 else {
            logger.warning("schema push from \(peer) too short (\(payload.count) bytes): ignored")
            return
        }
        var ts: UInt64 = 0
        for i in 0..<8 { ts = ts << 8 | UInt64(payload[i]) }
        let remote = Int64(bitPattern: ts)
        if payload.count >= 16, Array(payload[8..<12]) == Self.clockMagic {
            let n = payload[12..<16].reduce(0) { $0 << 8 | Int($1) }
            guard payload.count >= 16 + n, let clock = SchemaClock.decode(Array(payload[16..<(16 + n)])) else {
                logger.warning("schema push from \(peer) with a damaged clock: ignored")
                return
            }
            do {
                let (changes, peerIsBehind) = try processor.schema.merge(Array(payload[(16 + n)...]), clock: clock,
                                                                         timestamp: remote, from: "\(peer)")
                if !changes.isEmpty {
                    logger.info("schema from \(peer) merged (version \(processor.schema.schemaVersion))")
                    announce(changes)
                }
                if peerIsBehind { push(to: peer) }
            } catch {
                logger.error("schema from \(peer) not merged: \(error)")
            }
            return
        }
        do {
            if let changes = try processor.schema.adoptChanges(Array(payload[8...]), timestamp: remote, from: "\(peer)") {
                logger.info("schema from \(peer) adopted (version \(processor.schema.schemaVersion))")
                for change in changes {
                    let e = change.event
                    if let event = ResultMapping.schemaChange(change: e.change, target: e.target, keyspace: e.keyspace, name: e.name) {
                        events.broadcast(.schemaChange(event))
                    }
                }
            } else if remote < processor.schema.schemaTimestamp {
                // Theirs is older: they get ours.
                push(to: peer)
            }
        } catch {
            logger.error("schema from \(peer) not adopted: \(error)")
        }
    }
}
