/// The keys of a node's gossiped state (Cassandra's ApplicationState). The raw values are
/// Cassandra's enum ordinals and part of the wire format: never change one. Unknown values
/// from a newer node are kept and gossiped on unchanged, so a mixed-version cluster does
/// not lose them.
public struct ApplicationState: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Ring status: "NORMAL,<token>", "BOOT", "LEAVING,<token>", "LEFT,<token>,<expire ms>",
    /// "shutdown,true", "removing,<host id>", "removed,<host id>,<expire ms>", "hibernate,true".
    public static let status = Self(rawValue: 0)
    /// Bytes of live data on disk, as a decimal number.
    public static let load = Self(rawValue: 1)
    /// Schema version UUID.
    public static let schema = Self(rawValue: 2)
    public static let dc = Self(rawValue: 3)
    public static let rack = Self(rawValue: 4)
    public static let releaseVersion = Self(rawValue: 5)
    public static let removalCoordinator = Self(rawValue: 6)
    public static let severity = Self(rawValue: 10)
    public static let netVersion = Self(rawValue: 11)
    public static let hostID = Self(rawValue: 12)
    /// The node's tokens (Hyades: decimal tokens separated by commas).
    public static let tokens = Self(rawValue: 13)
    /// "true" once the node serves CQL.
    public static let rpcReady = Self(rawValue: 14)
    public static let internalAddressAndPort = Self(rawValue: 15)
    /// Where drivers reach the node's CQL port ("host:port"): NATIVE_ADDRESS_AND_PORT.
    public static let nativeAddress = Self(rawValue: 16)
    public static let statusWithPort = Self(rawValue: 17)

    static let names: [UInt16: String] = [
        0: "STATUS", 1: "LOAD", 2: "SCHEMA", 3: "DC", 4: "RACK", 5: "RELEASE_VERSION",
        6: "REMOVAL_COORDINATOR", 10: "SEVERITY", 11: "NET_VERSION", 12: "HOST_ID", 13: "TOKENS",
        14: "RPC_READY", 15: "INTERNAL_ADDRESS_AND_PORT", 16: "NATIVE_ADDRESS_AND_PORT", 17: "STATUS_WITH_PORT",
    ]

    public var description: String { Self.names[rawValue] ?? "APPLICATION_STATE_\(rawValue)" }
}
