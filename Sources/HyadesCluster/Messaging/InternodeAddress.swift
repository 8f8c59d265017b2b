/// Who a node is on the internode network. Cassandra keys gossip by the broadcast address
/// (InetAddressAndPort) and carries the host id as an application state; Hyades does the same.
///
/// The ring (TokenMetadata) keys nodes by `HostID`; gossip, as Cassandra's, by address.

/// A broadcast address: host literal (IPv4 or IPv6 text, as configured) and storage port.
public struct InternodeAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16 = 7000) {
        self.host = host
        self.port = port
    }

    public static func < (a: InternodeAddress, b: InternodeAddress) -> Bool {
        (a.host, a.port) < (b.host, b.port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    func write(to w: inout InternodeWriter) {
        w.string(host)
        w.u16(port)
    }

    static func read(from r: inout InternodeReader) throws(InternodePayloadError) -> InternodeAddress {
        let host = try r.string()
        guard !host.isEmpty else { throw InternodePayloadError(.invalidValue("empty host")) }
        return InternodeAddress(host: host, port: try r.u16())
    }
}

/// The host id on the wire: its two 64-bit halves (the type is the ring's `HostID`).
extension HostID {
    func write(to w: inout InternodeWriter) {
        w.u64(high)
        w.u64(low)
    }

    static func read(from r: inout InternodeReader) throws(InternodePayloadError) -> HostID {
        HostID(high: try r.u64(), low: try r.u64())
    }
}

/// The local node: host id plus broadcast address.
public struct NodeIdentity: Hashable, Sendable {
    public var hostID: HostID
    public var address: InternodeAddress

    public init(hostID: HostID, address: InternodeAddress) {
        self.hostID = hostID
        self.address = address
    }
}
