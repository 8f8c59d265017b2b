import HyadesCore

/// The CREATE statements server-side DESCRIBE returns (`create_statement`), in Cassandra
/// 5's layout, so cqlsh output and schema dumps look as they do against Cassandra.
public enum SchemaDescriber {
    /// `name` as CQL needs it: bare when lower-case identifier-like and not reserved,
    /// else double-quoted with `"` doubled.
    public static func quoted(_ name: String) -> String {
        let bytes = Array(name.utf8)
        let plain = !bytes.isEmpty && (bytes[0] >= 0x61 && bytes[0] <= 0x7A)
            && bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        if plain && !reserved.contains(name) { return name }
        return "\"" + name.replacingAll("\"", "\"\"") + "\""
    }

    static let reserved: Set<String> = [
        "add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by", "columnfamily", "create",
        "delete", "desc", "describe", "drop", "entries", "execute", "from", "full", "grant", "if", "in", "index",
        "infinity", "insert", "into", "is", "keyspace", "limit", "modify", "nan", "norecursive", "not", "null", "of",
        "on", "or", "order", "primary", "rename", "replace", "revoke", "schema", "select", "set", "table", "to",
        "token", "truncate", "unlogged", "update", "use", "using", "view", "where", "with",
    ]

    static func string(_ s: String) -> String { "'" + s.replacingAll("'", "''") + "'" }

    static func map(_ m: [String: String]) -> String {
        "{" + m.keys.sorted().map { "\(string($0)): \(string(m[$0]!))" }.joined(separator: ", ") + "}"
    }

    public static func createKeyspace(_ ks: KeyspaceMetadata) -> String {
        "CREATE KEYSPACE \(quoted(ks.name)) WITH replication = \(map(ks.replication.asMap))  AND durable_writes = \(ks.durableWrites);"
    }

    public static func createType(_ u: UserTypeMetadata) -> String {
        "CREATE TYPE \(quoted(u.keyspace)).\(quoted(u.name)) (\n"
            + u.fields.map { "    \(quoted($0.name)) \($0.type.cqlName)" }.joined(separator: ",\n")
            + "\n);"
    }

    public static func createTable(_ t: TableMetadata) -> String {
        let pk = t.partitionKeyColumns, ck = t.clusteringColumns
        let inlineKey = pk.count == 1 && ck.isEmpty
        var lines: [String] = []
        for c in t.selectStarColumns {
            var line = "    \(quoted(c.name)) \(c.type.cqlName)"
            if c.isStatic { line += " static" }
            if inlineKey && c.kind == .partitionKey { line += " PRIMARY KEY" }
            lines.append(line)
        }
        if !inlineKey {
            let partition = pk.count == 1 ? quoted(pk[0].name) : "(" + pk.map { quoted($0.name) }.joined(separator: ", ") + ")"
            lines.append("    PRIMARY KEY (" + ([partition] + ck.map { quoted($0.name) }).joined(separator: ", ") + ")")
        }
        var out = "CREATE TABLE \(quoted(t.keyspace)).\(quoted(t.name)) (\n" + lines.joined(separator: ",\n") + "\n) WITH "
        var options: [String] = []
        if !ck.isEmpty {
            options.append("CLUSTERING ORDER BY (" + ck.map { "\(quoted($0.name)) \($0.isDescending ? "DESC" : "ASC")" }.joined(separator: ", ") + ")")
        }
        let p = t.params
        options += [
            "additional_write_policy = \(string(p.additionalWritePolicy))",
            "allow_auto_snapshot = \(p.allowAutoSnapshot)",
            "bloom_filter_fp_chance = \(p.bloomFilterFpChance)",
            "caching = \(map(p.caching))",
            "cdc = \(p.cdc)",
            "comment = \(string(p.comment))",
            "compaction = \(map(p.compaction))",
            "compression = \(map(p.compression))",
            "memtable = \(string(p.memtable))",
            "crc_check_chance = \(p.crcCheckChance)",
            "default_time_to_live = \(p.defaultTimeToLive)",
            "extensions = {}",
            "gc_grace_seconds = \(p.gcGraceSeconds)",
            "incremental_backups = \(p.incrementalBackups)",
            "max_index_interval = \(p.maxIndexInterval)",
            "memtable_flush_period_in_ms = \(p.memtableFlushPeriodInMs)",
            "min_index_interval = \(p.minIndexInterval)",
            "read_repair = \(string(p.readRepair))",
            "speculative_retry = \(string(p.speculativeRetry))",
        ]
        out += options.joined(separator: "\n    AND ") + ";"
        return out
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
