import NIOCore

/// [consistency] (spec section 3).
public enum CQLConsistency: UInt16, Hashable, Sendable, CaseIterable {
    case any = 0x0000
    case one = 0x0001
    case two = 0x0002
    case three = 0x0003
    case quorum = 0x0004
    case all = 0x0005
    case localQuorum = 0x0006
    case eachQuorum = 0x0007
    case serial = 0x0008
    case localSerial = 0x0009
    case localOne = 0x000A

    /// Cassandra's spelling, as used in error messages (`LOCAL_ONE`).
    public var name: String {
        switch self {
        case .any: return "ANY"
        case .one: return "ONE"
        case .two: return "TWO"
        case .three: return "THREE"
        case .quorum: return "QUORUM"
        case .all: return "ALL"
        case .localQuorum: return "LOCAL_QUORUM"
        case .eachQuorum: return "EACH_QUORUM"
        case .serial: return "SERIAL"
        case .localSerial: return "LOCAL_SERIAL"
        case .localOne: return "LOCAL_ONE"
        }
    }
}

/// A bound value ([value]): bytes in the type's serialized form, null, or "not set"
/// (leave the column unchanged). `bytes` is a slice of the received frame, not a copy.
public enum CQLValue: Hashable, Sendable {
    case null
    case notSet
    case bytes(ByteBuffer)

    /// The bytes, or nil for null and not-set.
    public var buffer: ByteBuffer? {
        if case .bytes(let b) = self { return b }
        return nil
    }
}

/// [inet]: an IPv4 (4 bytes) or IPv6 (16 bytes) address and a port.
public struct CQLInet: Hashable, Sendable {
    public var address: [UInt8]
    public var port: Int32

    public init(address: [UInt8], port: Int32) {
        self.address = address
        self.port = port
    }
}
