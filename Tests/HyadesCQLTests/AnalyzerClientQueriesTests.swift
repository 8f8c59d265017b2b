import Testing
import HyadesCore
@testable import HyadesCQL

/// The statements real clients send (COMPAT.md), over a Gaia-like table with quoted names.
@Suite struct AnalyzerClientQueriesTests {
    typealias F = AnalyzerFixtures

    static var schema: InMemorySchema {
        var s = F.schema
        s.add(KeyspaceMetadata(name: "gaia", replication: .simple(replicationFactor: 1)))
        s.add(TableMetadata(keyspace: "gaia", name: "DR3", id: TableID(high: 7, low: 7),
                            partitionKey: [("Source_Id", .bigint)], regular: [("ra", .double), ("dec", .double)]))
        return s
    }

    func plan(_ cql: String, keyspace: String? = nil) throws -> StatementPlan {
        try F.analyzer(keyspace, schema: Self.schema).analyze(CQLParser.parse(cql))
    }

    @Test func sparkTokenRangeScan() throws {
        let p = try plan(#"SELECT "Source_Id", "ra" FROM "gaia"."DR3" WHERE token("Source_Id") > ? AND token("Source_Id") <= ? ALLOW FILTERING"#)
        guard case .select(let s) = p else { Issue.record(); return }
        #expect(s.resultColumns.map(\.name) == ["Source_Id", "ra"])
        #expect(s.queriedColumns == [1])
        #expect(s.variables.columns.map(\.type) == [.bigint, .bigint])
        let b = try s.tokenBounds(values: [.value(F.bigint(Int64.min)), .value(F.bigint(0))])
        #expect(b == TokenBounds(lower: Token(Int64.min), lowerInclusive: false, upper: Token(0), upperInclusive: true))
        // The single-bound and >= forms, and the literal form cqlsh users type.
        guard case .select(let s2) = try plan(#"SELECT * FROM gaia."DR3" WHERE token("Source_Id") >= ?"#) else { return }
        #expect(try s2.tokenBounds(values: [.value(F.bigint(5))]) == TokenBounds(lower: Token(5), lowerInclusive: true, upper: nil, upperInclusive: false))
        guard case .select(let s3) = try plan(#"SELECT "Source_Id", ra FROM gaia."DR3" WHERE token("Source_Id") > -9223372036854775808 AND token("Source_Id") <= 0"#) else { return }
        #expect(try s3.tokenBounds(values: []).upper == Token(0))
        guard case .select(let count) = try plan(#"SELECT count(*) FROM "gaia"."DR3" WHERE token("Source_Id") > ? AND token("Source_Id") <= ?"#) else { return }
        #expect(count.isAggregate && count.queriedColumns.isEmpty)
    }

    @Test func sparkWritesArePreparedInsertsInUnloggedBatches() throws {
        guard case .modification(let ins) = try plan(#"INSERT INTO "gaia"."DR3" ("Source_Id", "ra", "dec") VALUES (?, ?, ?)"#) else {
            Issue.record(); return
        }
        #expect(ins.variables.partitionKeyIndexes == [0])
        #expect(ins.variables.columns.map(\.name) == ["Source_Id", "ra", "dec"])
        let one = F.bigint(Int64(bitPattern: 1.0.bitPattern))
        let m = try BatchPlan.mutation(of: (0..<3).map { i in (ins, [.value(F.bigint(Int64(i))), .value(one), .unset]) },
                                       timestamp: 99, nowInSeconds: 1)
        #expect(m.updates.count == 3)
        #expect(m.updates.allSatisfy { $0.rows.count == 1 && $0.rows[0].columns.count == 1 && $0.rows[0].liveness.timestamp == 99 })
    }

    @Test func driverSchemaQueriesNeedTheirTables() {
        // Without system tables in the schema view the analyzer says so clearly; the
        // service's SchemaView provides them.
        #expect(throws: CQLAnalysisError.invalid("Keyspace 'system_schema' does not exist")) {
            _ = try plan("SELECT * FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?")
        }
    }

    @Test func useQuotedKeyspace() throws {
        #expect(try plan(#"USE "gaia""#) == .use(keyspace: "gaia"))
        #expect(throws: CQLAnalysisError.self) { _ = try plan(#"USE "Gaia""#) }
    }
}
