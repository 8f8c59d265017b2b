/// Generation and heartbeat version of a node (Cassandra's HeartBeatState). The generation
/// is the node's start time in seconds, so a restart always gossips a larger one; the
/// version rises every gossip round.
public struct HeartBeatState: Hashable, Sendable, CustomStringConvertible {
    public var generation: Int32
    public var version: Int32

    public init(generation: Int32, version: Int32 = 0) {
        self.generation = generation
        self.version = version
    }

    public var description: String { "HeartBeat(generation=\(generation), version=\(version))" }
}

/// Everything gossiped about one node (Cassandra's EndpointState, without the local
/// liveness, which the Gossiper keeps beside it).
public struct EndpointState: Hashable, Sendable {
    public var heartBeat: HeartBeatState
    public var states: [ApplicationState: VersionedValue]

    public init(heartBeat: HeartBeatState, states: [ApplicationState: VersionedValue] = [:]) {
        self.heartBeat = heartBeat
        self.states = states
    }

    public subscript(_ key: ApplicationState) -> VersionedValue? { states[key] }

    /// The largest of the heartbeat version and every application state's version: what a
    /// digest carries (Gossiper.getMaxEndpointStateVersion).
    public var maxVersion: Int32 {
        states.values.reduce(heartBeat.version) { max($0, $1.version) }
    }

    /// First piece of STATUS ("" when there is no STATUS).
    public var status: String { GossipStatus.kind(of: states[.status]?.value) }

    public var isDeadState: Bool { GossipStatus.deadStates.contains(status) }
    public var isShutdown: Bool { status == GossipStatus.shutdown }
    /// Owns tokens in the ring (not a "fat client" that only gossips).
    public var isRingMember: Bool { GossipStatus.memberStates.contains(status) }

    /// The part of this state newer than `version`, or nil when nothing is: the heartbeat
    /// always travels with newer application states, even when it is not newer itself
    /// (the receiver ignores a redundant one).
    public func newer(than version: Int32) -> EndpointState? {
        let newerStates = states.filter { $0.value.version > version }
        guard heartBeat.version > version || !newerStates.isEmpty else { return nil }
        return EndpointState(heartBeat: heartBeat, states: newerStates)
    }
}
