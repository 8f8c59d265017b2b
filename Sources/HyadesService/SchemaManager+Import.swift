import HyadesCore
import HyadesStorage

/// A user table that streamed SSTables can be adopted into: its store and the schema
/// header its SSTables must carry.
public struct SSTableImportTarget: @unchecked Sendable {
    public let keyspace: String
    public let table: String
    public let store: TableStore
    public let schema: SSTableSchemaHeader
    public let metadata: TableMetadata

    /// Where a streaming session's files wait for COMMIT: inside the table directory, so
    /// adopting them is a rename on the same file system.
    public var stagingDirectory: String { store.directory + "/staging" }
}

extension SchemaManager {
    /// The open user table `keyspace.table`, or nil (unknown, or a virtual system table).
    public func importTarget(keyspace: String, table: String) -> SSTableImportTarget? {
        guard let t = self.table(keyspace: keyspace, name: table), let store = engine.table(t.id) else { return nil }
        return SSTableImportTarget(keyspace: keyspace, table: table, store: store, schema: SSTableSchemaHeader(table: t), metadata: t)
    }

    /// Every open user table (to clear staging directories left by a crash at start).
    public var importTargets: [SSTableImportTarget] {
        snapshot.keyspaces.values.flatMap { ks in
            ks.tables.values.compactMap { importTarget(keyspace: ks.name, table: $0.name) }
        }
    }
}
