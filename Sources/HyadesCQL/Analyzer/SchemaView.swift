import HyadesCore

/// What the analyzer reads of the schema. The service implements it over its live schema;
/// tests use `InMemorySchema`.
public protocol SchemaView: Sendable {
    func keyspace(named name: String) -> KeyspaceMetadata?
    func table(keyspace: String, name: String) -> TableMetadata?
    func userType(keyspace: String, name: String) -> UserTypeMetadata?
}

extension SchemaView {
    public func table(keyspace: String, name: String) -> TableMetadata? {
        self.keyspace(named: keyspace)?.tables[name]
    }

    public func userType(keyspace: String, name: String) -> UserTypeMetadata? {
        self.keyspace(named: keyspace)?.userTypes[name]
    }
}

/// A schema held in a dictionary: for tests and tools.
public struct InMemorySchema: SchemaView, Hashable {
    public var keyspaces: [String: KeyspaceMetadata]

    public init(_ keyspaces: [KeyspaceMetadata] = []) {
        self.keyspaces = Dictionary(keyspaces.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
    }

    public func keyspace(named name: String) -> KeyspaceMetadata? { keyspaces[name] }

    public mutating func add(_ keyspace: KeyspaceMetadata) { keyspaces[keyspace.name] = keyspace }

    public mutating func add(_ table: TableMetadata) {
        keyspaces[table.keyspace, default: KeyspaceMetadata(name: table.keyspace, replication: .simple(replicationFactor: 1))]
            .tables[table.name] = table
    }

    public mutating func add(_ type: UserTypeMetadata) {
        keyspaces[type.keyspace, default: KeyspaceMetadata(name: type.keyspace, replication: .simple(replicationFactor: 1))]
            .userTypes[type.name] = type
    }
}
