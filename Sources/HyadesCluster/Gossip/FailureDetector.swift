/// Phi-accrual failure detector (Hayashibara et al.; Cassandra's FailureDetector and
/// ArrivalWindow). Gossip reports each newer heartbeat of a peer; once a second the Gossiper
/// asks whether the silence since the last one is too long:
///
///     phi = PHI_FACTOR * (now - last arrival) / mean(inter-arrival times)
///
/// with PHI_FACTOR = 1 / ln(10), so that the default `phi_convict_threshold` of 8 means the
/// same as it did when Cassandra computed -log10 of an exponential distribution (CASSANDRA-2597).
/// With heartbeats every second a silent node is convicted after about 18.4 s.
public struct FailureDetector: Sendable {
    public struct Configuration: Equatable, Sendable {
        /// `phi_convict_threshold` in cassandra.yaml.
        public var phiConvictThreshold: Double = 8
        /// Arrivals remembered per endpoint.
        public var sampleSize: Int = 1000
        /// First interval recorded for a new endpoint: twice the gossip interval, erring high
        /// (a slow first conviction) rather than low (flapping). `cassandra.fd_initial_value_ms`.
        public var initialValueNanos: Int64 = 2_000_000_000
        /// Longer intervals are not recorded, so a long partition does not teach the detector
        /// to wait longer next time. `cassandra.fd_max_interval_ms`, defaulting to the initial value.
        public var maxIntervalNanos: Int64 = 2_000_000_000
        /// If the detector itself was not asked for this long (GC pause, stalled event loop),
        /// it convicts nobody until as long again has passed. `cassandra.max_local_pause_in_ms`.
        public var maxLocalPauseNanos: Int64 = 5_000_000_000

        public init() {}
    }

    public static let phiFactor = 1.0 / 2.302585092994046 // 1 / ln(10)

    public let configuration: Configuration
    private var windows: [InternodeAddress: ArrivalWindow] = [:]
    private var lastInterpret: ClusterTime?
    private var lastPause: ClusterTime?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// A newer heartbeat (or any newer state) of `endpoint` arrived at `now`.
    public mutating func report(_ endpoint: InternodeAddress, now: ClusterTime) {
        windows[endpoint, default: ArrivalWindow(configuration: configuration)].add(now)
    }

    /// Whether `endpoint` is convicted at `now` (phi over the threshold). Never for an endpoint
    /// that was never reported, nor during the grace period after a local pause.
    public mutating func interpret(_ endpoint: InternodeAddress, now: ClusterTime) -> Bool {
        guard let window = windows[endpoint] else { return false }
        if let last = lastInterpret, now.since(last) > configuration.maxLocalPauseNanos {
            lastInterpret = now
            lastPause = now
            return false
        }
        lastInterpret = now
        if let pause = lastPause, now.since(pause) < configuration.maxLocalPauseNanos {
            return false
        }
        return Self.phiFactor * window.phi(now) > configuration.phiConvictThreshold
    }

    /// Phi as compared with the threshold (scaled by PHI_FACTOR), or nil when unknown.
    public func phi(_ endpoint: InternodeAddress, now: ClusterTime) -> Double? {
        windows[endpoint].map { Self.phiFactor * $0.phi(now) }
    }

    /// Mean inter-arrival time in nanoseconds, or nil when unknown.
    public func meanInterval(_ endpoint: InternodeAddress) -> Double? { windows[endpoint]?.mean }

    /// Forget an endpoint (evicted, or restarted while down: its intervals are relearned).
    public mutating func remove(_ endpoint: InternodeAddress) {
        windows[endpoint] = nil
    }
}

/// The last `sampleSize` inter-arrival times of one endpoint and their running mean
/// (Cassandra's ArrivalWindow over ArrayBackedBoundedStats).
struct ArrivalWindow: Sendable {
    private var intervals: [Int64]
    private var index = 0
    private var filled = false
    private var sum: Int64 = 0
    private(set) var mean: Double = 0
    private var lastArrival: ClusterTime?
    private let capacity: Int
    private let initialValueNanos: Int64
    private let maxIntervalNanos: Int64

    init(configuration: FailureDetector.Configuration) {
        capacity = max(1, configuration.sampleSize)
        intervals = []
        intervals.reserveCapacity(min(capacity, 64))
        initialValueNanos = configuration.initialValueNanos
        maxIntervalNanos = configuration.maxIntervalNanos
    }

    mutating func add(_ now: ClusterTime) {
        if let last = lastArrival {
            let interval = now.since(last)
            if interval <= maxIntervalNanos { record(interval) }
        } else {
            record(initialValueNanos)
        }
        lastArrival = now
    }

    private mutating func record(_ interval: Int64) {
        if index == capacity {
            filled = true
            index = 0
        }
        if filled {
            sum -= intervals[index]
            intervals[index] = interval
        } else {
            intervals.append(interval)
        }
        index += 1
        sum += interval
        mean = Double(sum) / Double(filled ? capacity : index)
    }

    /// Unscaled phi: time since the last arrival over the mean interval.
    func phi(_ now: ClusterTime) -> Double {
        guard let last = lastArrival, mean > 0 else { return 0 }
        return Double(now.since(last)) / mean
    }
}
