/// How a node learns its own data centre and rack (Cassandra's `IEndpointSnitch` as far as
/// placement needs it). Other nodes' locations arrive by gossip (DC and RACK application
/// states) and are recorded in `TokenMetadata`.
public protocol EndpointSnitch: Sendable {
    /// The class name as `endpoint_snitch` in cassandra.yaml names it.
    var name: String { get }
    var localLocation: Location { get }
    /// Whether peers in the same data centre should be reached on their private address.
    var preferLocal: Bool { get }
}

/// Every node in `datacenter1`, `rack1` (Cassandra's `SimpleSnitch`): for one data centre.
public struct SimpleSnitch: EndpointSnitch, Hashable {
    public init() {}
    public var name: String { "SimpleSnitch" }
    public var localLocation: Location { .default }
    public var preferLocal: Bool { false }
}

/// The node's data centre and rack come from `conf/cassandra-rackdc.properties` and reach
/// the other nodes by gossip (Cassandra's `GossipingPropertyFileSnitch`). Takes the file's
/// text: reading the file is the server's job.
public struct GossipingPropertyFileSnitch: EndpointSnitch, Hashable {
    public static let propertiesFileName = "cassandra-rackdc.properties"

    public let localLocation: Location
    public let preferLocal: Bool
    public var name: String { "GossipingPropertyFileSnitch" }

    public init(location: Location, preferLocal: Bool = false) {
        self.localLocation = location
        self.preferLocal = preferLocal
    }

    /// Parses the properties text. Both `dc` and `rack` must be present (values are
    /// trimmed); `prefer_local` is true only for "true" in any case, as Java's
    /// `Boolean.parseBoolean`.
    public init(rackdcProperties text: String) throws(ConfigurationError) {
        let p = JavaProperties.parse(text)
        guard let dc = p["dc"], let rack = p["rack"] else {
            throw ConfigurationError("DC or rack not found in snitch properties, check your configuration in: \(Self.propertiesFileName)")
        }
        self.init(location: Location(dataCenter: Self.trim(dc), rack: Self.trim(rack)),
                  preferLocal: (p["prefer_local"] ?? "false").lowercased() == "true")
    }

    /// Java's `String.trim`: strips characters <= U+0020 at both ends.
    static func trim(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi && scalars[lo].value <= 0x20 { lo += 1 }
        while hi > lo && scalars[hi - 1].value <= 0x20 { hi -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }
}
