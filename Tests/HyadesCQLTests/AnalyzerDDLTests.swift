import Testing
import HyadesCore
@testable import HyadesCQL

@Suite struct AnalyzerDDLTests {
    typealias F = AnalyzerFixtures

    @Test func createKeyspace() throws {
        let p = try F.plan("CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3} AND durable_writes = false")
        guard case .schemaChange(.createKeyspace(let ks, ifNotExists: false)) = p else { Issue.record("\(p)"); return }
        #expect(ks.name == "k2")
        #expect(ks.replication == ReplicationParams(className: ReplicationParams.simpleStrategy, options: ["replication_factor": "3"]))
        #expect(ks.durableWrites == false)
        #expect(SchemaChangePlan.createKeyspace(ks, ifNotExists: false).event == ("CREATED", "KEYSPACE", "k2", nil))

        let n = try F.plan("CREATE KEYSPACE k3 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': '2'}")
        guard case .schemaChange(.createKeyspace(let k3, _)) = n else { Issue.record("\(n)"); return }
        #expect(k3.replication.className == "org.apache.cassandra.locator.NetworkTopologyStrategy")
        #expect(k3.replication.options == ["dc1": "3", "dc2": "2"])
    }

    @Test func createKeyspaceErrors() {
        let exists = F.error("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        #expect(exists?.code == .alreadyExists)
        #expect(exists?.message == "Keyspace ks already exists")
        #expect(exists?.existing?.keyspace == "ks")
        #expect((try? F.plan("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")) == .noOp)
        let noRF = F.error("CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy'}")
        #expect(noRF?.code == .configError)
        #expect(noRF?.message == "SimpleStrategy requires a replication_factor strategy option.")
        #expect(F.error("CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 'x'}")?.message
            == "Replication factor must be numeric; found x")
        #expect(F.error("CREATE KEYSPACE k2 WITH replication = {'class': 'Bogus'}")?.message
            == "Unable to find replication strategy class 'org.apache.cassandra.locator.Bogus'")
        #expect(F.error("CREATE KEYSPACE k2 WITH nope = 1")?.code == .syntaxError)
        #expect(F.error("CREATE KEYSPACE system WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")?.code == .unauthorized)
    }

    @Test func alterAndDropKeyspace() throws {
        let p = try F.plan("ALTER KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
        guard case .schemaChange(.alterKeyspace(let ks)) = p else { Issue.record("\(p)"); return }
        #expect(ks.replication.options["replication_factor"] == "2")
        #expect(ks.tables.count == F.schema.keyspaces["ks"]!.tables.count)
        #expect(try F.plan("DROP KEYSPACE ks") == .schemaChange(.dropKeyspace("ks", ifExists: false)))
        #expect(try F.plan("DROP KEYSPACE IF EXISTS nope") == .noOp)
        #expect(F.error("DROP KEYSPACE nope")?.message == "Cannot drop non existing keyspace 'nope'.")
        #expect(F.error("ALTER KEYSPACE nope WITH durable_writes = true")?.code == .invalid)
    }

    @Test func createTable() throws {
        let p = try F.plan("""
            CREATE TABLE ks.t (pk int, c1 text, c2 int, s int STATIC, v list<int>, w frozen<address>, PRIMARY KEY ((pk), c1, c2))
            WITH CLUSTERING ORDER BY (c1 DESC) AND comment = 'hi' AND default_time_to_live = 10
              AND compaction = {'class': 'LeveledCompactionStrategy'}
            """)
        guard case .schemaChange(.createTable(let t, ifNotExists: false)) = p else { Issue.record("\(p)"); return }
        #expect(t.id == TableID(high: 0xAB, low: 0xCD))
        #expect(t.partitionKeyColumns.map(\.name) == ["pk"])
        #expect(t.clusteringColumns.map(\.name) == ["c1", "c2"])
        #expect(t.clusteringColumns.map(\.clusteringOrder) == [.desc, .asc])
        #expect(t.column(named: "s")?.kind == .staticColumn)
        #expect(t.column(named: "w")?.type == .frozen(F.address.type))
        #expect(t.columns.map(\.id) == [0, 1, 2, 3, 4, 5])
        #expect(t.columns.map(\.name) == ["pk", "c1", "c2", "s", "v", "w"])
        #expect(t.params.comment == "hi" && t.params.defaultTimeToLive == 10)
        #expect(t.params.compaction["class"] == "org.apache.cassandra.db.compaction.LeveledCompactionStrategy")
        #expect(t.params.gcGraceSeconds == 864_000)
        // The single-column PRIMARY KEY form.
        guard case .schemaChange(.createTable(let u, _)) = try F.plan("CREATE TABLE u (k text PRIMARY KEY, v int)") else { return }
        #expect(u.keyspace == "ks" && u.partitionKeyColumns.map(\.name) == ["k"])
    }

    @Test func createTableErrors() {
        #expect(F.error("CREATE TABLE kv (k int PRIMARY KEY)")?.code == .alreadyExists)
        #expect(F.error("CREATE TABLE kv (k int PRIMARY KEY)")?.message == "Cannot add already existing table \"kv\" to keyspace \"ks\"")
        #expect((try? F.plan("CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY)")) == .noOp)
        #expect(F.error("CREATE TABLE t (k int, v int)")?.message == "No PRIMARY KEY specifed for table 't' (exactly one required)")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, k text)")?.message == "Duplicate column 'k' declaration for table ks.t")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, s int STATIC)")?.message
            == "Static columns are only useful (and thus allowed) if the table has at least one clustering column")
        #expect(F.error("CREATE TABLE t (k list<int> PRIMARY KEY)")?.message == "Invalid non-frozen collection type list<int> for PRIMARY KEY component k")
        #expect(F.error("CREATE TABLE t (k duration PRIMARY KEY)")?.message == "duration type is not supported for PRIMARY KEY column 'k'")
        #expect(F.error("CREATE TABLE t (k int, PRIMARY KEY (x))")?.message == "Unknown definition x referenced in PRIMARY KEY")
        #expect(F.error("CREATE TABLE t (k int, c int, d int, PRIMARY KEY (k, c, d)) WITH CLUSTERING ORDER BY (d ASC)")?.message
            == "The order of columns in the CLUSTERING ORDER directive must match that of the clustering columns (c must appear before d)")
        #expect(F.error("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (v ASC)")?.message
            == "Only clustering key columns can be defined in CLUSTERING ORDER directive")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY) WITH bogus = 1")?.code == .syntaxError)
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY) WITH gc_grace_seconds = -1")?.code == .configError)
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, v nope)")?.code == .invalid)
        #expect(F.error("CREATE TABLE nope.t (k int PRIMARY KEY)")?.message == "Keyspace 'nope' does not exist")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY)", keyspace: nil)?.message
            == "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, v list<list<int>>)")?.message
            == "Non-frozen collections are not allowed inside collections: list<list<int>>")
    }

    @Test func alterTable() throws {
        guard case .schemaChange(.alterTable(let t)) = try F.plan("ALTER TABLE kv ADD (x int, y text)") else { Issue.record(); return }
        #expect(t.column(named: "x")?.id == 7 && t.column(named: "y")?.id == 8)
        guard case .schemaChange(.alterTable(let d)) = try F.plan("ALTER TABLE kv DROP n") else { Issue.record(); return }
        #expect(d.column(named: "n") == nil)
        #expect(d.droppedColumns == [DroppedColumn(name: "n", type: .int, id: 2, droppedAt: 777)])
        guard case .schemaChange(.alterTable(let r)) = try F.plan("ALTER TABLE events RENAME c1 TO cc") else { Issue.record(); return }
        #expect(r.clusteringColumns.map(\.name) == ["cc", "c2"])
        guard case .schemaChange(.alterTable(let w)) = try F.plan("ALTER TABLE kv WITH gc_grace_seconds = 5") else { Issue.record(); return }
        #expect(w.params.gcGraceSeconds == 5)

        #expect(F.error("ALTER TABLE kv ADD v int")?.message == "Column with name 'v' already exists")
        #expect(try F.plan("ALTER TABLE kv ADD IF NOT EXISTS v int") == .noOp)
        #expect(F.error("ALTER TABLE kv DROP k")?.message == "Cannot drop PRIMARY KEY column k")
        #expect(F.error("ALTER TABLE kv DROP zz")?.message == "Column zz was not found in table kv")
        #expect(F.error("ALTER TABLE kv RENAME v TO w")?.message == "Cannot rename non PRIMARY KEY column v")
        #expect(F.error("ALTER TABLE kv ADD st int static")?.message
            == "Static columns are only useful (and thus allowed) if the table has at least one clustering column")
        #expect(F.error("ALTER TABLE nope ADD x int")?.message == "Table 'ks.nope' doesn't exist")
        #expect(try F.plan("ALTER TABLE IF EXISTS nope ADD x int") == .noOp)
    }

    @Test func dropTruncateUseTypes() throws {
        #expect(try F.plan("DROP TABLE kv") == .schemaChange(.dropTable(keyspace: "ks", name: "kv", id: F.kvID, ifExists: false)))
        #expect(F.error("DROP TABLE nope")?.message == "Cannot drop non existing table 'nope' in keyspace 'ks'.")
        #expect(try F.plan("DROP TABLE IF EXISTS nope") == .noOp)
        #expect(try F.plan("TRUNCATE ks.kv") == .truncate(keyspace: "ks", table: "kv", id: F.kvID))
        #expect(try F.plan("USE \"ks\"", keyspace: nil) == .use(keyspace: "ks"))
        #expect(F.error("USE nope")?.message == "Keyspace 'nope' does not exist")

        guard case .schemaChange(.createType(let u, ifNotExists: false)) = try F.plan("CREATE TYPE point (x double, y double)") else {
            Issue.record(); return
        }
        #expect(u.fields == [CQLField("x", .double), CQLField("y", .double)])
        #expect(F.error("CREATE TYPE address (a int)")?.code == .alreadyExists)
        #expect(F.error("DROP TYPE address")?.message == "Cannot drop user type ks.address as it is still used by table ks.people")
        #expect(F.error("DROP TYPE nope")?.message == "Cannot drop non existing type 'nope' in keyspace 'ks'.")
    }

    @Test func describePassesThrough() throws {
        let p = try F.plan("DESCRIBE TABLES")
        guard case .describe(_, currentKeyspace: "ks") = p else { Issue.record("\(p)"); return }
    }
}

extension AnalyzerDDLTests {
    @Test func nestedNonFrozenTypes() {
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, v list<address>)")?.message
            == "Non-frozen UDTs are not allowed inside collections: list<address>")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, v map<int, set<int>>)")?.message
            == "Non-frozen collections are not allowed inside collections: map<int, set<int>>")
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, v list<frozen<address>>, w frozen<list<set<int>>>)") == nil)
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, c counter)") == nil)
        #expect(F.error("CREATE TABLE t (k int PRIMARY KEY, c counter, v int)")?.message
            == "Cannot mix counter and non counter columns in the same table")
    }
}
