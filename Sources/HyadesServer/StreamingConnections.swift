import HyadesProtocol
import NIOCore
import Synchronization

/// The refusal a child initializer gives once the streaming listener is stopping.
struct StreamingListenerStopping: Error {}

/// Every connection of the streaming listener, from the moment its pipeline is built
/// until it is closed, so that shutdown can end each one properly.
///
/// Why it exists: a connection wrapped as an `NIOAsyncChannel` must be finished
/// (`executeThenClose`) before it is released, or swift-nio traps ("NIOAsyncWriter deinited
/// without finish"). NIO drops connections it accepted while the listener closes (their
/// initializer completed after the accept stream ended); holding them here lets `stop()`
/// finish them. Sessions in a COMMIT are marked so that stop lets their import complete
/// and be answered; once stopping, no COMMIT starts.
final class StreamingConnections: Sendable {
    typealias Connection = NIOAsyncChannel<StreamingMessage, StreamingMessage>

    private struct State {
        var stopping = false
        /// Built by the initializer, not yet handed to the accept loop.
        var untaken: [ObjectIdentifier: Connection] = [:]
        /// Being served; true while a COMMIT is under way.
        var served: [ObjectIdentifier: (channel: any Channel, committing: Bool)] = [:]
    }
    private let state = Mutex(State())

    /// Called by the child initializer: wraps the channel (`make`) and holds the result,
    /// under the lock, so that stop() sees every connection built; once stopping, closes
    /// the channel unwrapped and throws.
    func adopt(_ channel: any Channel, _ make: () throws -> Connection) throws -> Connection {
        try state.withLock { s in
            if s.stopping {
                channel.close(promise: nil)
                throw StreamingListenerStopping()
            }
            let c = try make()
            s.untaken[ObjectIdentifier(channel)] = c
            return c
        }
    }

    /// The accept loop takes a connection; false once stopping (it is then refused).
    func take(_ c: Connection) -> Bool {
        state.withLock { s in
            let id = ObjectIdentifier(c.channel)
            s.untaken.removeValue(forKey: id)
            if s.stopping { return false }
            s.served[id] = (c.channel, false)
            return true
        }
    }

    /// A served connection ended.
    func finished(_ channel: any Channel) {
        _ = state.withLock { $0.served.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Before a COMMIT's import: false once stopping (the COMMIT is refused).
    func beginCommit(_ channel: any Channel) -> Bool {
        state.withLock { s in
            if s.stopping { return false }
            s.served[ObjectIdentifier(channel)]?.committing = true
            return true
        }
    }

    func stopAccepting() { state.withLock { $0.stopping = true } }

    /// Served connections not in a COMMIT (closed by stop; their sessions are discarded).
    func idle() -> [any Channel] {
        state.withLock { s in s.served.values.filter { !$0.committing }.map(\.channel) }
    }

    /// Connections NIO built but never handed out; removed from here.
    func untaken() -> [Connection] {
        state.withLock { s in
            let all = Array(s.untaken.values)
            s.untaken = [:]
            return all
        }
    }
}
