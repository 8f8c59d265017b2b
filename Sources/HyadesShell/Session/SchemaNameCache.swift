import HyadesClient

/// Keyspace, table and column names for TAB, read from system_schema through the
/// session and kept until a statement changes the schema (`invalidate()` after any DDL
/// result or USE). Loaded lazily on the first TAB after that, so typing never waits for
/// the network except when completion needs names.
public final class SchemaNameCache: SchemaNames {
    let connection: ShellConnection
    var loaded = false
    var keyspaces: [String] = []
    var tables: [String: [String]] = [:]
    var columns: [String: [String: [String]]] = [:]

    public init(connection: ShellConnection) { self.connection = connection }

    public func invalidate() { loaded = false }

    func load() {
        guard !loaded else { return }
        loaded = true
        keyspaces = []
        tables = [:]
        columns = [:]
        // A failure leaves the lists empty: completion then offers keywords only.
        if let r = try? connection.execute("SELECT keyspace_name FROM system_schema.keyspaces", pageSize: 0) {
            keyspaces = r.compactMap { $0.string(0) }.sorted()
        }
        if let r = try? connection.execute("SELECT keyspace_name, table_name FROM system_schema.tables", pageSize: 0) {
            for row in r {
                guard let ks = row.string(0), let t = row.string(1) else { continue }
                tables[ks, default: []].append(t)
            }
            for k in tables.keys { tables[k]?.sort() }
        }
        if let r = try? connection.execute(
            "SELECT keyspace_name, table_name, column_name, kind, position FROM system_schema.columns", pageSize: 0) {
            var found: [String: [String: [(String, Int, Int)]]] = [:]
            for row in r {
                guard let ks = row.string(0), let t = row.string(1), let c = row.string(2) else { continue }
                let kind = row.string(3) ?? "regular"
                let rank = kind == "partition_key" ? 0 : kind == "clustering" ? 1 : 2
                let position = Int(row.int32(4) ?? 0)
                found[ks, default: [:]][t, default: []].append((c, rank, rank == 2 ? 0 : position))
            }
            for (ks, ts) in found {
                for (t, cols) in ts {
                    columns[ks, default: [:]][t] = cols.sorted { ($0.1, $0.2, $0.0) < ($1.1, $1.2, $1.0) }.map(\.0)
                }
            }
        }
    }

    public func keyspaceNames() -> [String] { load(); return keyspaces }
    public func tableNames(keyspace: String) -> [String] { load(); return tables[keyspace] ?? [] }
    public func columnNames(keyspace: String, table: String) -> [String] { load(); return columns[keyspace]?[table] ?? [] }
}
