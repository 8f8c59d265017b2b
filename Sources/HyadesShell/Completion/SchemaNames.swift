/// Where completion gets keyspace, table and column names. The shell's implementation
/// (`SchemaNameCache`) reads them from system_schema through the client and refreshes
/// after DDL; tests give a fixed list.
public protocol SchemaNames: AnyObject {
    func keyspaceNames() -> [String]
    func tableNames(keyspace: String) -> [String]
    /// In table order: partition key, clustering, then the rest.
    func columnNames(keyspace: String, table: String) -> [String]
}

/// A fixed set of names (for tests and for a shell started without a server).
public final class StaticSchemaNames: SchemaNames {
    /// keyspace -> table -> columns
    public var schema: [String: [String: [String]]]

    public init(_ schema: [String: [String: [String]]]) { self.schema = schema }

    public func keyspaceNames() -> [String] { schema.keys.sorted() }
    public func tableNames(keyspace: String) -> [String] { (schema[keyspace] ?? [:]).keys.sorted() }
    public func columnNames(keyspace: String, table: String) -> [String] { schema[keyspace]?[table] ?? [] }
}
