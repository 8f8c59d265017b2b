/// The outbound side of one peer connection as a state machine (Cassandra's
/// OutboundConnection, without the threads): a bounded queue of encoded frames, the
/// connection's state and a reconnect schedule with exponential backoff and jitter. The NIO
/// handler performs the actions and reports what happened; nothing here blocks or reads a
/// clock, and the jitter comes from the injected generator.
public struct OutboundQueue: Sendable {
    public struct Configuration: Equatable, Sendable {
        /// Most frames waiting for one peer; more are dropped and counted, never buffered.
        public var maxQueuedMessages: Int = 4096
        /// Most bytes waiting for one peer (Cassandra's internode_application_send_queue_capacity, 4 MiB).
        public var maxQueuedBytes: Int = 4 << 20
        /// First reconnect delay and its cap; each failed attempt doubles the delay.
        public var reconnectBaseMillis: Int64 = 100
        public var reconnectMaxMillis: Int64 = 10_000

        public init() {}
    }

    public enum ConnectionState: Equatable, Sendable {
        /// No connection and none wanted yet (nothing was ever queued).
        case idle
        case connecting
        case connected(writable: Bool)
        /// Waiting until `until` before the next attempt.
        case backingOff(until: ClusterTime, attempt: Int)
    }

    /// What the driver must do.
    public enum Action: Equatable, Sendable {
        case connect
        case write([UInt8])
        case scheduleReconnect(at: ClusterTime)
    }

    /// Counts of frames that were not sent, by reason (exposed as metrics).
    public struct Dropped: Equatable, Sendable {
        /// The queue was full (messages or bytes).
        public var overflow = 0
        /// The frame's verb timeout passed while it waited.
        public var expired = 0
        public init() {}
    }

    struct Pending: Sendable {
        var bytes: [UInt8]
        var expiresAt: ClusterTime?
    }

    public let configuration: Configuration
    public private(set) var state: ConnectionState = .idle
    public private(set) var dropped = Dropped()
    public private(set) var queuedBytes = 0
    public private(set) var failedAttempts = 0
    private var queue: [Pending] = []
    private var head = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var queuedMessages: Int { queue.count - head }

    /// Queues (or writes at once, when connected and writable) one encoded frame.
    /// `expiresAt`: when its verb's timeout passes (nil: never, e.g. gossip).
    public mutating func enqueue(_ frame: [UInt8], expiresAt: ClusterTime?, now: ClusterTime) -> [Action] {
        if case .connected(writable: true) = state, queuedMessages == 0 {
            return [.write(frame)]
        }
        guard queuedMessages < configuration.maxQueuedMessages,
              queuedBytes + frame.count <= configuration.maxQueuedBytes else {
            dropped.overflow += 1
            return []
        }
        queue.append(Pending(bytes: frame, expiresAt: expiresAt))
        queuedBytes += frame.count
        if state == .idle {
            state = .connecting
            return [.connect]
        }
        return []
    }

    /// The connection is up (handshake sent): flush what waited.
    public mutating func connected(now: ClusterTime) -> [Action] {
        state = .connected(writable: true)
        failedAttempts = 0
        return flush(now: now)
    }

    /// The channel's writability changed (NIO's high/low watermarks).
    public mutating func writabilityChanged(_ writable: Bool, now: ClusterTime) -> [Action] {
        guard case .connected = state else { return [] }
        state = .connected(writable: writable)
        return writable ? flush(now: now) : []
    }

    /// A connect attempt failed or an established connection closed: back off, then retry
    /// while anything is queued (an idle peer is only reconnected when a message arrives).
    public mutating func connectionLost(now: ClusterTime, using rng: inout some RandomNumberGenerator) -> [Action] {
        failedAttempts += 1
        if queuedMessages == 0, case .connected = state {
            failedAttempts = 0
            state = .idle
            return []
        }
        let delay = Self.backoffMillis(attempt: failedAttempts, configuration: configuration, using: &rng)
        let until = now.adding(milliseconds: delay)
        state = .backingOff(until: until, attempt: failedAttempts)
        return [.scheduleReconnect(at: until)]
    }

    /// The reconnect timer fired.
    public mutating func reconnectTimerFired(now: ClusterTime) -> [Action] {
        guard case .backingOff(let until, _) = state, now >= until else { return [] }
        dropExpired(now: now)
        if queuedMessages == 0 {
            state = .idle
            return []
        }
        state = .connecting
        return [.connect]
    }

    /// Delay before attempt `attempt` (1-based): the capped exponential `base * 2^(attempt-1)`,
    /// of which the second half is random ("equal jitter"), so peers that lost a node at the
    /// same moment do not reconnect in lockstep and the delay never collapses to zero.
    public static func backoffMillis(attempt: Int, configuration: Configuration,
                                     using rng: inout some RandomNumberGenerator) -> Int64 {
        let exponent = min(max(attempt - 1, 0), 30)
        let capped = min(configuration.reconnectMaxMillis, configuration.reconnectBaseMillis << Int64(exponent))
        let half = capped / 2
        return half + (half > 0 ? Int64.random(in: 0 ... half, using: &rng) : 0)
    }

    private mutating func dropExpired(now: ClusterTime) {
        var kept: [Pending] = []
        for p in queue[head...] {
            if let e = p.expiresAt, e <= now {
                dropped.expired += 1
                queuedBytes -= p.bytes.count
            } else {
                kept.append(p)
            }
        }
        queue = kept
        head = 0
    }

    private mutating func flush(now: ClusterTime) -> [Action] {
        var actions: [Action] = []
        while head < queue.count {
            let p = queue[head]
            head += 1
            queuedBytes -= p.bytes.count
            if let e = p.expiresAt, e <= now {
                dropped.expired += 1
                continue
            }
            actions.append(.write(p.bytes))
        }
        queue.removeAll(keepingCapacity: true)
        head = 0
        return actions
    }
}
