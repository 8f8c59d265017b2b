import Foundation
import HyadesCore
import Synchronization

/// One other node as gossip describes it: what `system.peers` / `peers_v2` show drivers
/// (they build their host list and token map from these rows) and what `nodetool status`
/// prints.
public struct PeerInfo: Sendable, Hashable {
    /// Broadcast (internode) address and storage port.
    public var address: [UInt8]
    public var storagePort: Int32
    public var hostID: UUID?
    public var dataCenter: String?
    public var rack: String?
    public var releaseVersion: String?
    /// Where clients reach its CQL port.
    public var nativeAddress: [UInt8]?
    public var nativePort: Int32?
    public var schemaVersion: UUID?
    public var tokens: [String]
    /// NORMAL, BOOT, LEAVING, LEFT, shutdown... (gossip STATUS).
    public var status: String
    public var isAlive: Bool
    /// Bytes of live data on disk (gossip LOAD).
    public var load: Double?
    public var generation: Int32
    public var heartbeat: Int32

    public init(address: [UInt8], storagePort: Int32, hostID: UUID?, dataCenter: String?, rack: String?,
                releaseVersion: String?, nativeAddress: [UInt8]?, nativePort: Int32?, schemaVersion: UUID?,
                tokens: [String], status: String, isAlive: Bool, load: Double?, generation: Int32, heartbeat: Int32) {
        self.address = address
        self.storagePort = storagePort
        self.hostID = hostID
        self.dataCenter = dataCenter
        self.rack = rack
        self.releaseVersion = releaseVersion
        self.nativeAddress = nativeAddress
        self.nativePort = nativePort
        self.schemaVersion = schemaVersion
        self.tokens = tokens
        self.status = status
        self.isAlive = isAlive
        self.load = load
        self.generation = generation
        self.heartbeat = heartbeat
    }

    /// A ring member drivers should know: joined (NORMAL, LEAVING, MOVING) with a host id
    /// and tokens; a node that announced its shutdown keeps its tokens and its rows (it is
    /// DOWN, not gone), as in Cassandra.
    public var isRingMember: Bool {
        ["NORMAL", "LEAVING", "MOVING", "shutdown"].contains(status) && hostID != nil && !tokens.isEmpty
    }
}

/// The node's view of the other nodes, kept up to date by gossip (HyadesServer's
/// GossipService); the system tables read it. Empty on a node that gossips with nobody.
public final class ClusterView: Sendable {
    private let state = Mutex<[PeerInfo]>([])

    public init() {}

    public func update(_ peers: [PeerInfo]) { state.withLock { $0 = peers } }

    /// Every peer known, in address order.
    public var peers: [PeerInfo] { state.withLock { $0 } }

    /// Peers that are ring members (what system.peers lists).
    public var ringMembers: [PeerInfo] { peers.filter(\.isRingMember) }
}
