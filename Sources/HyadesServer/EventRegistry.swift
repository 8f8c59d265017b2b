import HyadesProtocol
import NIOCore
import Synchronization

/// Connections that sent REGISTER, with the event types each asked for; events go out on
/// stream -1 to those that registered their type (SCHEMA_CHANGE, TOPOLOGY_CHANGE,
/// STATUS_CHANGE).
final class EventRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: (channel: any Channel, types: Set<String>)]>([:])

    func register(_ channel: any Channel, types: [String] = ["SCHEMA_CHANGE"]) {
        channels.withLock { c in
            let id = ObjectIdentifier(channel)
            c[id] = (channel, (c[id]?.types ?? []).union(types))
        }
    }

    func unregister(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func broadcast(_ event: CQLEvent) {
        let type = event.typeName
        let targets = channels.withLock { $0.values.filter { $0.types.contains(type) }.map(\.channel) }
        for c in targets {
            c.writeAndFlush(CQLResponseEnvelope(stream: -1, response: .event(event)), promise: nil)
        }
    }
}

/// Requests being executed or answered, so that a drain can wait for them.
final class RequestTracker: Sendable {
    private let count = Mutex(0)

    func begin(_ n: Int = 1) { count.withLock { $0 += n } }
    func end(_ n: Int = 1) { count.withLock { $0 -= n } }
    var inFlight: Int { count.withLock { $0 } }
}
