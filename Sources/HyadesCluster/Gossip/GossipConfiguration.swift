/// Gossip settings, named after cassandra.yaml and Cassandra's constants.
public struct GossipConfiguration: Equatable, Sendable {
    /// `cluster_name`: a SYN from another cluster is ignored.
    public var clusterName: String
    /// `partitioner`: a SYN with another partitioner is ignored.
    public var partitioner: String = "org.apache.cassandra.dht.Murmur3Partitioner"
    /// `seed_provider` → `seeds`. The node's own address is left out (Cassandra's buildSeedsList).
    public var seeds: [InternodeAddress]
    /// Once a second (Gossiper.intervalInMillis); the driver calls `tick` at this rate.
    public var intervalMillis: Int64 = 1000
    /// How long gossip about a removed endpoint is ignored: 2 × ring_delay (30 s).
    public var quarantineDelayMillis: Int64 = 60_000
    /// A gossip-only member (no tokens) silent this long is removed: half the quarantine delay.
    public var fatClientTimeoutMillis: Int64 = 30_000
    /// Default expiry of a dead endpoint's state (Gossiper.aVeryLongTime: 3 days).
    public var veryLongTimeMillis: Int64 = 259_200_000
    /// Generations further than this ahead of local time are believed corrupt (one year).
    public var maxGenerationDifferenceSeconds: Int64 = 86_400 * 365
    /// An ECHO not answered in this long may be sent again (`request_timeout`).
    public var echoTimeoutMillis: Int64 = 10_000
    public var failureDetector = FailureDetector.Configuration()

    public init(clusterName: String, seeds: [InternodeAddress]) {
        self.clusterName = clusterName
        self.seeds = seeds
    }
}

/// What a gossip event asks the driver to do.
public enum GossipAction: Hashable, Sendable {
    /// Send a gossip message (one-way) to an endpoint.
    case send(GossipMessage, to: InternodeAddress)
    /// Tell the subscribers (ring, drivers' STATUS_CHANGE / TOPOLOGY_CHANGE events, hints).
    case notify(GossipNotification)
}

/// Cassandra's IEndpointStateChangeSubscriber callbacks.
public enum GossipNotification: Hashable, Sendable {
    /// A node new to us (or restarted) joined gossip, with its whole state (onJoin).
    case join(InternodeAddress, EndpointState)
    /// A node we knew came back with a new generation (onRestart; precedes its join).
    case restart(InternodeAddress)
    /// The node is UP (onAlive): drivers get STATUS_CHANGE UP.
    case alive(InternodeAddress)
    /// The node is DOWN (onDead): drivers get STATUS_CHANGE DOWN.
    case dead(InternodeAddress)
    /// An application state changed (onChange), local or remote.
    case change(InternodeAddress, ApplicationState, VersionedValue)
    /// The node was removed from gossip (onRemove).
    case remove(InternodeAddress)
}
