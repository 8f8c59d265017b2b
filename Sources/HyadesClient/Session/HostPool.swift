import NIOCore
import Synchronization

/// The connections to one node; requests go round-robin over the live ones. A closed
/// connection is replaced in the background (one attempt at a time per slot, retried
/// with a growing pause), so a restarted node is used again without the caller noticing
/// more than the requests that were in flight.
final class HostPool: Sendable {
    let host: String
    let port: Int
    private let slots: Mutex<[Slot]>
    private let next = Atomic<Int>(0)
    private let open: @Sendable () async throws -> CQLConnection

    struct Slot {
        var connection: CQLConnection
        var reconnecting = false
    }

    init(host: String, port: Int, connections: [CQLConnection], open: @escaping @Sendable () async throws -> CQLConnection) {
        self.host = host
        self.port = port
        self.slots = Mutex(connections.map { Slot(connection: $0) })
        self.open = open
    }

    var endpoint: String { "\(host):\(port)" }
    var connections: [CQLConnection] { slots.withLock { $0.map(\.connection) } }

    /// A live connection, or nil when none is up (reconnection is then under way).
    func pick() -> CQLConnection? {
        let start = next.wrappingAdd(1, ordering: .relaxed).oldValue
        var dead: [Int] = []
        let found = slots.withLock { slots -> CQLConnection? in
            let n = slots.count
            for i in 0..<n {
                let j = Int(UInt(bitPattern: start &+ i) % UInt(n))
                if slots[j].connection.isActive { return slots[j].connection }
                if !slots[j].reconnecting {
                    slots[j].reconnecting = true
                    dead.append(j)
                }
            }
            return nil
        }
        for j in dead { reconnect(j) }
        return found
    }

    private func reconnect(_ slot: Int) {
        Task { [open] in
            var pause: UInt64 = 100_000_000
            while !closed {
                if let c = try? await open() {
                    let keep = slots.withLock { s -> Bool in
                        guard !closedFlag(s) else { return false }
                        s[slot] = Slot(connection: c)
                        return true
                    }
                    if !keep { await c.close() }
                    return
                }
                try? await Task.sleep(nanoseconds: pause)
                pause = min(pause * 2, 5_000_000_000)
            }
        }
    }

    private let isClosed = Atomic<Bool>(false)
    private var closed: Bool { isClosed.load(ordering: .relaxed) }
    private func closedFlag(_: [Slot]) -> Bool { closed }

    func closeAll() async {
        isClosed.store(true, ordering: .relaxed)
        for c in connections { await c.close() }
    }
}
