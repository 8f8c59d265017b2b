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

extension InMemorySchema {
    /// Applies a schema change, re-checking existence (another change may have won the
    /// race since analysis). Returns false when nothing changed (IF [NOT] EXISTS).
    @discardableResult
    public mutating func apply(_ change: SchemaChangePlan) throws(CQLAnalysisError) -> Bool {
        switch change {
        case .createKeyspace(let ks, let ifNotExists):
            if keyspaces[ks.name] != nil {
                if ifNotExists { return false }
                throw .alreadyExists(keyspace: ks.name, "Keyspace \(ks.name) already exists")
            }
            keyspaces[ks.name] = ks
        case .alterKeyspace(let ks):
            guard var existing = keyspaces[ks.name] else { throw .invalid("Keyspace '\(ks.name)' does not exist") }
            existing.replication = ks.replication
            existing.durableWrites = ks.durableWrites
            keyspaces[ks.name] = existing
        case .dropKeyspace(let name, let ifExists):
            if keyspaces.removeValue(forKey: name) == nil {
                if ifExists { return false }
                throw .invalid("Cannot drop non existing keyspace '\(name)'.")
            }
        case .createTable(let t, let ifNotExists):
            guard keyspaces[t.keyspace] != nil else { throw .invalid("Keyspace '\(t.keyspace)' does not exist") }
            if keyspaces[t.keyspace]!.tables[t.name] != nil {
                if ifNotExists { return false }
                throw .alreadyExists(keyspace: t.keyspace, table: t.name,
                                     "Cannot add already existing table \"\(t.name)\" to keyspace \"\(t.keyspace)\"")
            }
            keyspaces[t.keyspace]!.tables[t.name] = t
        case .alterTable(let t):
            guard let old = keyspaces[t.keyspace]?.tables[t.name] ?? keyspaces[t.keyspace]?.tables.values.first(where: { $0.id == t.id }),
                  old.id == t.id else {
                throw .invalid("Table '\(t.keyspace).\(t.name)' doesn't exist")
            }
            keyspaces[t.keyspace]!.tables[old.name] = t
        case .dropTable(let ks, let name, let id, let ifExists):
            guard let old = keyspaces[ks]?.tables[name], old.id == id else {
                if ifExists { return false }
                throw .invalid("Cannot drop non existing table '\(name)' in keyspace '\(ks)'.")
            }
            keyspaces[ks]!.tables[name] = nil
        case .createType(let u, let ifNotExists):
            guard keyspaces[u.keyspace] != nil else { throw .invalid("Keyspace '\(u.keyspace)' does not exist") }
            if keyspaces[u.keyspace]!.userTypes[u.name] != nil {
                if ifNotExists { return false }
                throw .alreadyExists(keyspace: u.keyspace, table: u.name, "A user type with name '\(u.name)' already exists")
            }
            keyspaces[u.keyspace]!.userTypes[u.name] = u
        case .dropType(let ks, let name, let ifExists):
            if keyspaces[ks]?.userTypes.removeValue(forKey: name) == nil {
                if ifExists { return false }
                throw .invalid("Cannot drop non existing type '\(name)' in keyspace '\(ks)'.")
            }
        }
        return true
    }
}
