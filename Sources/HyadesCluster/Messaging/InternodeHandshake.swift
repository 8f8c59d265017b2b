/// Payload of HANDSHAKE, the first frame on every internode connection (Hyades' equivalent
/// of Cassandra's connection initiation): who is calling, so every later frame on the
/// connection is attributed to that endpoint, and which cluster it thinks it is in.
public struct InternodeHandshake: Equatable, Sendable {
    public var hostID: HostID
    public var address: InternodeAddress
    public var clusterName: String

    public init(hostID: HostID, address: InternodeAddress, clusterName: String) {
        self.hostID = hostID
        self.address = address
        self.clusterName = clusterName
    }

    public func encoded() -> [UInt8] {
        var w = InternodeWriter()
        hostID.write(to: &w)
        address.write(to: &w)
        w.string(clusterName)
        return w.bytes
    }

    public static func decode(_ payload: [UInt8]) throws(InternodePayloadError) -> InternodeHandshake {
        var r = InternodeReader(payload)
        let id = try HostID.read(from: &r)
        let address = try InternodeAddress.read(from: &r)
        let cluster = try r.string()
        try r.finish()
        return InternodeHandshake(hostID: id, address: address, clusterName: cluster)
    }
}
