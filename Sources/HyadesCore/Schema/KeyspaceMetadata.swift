/// A keyspace's replication: the strategy class as Cassandra prints it in
/// `system_schema.keyspaces.replication['class']`, plus the other options as given.
public struct ReplicationParams: Hashable, Sendable {
    public static let simpleStrategy = "org.apache.cassandra.locator.SimpleStrategy"
    public static let networkTopologyStrategy = "org.apache.cassandra.locator.NetworkTopologyStrategy"
    public static let localStrategy = "org.apache.cassandra.locator.LocalStrategy"
    public static let everywhereStrategy = "org.apache.cassandra.locator.EverywhereStrategy"

    /// Fully-qualified class name.
    public var className: String
    /// Every option except `class` (e.g. `replication_factor` -> `1`, `dc1` -> `3`).
    public var options: [String: String]

    public init(className: String, options: [String: String] = [:]) {
        self.className = className
        self.options = options
    }

    public static func simple(replicationFactor: Int) -> ReplicationParams {
        ReplicationParams(className: simpleStrategy, options: ["replication_factor": String(replicationFactor)])
    }

    /// What the system keyspaces use.
    public static let local = ReplicationParams(className: localStrategy)

    /// The map `system_schema.keyspaces.replication` shows: `class` plus the options.
    public var asMap: [String: String] {
        var m = options
        m["class"] = className
        return m
    }

    /// Expands a short strategy name (`SimpleStrategy`) to the class name Cassandra stores.
    public static func canonicalClassName(_ name: String) -> String {
        name.contains(".") ? name : "org.apache.cassandra.locator." + name
    }

    /// The short name (`SimpleStrategy`).
    public var shortClassName: String {
        className.split(separator: ".").last.map(String.init) ?? className
    }

    /// The replication factor on a single-DC cluster: SimpleStrategy's option, or the sum of
    /// NetworkTopologyStrategy's per-DC factors (a single node counts each once).
    public var totalReplicationFactor: Int {
        if let rf = options["replication_factor"].flatMap({ Int($0) }) { return rf }
        return options.values.compactMap { Int($0) }.reduce(0, +)
    }
}

/// A keyspace: its replication and durability, its tables and user types (by name).
public struct KeyspaceMetadata: Hashable, Sendable {
    public var name: String
    public var replication: ReplicationParams
    public var durableWrites: Bool
    public var tables: [String: TableMetadata]
    public var userTypes: [String: UserTypeMetadata]

    public init(name: String, replication: ReplicationParams, durableWrites: Bool = true,
                tables: [String: TableMetadata] = [:], userTypes: [String: UserTypeMetadata] = [:]) {
        self.name = name
        self.replication = replication
        self.durableWrites = durableWrites
        self.tables = tables
        self.userTypes = userTypes
    }
}

/// A user-defined type: ordered fields.
public struct UserTypeMetadata: Hashable, Sendable {
    public var keyspace: String
    public var name: String
    public var fields: [CQLField]

    public init(keyspace: String, name: String, fields: [CQLField]) {
        self.keyspace = keyspace
        self.name = name
        self.fields = fields
    }

    /// The type a column of this UDT has (non-frozen; callers wrap in `.frozen` as declared).
    public var type: CQLType { .udt(keyspace: keyspace, name: name, fields: fields) }

    public func field(named n: String) -> CQLField? { fields.first { $0.name == n } }
}
