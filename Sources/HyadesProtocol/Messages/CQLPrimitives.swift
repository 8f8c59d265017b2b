import HyadesCore
import NIOCore

/// [consistency] (spec section 3): Core's `ConsistencyLevel`, whose raw values are the
/// protocol's codes, so the wire and the query layer share one type.
public typealias CQLConsistency = ConsistencyLevel

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
