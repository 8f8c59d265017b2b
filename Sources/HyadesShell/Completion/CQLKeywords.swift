/// Words TAB offers. Upper case here; offered in lower case when the user types lower case.
enum CQLKeywords {
    /// What a statement can start with: CQL and the shell's own commands.
    static let statementStarts = [
        "ALTER", "APPLY", "BEGIN", "CLEAR", "CONSISTENCY", "COPY", "CREATE", "DELETE", "DESC", "DESCRIBE",
        "DROP", "EXIT", "EXPAND", "GRANT", "HELP", "INSERT", "LIST", "PAGING", "QUIT", "REVOKE",
        "SELECT", "SERIAL", "SHOW", "SOURCE", "TRACING", "TRUNCATE", "UPDATE", "USE",
    ]

    /// Every keyword, for completing a word when the context gives nothing better.
    static let all = [
        "ADD", "AGGREGATE", "ALL", "ALLOW", "ALTER", "AND", "APPLY", "AS", "ASC", "ASCII", "BATCH", "BEGIN", "BIGINT",
        "BLOB", "BOOLEAN", "BY", "CALLED", "CLUSTERING", "COMPACT", "CONTAINS", "COUNT", "COUNTER", "CREATE",
        "CUSTOM", "DATE", "DECIMAL", "DELETE", "DESC", "DESCRIBE", "DISTINCT", "DOUBLE", "DROP", "DURATION",
        "ENTRIES", "EXISTS", "FILTERING", "FLOAT", "FROM", "FROZEN", "FUNCTION", "GRANT", "IF", "IN", "INDEX",
        "INET", "INSERT", "INT", "INTO", "IS", "JSON", "KEY", "KEYS", "KEYSPACE", "KEYSPACES", "LIMIT", "LIST",
        "MAP", "MATERIALIZED", "NOT", "NULL", "OF", "ON", "OR", "ORDER", "PARTITION", "PER", "PRIMARY", "RENAME",
        "REPLACE", "REVOKE", "SCHEMA", "SELECT", "SET", "SMALLINT", "STATIC", "TABLE", "TABLES", "TEXT", "TIME",
        "TIMESTAMP", "TIMEUUID", "TINYINT", "TO", "TOKEN", "TRUNCATE", "TTL", "TUPLE", "TYPE", "TYPES",
        "UNLOGGED", "UPDATE", "USE", "USING", "UUID", "VALUES", "VARCHAR", "VARINT", "VIEW", "WHERE", "WITH",
        "WRITETIME",
    ]

    static let types = [
        "ascii", "bigint", "blob", "boolean", "counter", "date", "decimal", "double", "duration", "float",
        "frozen<", "inet", "int", "list<", "map<", "set<", "smallint", "text", "time", "timestamp",
        "timeuuid", "tinyint", "tuple<", "uuid", "varchar", "varint",
    ]

    /// Words that usually follow `key` (the last word typed), when no names fit there.
    static let following: [String: [String]] = [
        "create": ["KEYSPACE", "TABLE", "INDEX", "TYPE", "MATERIALIZED VIEW", "FUNCTION", "AGGREGATE", "ROLE", "USER", "CUSTOM INDEX"],
        "drop": ["KEYSPACE", "TABLE", "INDEX", "TYPE", "MATERIALIZED VIEW", "FUNCTION", "AGGREGATE", "ROLE", "USER"],
        "alter": ["KEYSPACE", "TABLE", "TYPE", "MATERIALIZED VIEW", "ROLE", "USER"],
        "desc": ["KEYSPACES", "KEYSPACE", "TABLES", "TABLE", "TYPES", "TYPE", "CLUSTER", "SCHEMA", "FULL SCHEMA", "INDEX", "FUNCTIONS", "AGGREGATES"],
        "describe": ["KEYSPACES", "KEYSPACE", "TABLES", "TABLE", "TYPES", "TYPE", "CLUSTER", "SCHEMA", "FULL SCHEMA", "INDEX", "FUNCTIONS", "AGGREGATES"],
        "insert": ["INTO"],
        "delete": ["FROM"],
        "begin": ["BATCH", "UNLOGGED BATCH"],
        "apply": ["BATCH"],
        "order": ["BY"],
        "primary": ["KEY"],
        "allow": ["FILTERING"],
        "if": ["EXISTS", "NOT EXISTS"],
        "paging": ["ON", "OFF"],
        "expand": ["ON", "OFF"],
        "tracing": ["ON", "OFF"],
        "show": ["VERSION", "HOST"],
        "serial": ["CONSISTENCY"],
        "values": ["("],
        "help": statementStarts,
    ]
}
