import HyadesCore
import HyadesCQL

/// Server-side DESCRIBE (cqlsh sends it for release_version >= 4): listings answer
/// keyspace_name, type, name; element forms add create_statement.
extension QueryProcessor {
    func describe(_ d: DescribeStatement, currentKeyspace: String?) throws(QueryError) -> ResultPage {
        let schema = analysisSchema
        let user = schema.user
        let includeSystem = d.full
        var keyspaces = user.keyspaces.values.sorted { $0.name < $1.name }
        let systemKeyspaces = SystemKeyspaces.keyspaces.values.sorted { $0.name < $1.name }
        if includeSystem { keyspaces += systemKeyspaces }
        // Listings name the system keyspaces too, as Cassandra's do; only DESCRIBE SCHEMA
        // leaves them out unless FULL.
        let listed = (user.keyspaces.values.sorted { $0.name < $1.name }) + systemKeyspaces
        func spec(_ n: String) -> ColumnSpecification { ColumnSpecification(keyspace: "", table: "", name: n, type: .text) }
        let listing = [spec("keyspace_name"), spec("type"), spec("name")]
        let element = listing + [spec("create_statement")]
        func t(_ s: String) -> [UInt8]? { Array(s.utf8) }
        func ks(_ name: String?) throws(QueryError) -> KeyspaceMetadata {
            guard let n = name ?? currentKeyspace else {
                throw QueryError.invalid("No keyspace specified and no current keyspace")
            }
            guard let k = schema.keyspace(named: n) else { throw QueryError.invalid("'\(n)' not found in keyspaces") }
            return k
        }
        func keyspaceRows(_ k: KeyspaceMetadata, only: Bool) -> [[[UInt8]?]] {
            var rows: [[[UInt8]?]] = [[t(k.name), t("keyspace"), t(k.name), t(SchemaDescriber.createKeyspace(k))]]
            if only { return rows }
            for u in k.userTypes.values.sorted(by: { $0.name < $1.name }) {
                rows.append([t(k.name), t("type"), t(u.name), t(SchemaDescriber.createType(u))])
            }
            for tb in k.tables.values.sorted(by: { $0.name < $1.name }) {
                rows.append([t(k.name), t("table"), t(tb.name), t(SchemaDescriber.createTable(tb))])
            }
            return rows
        }
        switch d.target {
        case .keyspaces:
            return ResultPage(columns: listing, rows: listed.map { [t($0.name), t("keyspace"), t($0.name)] })
        case .tables:
            let ks = currentKeyspace.map { n in listed.filter { $0.name == n } } ?? listed
            return ResultPage(columns: listing, rows: ks.flatMap { k in
                k.tables.keys.sorted().map { [t(k.name), t("table"), t($0)] }
            })
        case .types:
            let ks = currentKeyspace.map { n in listed.filter { $0.name == n } } ?? listed
            return ResultPage(columns: listing, rows: ks.flatMap { k in
                k.userTypes.keys.sorted().map { [t(k.name), t("type"), t($0)] }
            })
        case .functions, .aggregates:
            return ResultPage(columns: listing, rows: [])
        case .cluster:
            return ResultPage(columns: [spec("cluster"), spec("partitioner"), spec("snitch")],
                              rows: [[t(node.clusterName), t(Murmur3Partitioner.className), t("org.apache.cassandra.locator.SimpleSnitch")]])
        case .keyspace(let name, let only):
            return ResultPage(columns: element, rows: keyspaceRows(try ks(name), only: only))
        case .schema:
            return ResultPage(columns: element, rows: keyspaces.flatMap { keyspaceRows($0, only: false) })
        case .table(let q):
            let k = try ks(q.keyspace)
            guard let tb = k.tables[q.name] else { throw QueryError.invalid("'\(q.name)' not found in keyspace '\(k.name)'") }
            return ResultPage(columns: element, rows: [[t(k.name), t("table"), t(tb.name), t(SchemaDescriber.createTable(tb))]])
        case .type(let q):
            let k = try ks(q.keyspace)
            guard let u = k.userTypes[q.name] else { throw QueryError.invalid("'\(q.name)' not found in keyspace '\(k.name)'") }
            return ResultPage(columns: element, rows: [[t(k.name), t("type"), t(u.name), t(SchemaDescriber.createType(u))]])
        case .element(let q):
            if q.keyspace == nil, let k = schema.keyspace(named: q.name) {
                return ResultPage(columns: element, rows: keyspaceRows(k, only: false))
            }
            let k = try ks(q.keyspace)
            if let tb = k.tables[q.name] {
                return ResultPage(columns: element, rows: [[t(k.name), t("table"), t(tb.name), t(SchemaDescriber.createTable(tb))]])
            }
            if let u = k.userTypes[q.name] {
                return ResultPage(columns: element, rows: [[t(k.name), t("type"), t(u.name), t(SchemaDescriber.createType(u))]])
            }
            throw QueryError.invalid("'\(q.name)' not found in keyspace '\(k.name)'")
        case .function(let q), .aggregate(let q), .index(let q), .materializedView(let q):
            throw QueryError.invalid("'\(q.name)' not found")
        }
    }
}
