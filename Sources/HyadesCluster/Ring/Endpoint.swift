/// Where a node sits: its data centre and rack, as its snitch reports them.
public struct Location: Hashable, Sendable, CustomStringConvertible {
    public var dataCenter: String
    public var rack: String

    public init(dataCenter: String, rack: String) {
        self.dataCenter = dataCenter
        self.rack = rack
    }

    /// SimpleSnitch's answer for every node.
    public static let `default` = Location(dataCenter: "datacenter1", rack: "rack1")

    public var description: String { "\(dataCenter)/\(rack)" }
}

/// A node's place in the ring's life cycle (gossip's STATUS: BOOT, NORMAL, LEAVING).
/// Only normal and leaving nodes own ranges; a joining node's tokens are pending.
public enum EndpointStatus: String, Hashable, Sendable {
    case joining
    case normal
    case leaving

    /// Whether the node's tokens count for placement now (Cassandra keeps leaving nodes
    /// in the normal token map until they have left).
    public var ownsTokens: Bool { self != .joining }
}

/// One member of the ring: identity, current address, location and status.
public struct Endpoint: Hashable, Sendable {
    public var hostID: HostID
    /// The address peers and clients use now (`ip` or `ip:port`); it may change across
    /// restarts without changing what the node owns.
    public var address: String
    public var location: Location
    public var status: EndpointStatus

    public init(hostID: HostID, address: String, location: Location, status: EndpointStatus = .normal) {
        self.hostID = hostID
        self.address = address
        self.location = location
        self.status = status
    }
}
