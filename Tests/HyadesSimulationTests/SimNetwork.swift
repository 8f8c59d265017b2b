import HyadesCluster
import HyadesService

/// The simulated network between the nodes: every message gets a random delay (so
/// messages overtake each other), may be lost, and is dropped when a partition separates
/// its ends at delivery or its destination crashed since it was sent. Each request's
/// reply callback fires exactly once: with the answer, or `.timeout` after the verb's
/// timeout (a lost message or answer looks like a slow one, as on a real network).
///
/// Sends are collected while an event runs and released, sorted by content, when it
/// ends: the coordinator may issue them in dictionary order (which Swift randomises per
/// process), and the random draws must not depend on that order.
final class SimNetwork: @unchecked Sendable {
    struct Outgoing {
        var from: Int
        var incarnation: Int
        var verb: InternodeVerb
        var payload: [UInt8]
        var to: HostID
        var timeoutMillis: Int64
        var reply: @Sendable (ReplicaReply) -> Void
    }

    unowned let sim: Simulation
    private var outbox: [Outgoing] = []
    private var nextMessageID: UInt64 = 1
    var lossRate = 0.0
    /// Partition: nodes with different labels cannot reach each other (nil: none).
    var sides: [Int]?
    var messagesSent = 0
    var messagesLost = 0

    init(sim: Simulation) { self.sim = sim }

    func submit(_ message: Outgoing) { outbox.append(message) }

    /// One-way partition: messages from `from` to `to` are dropped, the other way pass.
    var oneWay: (from: Set<Int>, to: Set<Int>)?

    /// Whether a message from node `a` reaches node `b` now.
    func connected(_ a: Int, _ b: Int) -> Bool {
        if let sides, sides[a] != sides[b] { return false }
        if let oneWay, oneWay.from.contains(a), oneWay.to.contains(b) { return false }
        return true
    }

    /// Releases the sends of the event that just ran.
    func flush() {
        guard !outbox.isEmpty else { return }
        let batch = outbox.sorted { a, b in
            if a.from != b.from { return a.from < b.from }
            if a.to != b.to { return a.to < b.to }
            if a.verb != b.verb { return a.verb < b.verb }
            return a.payload.lexicographicallyPrecedes(b.payload)
        }
        outbox = []
        for m in batch { dispatch(m) }
    }

    private func delay() -> Int64 {
        // Mostly a few ms; sometimes slow enough to overtake or to time out.
        let r = sim.rng.below(100)
        if sim.calm || r < 85 { return Int64(sim.rng.int(in: 1...20)) }
        if r < 98 { return Int64(sim.rng.int(in: 20...800)) }
        return Int64(sim.rng.int(in: 800...4000))
    }

    private func dispatch(_ m: Outgoing) {
        let sender = sim.nodes[m.from]
        guard sender.isUp, sender.incarnation == m.incarnation else { return }
        let id = nextMessageID
        nextMessageID += 1
        sender.pending[id] = m.reply
        let now = sim.now
        sim.schedule(at: now + m.timeoutMillis) { [unowned sim] in
            let node = sim.nodes[m.from]
            guard node.incarnation == m.incarnation, let reply = node.pending.removeValue(forKey: id) else { return }
            reply(.timeout)
        }
        guard let target = sim.index(of: m.to) else {
            sim.schedule(at: now) { [unowned sim] in
                let node = sim.nodes[m.from]
                guard node.incarnation == m.incarnation, let reply = node.pending.removeValue(forKey: id) else { return }
                reply(.failure("unknown host \(m.to)"))
            }
            return
        }
        messagesSent += 1
        if sim.rng.chance(lossRate) {
            messagesLost += 1
            return
        }
        let targetIncarnation = sim.nodes[target].incarnation
        let verb = m.verb
        sim.schedule(at: now + delay()) { [unowned self] in
            let node = sim.nodes[target]
            guard node.isUp, node.incarnation == targetIncarnation, connected(m.from, target) else { return }
            let answer = sim.handle(verb, m.payload, at: target, from: m.from)
            respond(id, answer, from: target, to: m.from, incarnation: m.incarnation)
        }
    }

    private func respond(_ id: UInt64, _ answer: ReplicaReply, from replica: Int, to coordinator: Int, incarnation: Int) {
        messagesSent += 1
        if sim.rng.chance(lossRate) {
            messagesLost += 1
            return
        }
        sim.schedule(at: sim.now + delay()) { [unowned self] in
            let node = sim.nodes[coordinator]
            guard node.isUp, node.incarnation == incarnation, connected(replica, coordinator),
                  let reply = node.pending.removeValue(forKey: id) else { return }
            reply(answer)
        }
    }
}
