import Testing
import HyadesCore
@testable import HyadesCQL

@Suite struct AnalyzerDescribeTests {
    typealias F = AnalyzerFixtures

    @Test func createTableText() {
        let text = SchemaDescriber.createTable(F.events)
        #expect(text.hasPrefix("""
            CREATE TABLE ks.events (
                p text,
                c1 int,
                c2 int,
                st int static,
                v int,
                PRIMARY KEY (p, c1, c2)
            ) WITH CLUSTERING ORDER BY (c1 ASC, c2 DESC)
                AND additional_write_policy = '99p'
                AND allow_auto_snapshot = true
                AND bloom_filter_fp_chance = 0.01
                AND caching = {'keys': 'ALL', 'rows_per_partition': 'NONE'}
            """))
        #expect(text.hasSuffix("    AND speculative_retry = '99p';"))
        let kv = SchemaDescriber.createTable(F.kv)
        #expect(kv.hasPrefix("CREATE TABLE ks.kv (\n    k int PRIMARY KEY,\n    f frozen<list<int>>,"))
        #expect(SchemaDescriber.createTable(F.composite).contains("    PRIMARY KEY ((a, b), c)\n) WITH CLUSTERING ORDER BY (c ASC)"))
    }

    @Test func keyspaceTypeAndQuoting() {
        #expect(SchemaDescriber.createKeyspace(KeyspaceMetadata(name: "ks", replication: .simple(replicationFactor: 1)))
            == "CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;")
        #expect(SchemaDescriber.createType(F.address) == "CREATE TYPE ks.address (\n    street text,\n    zip int\n);")
        #expect(SchemaDescriber.quoted("Source_Id") == "\"Source_Id\"")
        #expect(SchemaDescriber.quoted("select") == "\"select\"")
        #expect(SchemaDescriber.quoted("ra") == "ra")
    }

    @Test func describedTableAnalyzesBackToTheSameSchema() throws {
        var schema = F.schema
        let text = SchemaDescriber.createTable(F.events).replacing("ks.events", with: "ks.events2")
        guard case .schemaChange(let create) = try F.analyzer(schema: schema).analyze(CQLParser.parse(text)) else {
            Issue.record(); return
        }
        #expect(try schema.apply(create))
        let t = try #require(schema.table(keyspace: "ks", name: "events2"))
        #expect(t.columns.map(\.name) == F.events.columns.map(\.name))
        #expect(t.columns.map(\.id) == F.events.columns.map(\.id))
        #expect(t.columns.map(\.kind) == F.events.columns.map(\.kind))
        #expect(t.clusteringColumns.map(\.clusteringOrder) == [.asc, .desc])
        #expect(t.params == F.events.params)
        // Applying it again loses the race: already exists.
        #expect(throws: CQLAnalysisError.self) { try schema.apply(create) }
        #expect(throws: CQLAnalysisError.self) { try schema.apply(.dropKeyspace("nope", ifExists: false)) }
        #expect(try schema.apply(.dropKeyspace("nope", ifExists: true)) == false)
        #expect(try schema.apply(.dropTable(keyspace: "ks", name: "events2", id: t.id, ifExists: false)))
        #expect(schema.table(keyspace: "ks", name: "events2") == nil)
    }
}
