import HyadesProtocol
import NIOCore
import Synchronization

/// Connections that sent REGISTER for SCHEMA_CHANGE; events go out on stream -1.
final class EventRegistry: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func register(_ channel: any Channel) {
        channels.withLock { $0[ObjectIdentifier(channel)] = channel }
    }

    func unregister(_ channel: any Channel) {
        _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    func broadcast(_ event: CQLEvent) {
        let targets = channels.withLock { Array($0.values) }
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
