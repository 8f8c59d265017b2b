/// Who a node is on the internode network. Cassandra keys gossip by the broadcast address
/// (InetAddressAndPort) and carries the host id as an application state; Hyades does the same.
///
/// NOTE for the lead: a minimal identity defined here (branch `gossip`); the Ring/Locator
/// helper may define its own endpoint type. Unify them when merging.

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

/// A node's host id: a UUID kept as two 64-bit halves (no Foundation in this module),
/// printed in the usual 8-4-4-4-12 form, as the HOST_ID application state carries it.
public struct HostID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A random version-4 UUID from the injected generator.
    public static func random(using rng: inout some RandomNumberGenerator) -> HostID {
        let a: UInt64 = rng.next()
        let b: UInt64 = rng.next()
        let h = (a & ~UInt64(0xF000)) | 0x4000
        let l = (b & ~UInt64(0xC000_0000_0000_0000)) | 0x8000_0000_0000_0000
        return HostID(high: h, low: l)
    }

    public static func < (a: HostID, b: HostID) -> Bool { (a.high, a.low) < (b.high, b.low) }

    public var description: String {
        func hex(_ v: UInt64, _ digits: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: digits - s.count) + s
        }
        return "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(high & 0xFFFF, 4))-"
            + "\(hex(low >> 48, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))"
    }

    /// Parses the 8-4-4-4-12 form (either case); nil otherwise.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.map(\.count) == [8, 4, 4, 4, 12] else { return nil }
        let joined = parts.joined()
        guard let h = UInt64(joined.prefix(16), radix: 16), let l = UInt64(joined.suffix(16), radix: 16) else { return nil }
        self.init(high: h, low: l)
    }

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
