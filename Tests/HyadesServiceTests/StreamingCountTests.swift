import HyadesCore
import HyadesCQL
import Testing
@testable import HyadesService

/// `count(*)` takes the streaming path: it must count exactly the rows `SELECT *` returns
/// and agree with the general executor, on memtable, SSTable and merged data.
@Suite struct StreamingCountTests {
    @Test func countMatchesSelectStarAndTheGeneralExecutor() throws {
        let support = StreamingSelectTests()
        let n = try support.node()
        let t = try #require(n.schema.table(keyspace: "ks", name: "t"))
        let restrictions: [(String, [CQLBoundValue])] = [
            ("", []),
            (" WHERE k = 3", []),
            (" WHERE k IN (4, 40, 2)", []),
            (" WHERE k = 3 AND c >= 1 AND c < 4", []),
            (" WHERE token(k) > ? AND token(k) <= ?", [.value(int64(-5_000_000_000_000_000_000)), .value(int64(6_000_000_000_000_000_000))]),
        ]
        func check(_ stage: String) throws {
            for (r, values) in restrictions {
                let counting = try #require(StreamingSelect.countingPlan(try select(n, "SELECT count(*) FROM t" + r)))
                #expect(StreamingSelect.Compiled(counting) != nil, "\(stage): \(r) streams")
                let all = try n.rows("SELECT * FROM t" + r, values).rowCount
                let fast = try n.rows("SELECT count(*) FROM t" + r, values)
                #expect(fast.rows == [[int64(Int64(all))]], "\(stage): count(*)\(r) = \(all)")
                let slow = try support.slowPage(n, "SELECT count(*) FROM t" + r, values, pageSize: nil, state: nil)
                #expect(fast.rows == slow.rows, "\(stage): executor agrees on\(r)")
                #expect(fast.columns == slow.columns, "\(stage): columns\(r)")
                // LIMIT limits the one result row, not the rows counted.
                #expect(try n.rows("SELECT count(*) FROM t" + r + " LIMIT 1", values).rows == fast.rows, "\(stage): LIMIT\(r)")
            }
        }
        try check("memtable")
        try n.schema.tableStore(t.id)!.flush()
        try n.run("DELETE FROM t WHERE k = 3 AND c = 2")
        try n.run("INSERT INTO t (k, c, v) VALUES (2, 9, 29)")
        try check("sstable + memtable")
        try n.schema.tableStore(t.id)!.flush()
        try check("two sstables")
        #expect(try n.rows("SELECT count(*) FROM t").rows == [[int64(32)]], "6 x 5 rows, static-only 40, update-only 41, minus 3:2, plus 2:9")
        // Other aggregates and filters keep the general executor.
        #expect(StreamingSelect.countingPlan(try select(n, "SELECT count(*), max(v) FROM t")) == nil)
        #expect(StreamingSelect.countingPlan(try select(n, "SELECT count(*) FROM t WHERE v > 3 ALLOW FILTERING")) == nil)
    }

    func select(_ n: TestNode, _ cql: String) throws -> SelectPlan {
        guard case .select(let s) = try n.processor.analyze(cql, keyspace: "ks") else { throw QueryError(.serverError, "not a select") }
        return s
    }
}
