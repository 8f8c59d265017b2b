import HyadesCore
import HyadesProtocol
import NIOCore

/// How a `HyadesClient` connects and what requests use unless they say otherwise.
public struct HyadesClientConfiguration: Sendable {
    /// "host:port" or "host" (port `defaultPort`); the first reachable one is asked for the topology.
    public var contactPoints: [String]
    public var defaultPort: Int
    /// Connections opened to each node; requests are spread over them.
    public var connectionsPerHost: Int
    /// USE'd on every connection.
    public var keyspace: String?
    public var consistency: CQLConsistency
    public var serialConsistency: CQLConsistency?
    /// Rows per page of a SELECT (Cassandra drivers default to 5000).
    public var pageSize: Int32
    public var requestTimeout: TimeAmount
    /// Send prepared statements to the node owning their partition key.
    public var tokenAware: Bool
    /// Connect to the other nodes found in system.peers (off: only the contact points).
    public var discoverPeers: Bool
    public var connection: CQLConnectionConfiguration

    public init(contactPoints: [String] = ["127.0.0.1:9042"], defaultPort: Int = 9042, connectionsPerHost: Int = 1,
                keyspace: String? = nil, consistency: CQLConsistency = .localOne, serialConsistency: CQLConsistency? = nil,
                pageSize: Int32 = 5000, requestTimeout: TimeAmount = .seconds(12), tokenAware: Bool = true,
                discoverPeers: Bool = true, connection: CQLConnectionConfiguration = .init()) {
        self.contactPoints = contactPoints
        self.defaultPort = defaultPort
        self.connectionsPerHost = connectionsPerHost
        self.keyspace = keyspace
        self.consistency = consistency
        self.serialConsistency = serialConsistency
        self.pageSize = pageSize
        self.requestTimeout = requestTimeout
        self.tokenAware = tokenAware
        self.discoverPeers = discoverPeers
        self.connection = connection
    }

    /// Splits "host:port", "[v6]:port" or "host".
    static func endpoint(_ s: String, defaultPort: Int) throws -> (host: String, port: Int) {
        if s.hasPrefix("["), let close = s.firstIndex(of: "]") {
            let host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { return (host, defaultPort) }
            guard rest.first == ":", let p = Int(rest.dropFirst()), (1...65535).contains(p) else {
                throw CQLClientError.invalidArgument("bad contact point '\(s)': expected [address]:port")
            }
            return (host, p)
        }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 1 { return (s, defaultPort) }
        guard parts.count == 2, !parts[0].isEmpty, let p = Int(parts[1]), (1...65535).contains(p) else {
            throw CQLClientError.invalidArgument("bad contact point '\(s)': expected host:port")
        }
        return (String(parts[0]), p)
    }
}
