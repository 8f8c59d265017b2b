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

/// CQL name quoting: names that are not lower-case identifiers (or are reserved words)
/// must be written `"Quoted"`, as DESCRIBE does.
public enum CQLNames {
    static let reserved: Set<String> = [
        "add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by", "columnfamily",
        "create", "delete", "desc", "describe", "drop", "entries", "execute", "from", "full", "grant", "if",
        "in", "index", "infinity", "insert", "into", "is", "keyspace", "limit", "modify", "nan", "norecursive",
        "not", "null", "of", "on", "or", "order", "primary", "rename", "replace", "revoke", "schema", "select",
        "set", "table", "to", "token", "truncate", "unlogged", "update", "use", "using", "view", "where", "with",
    ]

    public static func quoteIfNeeded(_ name: String) -> String {
        let plain = name.first.map { $0.isASCII && $0.isLowercase } == true
            && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
        if plain && !reserved.contains(name) { return name }
        return "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
