/// What a node tells another about one endpoint in a SYN or ACK: "I know generation G up
/// to version V" (Cassandra's GossipDigest).
public struct GossipDigest: Hashable, Sendable, CustomStringConvertible {
    public var endpoint: InternodeAddress
    public var generation: Int32
    public var maxVersion: Int32

    public init(endpoint: InternodeAddress, generation: Int32, maxVersion: Int32) {
        self.endpoint = endpoint
        self.generation = generation
        self.maxVersion = maxVersion
    }

    public var description: String { "\(endpoint):\(generation):\(maxVersion)" }
}

/// Round one: the initiator's digests of every endpoint it knows (shuffled).
public struct GossipDigestSyn: Hashable, Sendable {
    public var clusterName: String
    public var partitioner: String
    public var digests: [GossipDigest]

    public init(clusterName: String, partitioner: String, digests: [GossipDigest]) {
        self.clusterName = clusterName
        self.partitioner = partitioner
        self.digests = digests
    }
}

/// Round two: what the receiver wants (digests with the version it has) and what it has
/// that the initiator lacks.
public struct GossipDigestAck: Hashable, Sendable {
    public var digests: [GossipDigest]
    public var states: [InternodeAddress: EndpointState]

    public init(digests: [GossipDigest], states: [InternodeAddress: EndpointState]) {
        self.digests = digests
        self.states = states
    }
}

/// Round three: the initiator sends what the receiver asked for.
public struct GossipDigestAck2: Hashable, Sendable {
    public var states: [InternodeAddress: EndpointState]

    public init(states: [InternodeAddress: EndpointState]) { self.states = states }
}

/// Every gossip-stage message, as the Gossiper sends and receives it. GossipCodec maps
/// each to its verb and payload.
public enum GossipMessage: Hashable, Sendable {
    case syn(GossipDigestSyn)
    case ack(GossipDigestAck)
    case ack2(GossipDigestAck2)
    /// The sender is shutting down cleanly: mark it down now rather than after phi.
    case shutdown
    /// "Are you really there?" before a node is marked UP; answered `echoResponse`.
    case echoRequest
    case echoResponse

    public var verb: InternodeVerb {
        switch self {
        case .syn: return .gossipDigestSyn
        case .ack: return .gossipDigestAck
        case .ack2: return .gossipDigestAck2
        case .shutdown: return .gossipShutdown
        case .echoRequest: return .echoReq
        case .echoResponse: return .echoRsp
        }
    }
}
