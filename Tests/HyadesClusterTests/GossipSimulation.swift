import HyadesCluster

/// SplitMix64: a tiny deterministic generator, so a simulated run replays from its seed.
struct SimulationRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Several Gossipers in one process over a simulated clock and an in-memory network that
/// loses, delays and partitions messages. Every message goes through the real wire codecs
/// (GossipCodec inside an InternodeFrame), so the simulation also exercises the bytes.
/// Everything random comes from one seed: a failing run replays exactly from the printed seed.
struct GossipSimulation {
    enum Event {
        case tick(InternodeAddress)
        case deliver(bytes: [UInt8], from: InternodeAddress, to: InternodeAddress)
    }

    struct Scheduled {
        var at: ClusterTime
        var seq: Int
        var event: Event
    }

    let seed: UInt64
    var rng: SimulationRandom
    var now: ClusterTime
    var nodes: [InternodeAddress: Gossiper] = [:]
    /// Nodes that are running (a stopped node neither ticks nor receives).
    var running: Set<InternodeAddress> = []
    /// Nodes cut off from everyone: messages to or from them are lost.
    var partitioned: Set<InternodeAddress> = []
    var lossProbability = 0.05
    var maxDelayMillis: Int64 = 100
    var notifications: [InternodeAddress: [(ClusterTime, GossipNotification)]] = [:]
    var messagesSent = 0
    var messagesLost = 0
    private var queue: [Scheduled] = []
    private var seq = 0
    private let decoder = InternodeFrameDecoder()
    private var nextMessageID: UInt64 = 0

    static let clusterName = "sim"

    static func address(_ i: Int) -> InternodeAddress { InternodeAddress(host: "127.0.9.\(i + 1)", port: 7000) }

    init(seed: UInt64, start: ClusterTime = .seconds(1_800_000_000)) {
        self.seed = seed
        rng = SimulationRandom(seed: seed)
        now = start
    }

    /// Starts (or restarts) node `i` with a generation of the current second and the usual
    /// application states; it first ticks within one interval.
    mutating func start(_ i: Int, seeds: [Int], generationOffset: Int32 = 0, extraStates: [ApplicationState: String] = [:]) {
        let address = Self.address(i)
        let hostID = HostID.random(using: &rng)
        let config = GossipConfiguration(clusterName: Self.clusterName, seeds: seeds.map(Self.address))
        var g = Gossiper(identity: NodeIdentity(hostID: hostID, address: address),
                         generation: Int32(now.seconds) + generationOffset, configuration: config)
        g.setLocal(.dc, "dc1")
        g.setLocal(.rack, "rack\(i % 3)")
        g.setLocal(.releaseVersion, "5.0.0")
        g.setLocal(.tokens, "\(Int64(i) * 1_000_000)")
        g.setLocal(.status, GossipStatus.normal(tokens: [Int64(i) * 1_000_000]))
        for (k, v) in extraStates.sorted(by: { $0.key < $1.key }) { g.setLocal(k, v) }
        nodes[address] = g
        running.insert(address)
        schedule(.tick(address), afterMillis: Int64.random(in: 1 ... 1000, using: &rng))
    }

    mutating func stop(_ i: Int) {
        running.remove(Self.address(i))
    }

    mutating func setLocal(_ i: Int, _ key: ApplicationState, _ value: String) {
        let a = Self.address(i)
        record(a, nodes[a]!.setLocal(key, value))
    }

    private mutating func schedule(_ event: Event, afterMillis ms: Int64) {
        seq += 1
        let item = Scheduled(at: now.adding(milliseconds: ms), seq: seq, event: event)
        // Keep the queue sorted by (time, sequence): deterministic order for equal times.
        let index = queue.firstIndex { ($0.at, $0.seq) > (item.at, item.seq) } ?? queue.count
        queue.insert(item, at: index)
    }

    /// Runs events until `seconds` of simulated time have passed.
    mutating func run(seconds: Int64) {
        let end = now.adding(milliseconds: seconds * 1000)
        while let first = queue.first, first.at <= end {
            queue.removeFirst()
            now = first.at
            switch first.event {
            case .tick(let a):
                guard running.contains(a) else { continue } // a stopped node's timer dies with it
                let actions = nodes[a]!.tick(now: now, using: &rng)
                record(a, actions)
                schedule(.tick(a), afterMillis: 1000)
            case .deliver(let bytes, let from, let to):
                guard running.contains(to), !partitioned.contains(to), !partitioned.contains(from) else {
                    messagesLost += 1
                    continue
                }
                let frame: InternodeFrame
                switch try! decoder.decode(bytes) {
                case .frame(let f, let consumed):
                    precondition(consumed == bytes.count)
                    frame = f
                case .needMore:
                    fatalError("whole frame expected")
                }
                let message = try! GossipCodec.decode(verb: frame.verb, payload: frame.payload)!
                record(to, nodes[to]!.receive(message, from: from, now: now))
            }
        }
        now = end
    }

    private mutating func record(_ node: InternodeAddress, _ actions: [GossipAction]) {
        for action in actions {
            switch action {
            case .notify(let n):
                notifications[node, default: []].append((now, n))
            case .send(let message, let to):
                messagesSent += 1
                guard running.contains(node), !partitioned.contains(node), !partitioned.contains(to),
                      Double.random(in: 0 ..< 1, using: &rng) >= lossProbability else {
                    messagesLost += 1
                    continue
                }
                let (verb, payload) = GossipCodec.encode(message)
                nextMessageID += 1
                let bytes = InternodeFrame(verb: verb, messageID: nextMessageID, payload: payload).encoded()
                schedule(.deliver(bytes: bytes, from: node, to: to),
                         afterMillis: Int64.random(in: 1 ... maxDelayMillis, using: &rng))
            }
        }
    }

    // MARK: - Views

    /// A node's view of an endpoint without the heartbeat version, which moves every second.
    func view(_ observer: InternodeAddress, of endpoint: InternodeAddress) -> EndpointState? {
        guard var s = nodes[observer]?.endpointStates[endpoint] else { return nil }
        s.heartBeat.version = 0
        return s
    }

    /// Every running node knows every running node with the same generation and application
    /// states as that node itself has, and sees it UP.
    func converged() -> Bool {
        let members = running.sorted()
        for observer in members {
            for endpoint in members where endpoint != observer {
                guard let seen = view(observer, of: endpoint), seen == view(endpoint, of: endpoint),
                      nodes[observer]!.isAlive(endpoint) else { return false }
            }
        }
        return true
    }

    /// Runs second by second until converged; the number of seconds it took, or nil.
    mutating func runUntilConverged(maxSeconds: Int) -> Int? {
        for second in 1 ... maxSeconds {
            run(seconds: 1)
            if converged() { return second }
        }
        return nil
    }

    func notified(_ observer: InternodeAddress, since: ClusterTime, _ match: (GossipNotification) -> Bool) -> Bool {
        (notifications[observer] ?? []).contains { $0.0 >= since && match($0.1) }
    }
}
