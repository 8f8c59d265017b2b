import HyadesProtocol
import NIOCore

/// What waits for an answer: called once, on the connection's event loop, with the
/// response or the `CQLClientError` that ended the wait. A closure rather than a promise
/// so the hot path allocates one object per request, not a promise, a future and its
/// callback list.
typealias ResponseCallback = @Sendable (Result<CQLResponseEnvelope, any Error>) -> Void

/// The in-flight requests of one connection, indexed by stream id. Confined to the
/// connection's event loop. Flat arrays instead of a dictionary: the hot path (one
/// request out, one response in) then costs two array stores and a stack push/pop.
struct StreamTable {
    /// Protocol v4 streams are Int16; negative ones belong to the server (events).
    static let capacity = 32768

    private var promises: [ResponseCallback?]
    /// Uptime nanoseconds after which the request fails with a timeout; 0 = none.
    private var deadlines: [UInt64]
    /// Ids whose request timed out: the id stays taken until the late answer arrives,
    /// otherwise that answer would be taken for a later request's.
    private var orphaned: [Bool]
    private var free: [Int16]
    /// One past the highest id ever handed out: the timeout sweep looks no further.
    private(set) var highWater = 0
    private(set) var inFlight = 0

    init() {
        promises = Array(repeating: nil, count: Self.capacity)
        deadlines = Array(repeating: 0, count: Self.capacity)
        orphaned = Array(repeating: false, count: Self.capacity)
        // Popped from the end: low ids first, so the sweep range stays small.
        free = (0..<Self.capacity).reversed().map { Int16($0) }
    }

    mutating func acquire(_ promise: @escaping ResponseCallback, deadline: UInt64) -> Int16? {
        guard let id = free.popLast() else { return nil }
        let i = Int(id)
        promises[i] = promise
        deadlines[i] = deadline
        inFlight += 1
        if i >= highWater { highWater = i + 1 }
        return id
    }

    /// The waiting promise for an answer on `stream`, releasing the id; nil for an
    /// orphaned (timed out) or unknown stream.
    mutating func complete(_ stream: Int16) -> ResponseCallback? {
        let i = Int(stream)
        guard i >= 0, i < Self.capacity else { return nil }
        if orphaned[i] {
            orphaned[i] = false
            free.append(stream)
            return nil
        }
        guard let p = promises[i] else { return nil }
        promises[i] = nil
        deadlines[i] = 0
        inFlight -= 1
        free.append(stream)
        return p
    }

    /// Removes and returns the requests whose deadline is before `now`; their ids stay
    /// reserved (orphaned) until answered.
    mutating func expire(now: UInt64) -> [ResponseCallback] {
        var out: [ResponseCallback] = []
        for i in 0..<highWater where deadlines[i] != 0 && deadlines[i] <= now {
            if let p = promises[i] { out.append(p) }
            promises[i] = nil
            deadlines[i] = 0
            orphaned[i] = true
            inFlight -= 1
        }
        return out
    }

    /// Every waiting promise (the connection is gone).
    mutating func drain() -> [ResponseCallback] {
        var out: [ResponseCallback] = []
        for i in 0..<highWater {
            if let p = promises[i] { out.append(p) }
            promises[i] = nil
            deadlines[i] = 0
        }
        inFlight = 0
        return out
    }
}
