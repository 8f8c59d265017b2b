import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Testing
@testable import HyadesService

/// The streaming SELECT path (engine visitors encoding rows straight into protocol bytes)
/// against the general `SelectExecutor` over the engine's iterators: the same rows and the
/// same paging states, page by page, on memtable, SSTable and mixed data.
@Suite struct StreamingSelectTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TABLE t (k int, c int, v int, w text, s text static, PRIMARY KEY (k, c))")
        try n.run("CREATE TABLE p (a int, b text, x double, y int, PRIMARY KEY ((a, b)))")
        for k in 0..<6 {
            for c in 0..<5 { try n.run("INSERT INTO t (k, c, v, w) VALUES (\(k), \(c), \(k * 100 + c), 'w\(c)') USING TTL 5000") }
            if k % 2 == 0 { try n.run("UPDATE t SET s = 'static \(k)' WHERE k = \(k)") }
            try n.run("INSERT INTO p (a, b, x, y) VALUES (\(k), 'b\(k)', \(Double(k) / 3), \(k))")
        }
        try n.run("INSERT INTO t (k, s) VALUES (40, 'only static')")
        try n.run("UPDATE t SET w = 'updated only' WHERE k = 41 AND c = 1")
        try n.run("UPDATE p SET y = 7 WHERE a = 50 AND b = 'u'")
        return n
    }

    /// The general executor on the same engine (what QueryProcessor used before streaming).
    func slowPage(_ n: TestNode, _ cql: String, _ values: [CQLBoundValue], pageSize: Int?, state: [UInt8]?) throws -> ResultPage {
        let plan = try n.processor.analyze(cql, keyspace: "ks")
        guard case .select(let s) = plan else { throw QueryError(.serverError, "not a select") }
        let store = try #require(n.schema.tableStore(s.table.id))
        let now = n.processor.nowInSeconds
        let executor = try SelectExecutor(plan: s, values: values, nowInSeconds: now)
        let target = SelectTarget(read: { k, sl, c in try store.read(k, slices: sl, columns: c, nowInSeconds: now) },
                                  scan: { r, sl, c in try store.scan(r, slices: sl, columns: c, nowInSeconds: now) })
        return try executor.execute(target, pageSize: pageSize, pagingState: state)
    }

    func compare(_ n: TestNode, _ stage: String) throws {
        let queries: [(String, [CQLBoundValue])] = [
            ("SELECT k, c, v FROM t", []),
            ("SELECT * FROM t", []),
            ("SELECT v FROM t", []),
            ("SELECT w FROM t WHERE k = 41", []),
            ("SELECT k, s FROM t", []),
            ("SELECT k, c, s, v FROM t WHERE k IN (4, 40, 2)", []),
            ("SELECT c, v FROM t WHERE k = 3 AND c >= 1 AND c < 4", []),
            ("SELECT k, c, writetime(v), ttl(v), token(k) FROM t WHERE k = 1", []),
            ("SELECT k, c FROM t LIMIT 7", []),
            ("SELECT k, c, s FROM t PER PARTITION LIMIT 2", []),
            ("SELECT k, v FROM t WHERE token(k) > ? AND token(k) <= ?", [.value(int64(-5_000_000_000_000_000_000)), .value(int64(6_000_000_000_000_000_000))]),
            ("SELECT k FROM t WHERE token(k) >= ?", [.value(int64(0))]),
            ("SELECT a, b, x FROM p", []),
            ("SELECT b, y, token(a, b) FROM p WHERE a = 3 AND b = 'b3'", []),
            ("SELECT x FROM p WHERE token(a, b) > ?", [.value(int64(-3_000_000_000_000_000_000))]),
        ]
        for (q, values) in queries {
            let fast = try n.rows(q, values)
            let slow = try slowPage(n, q, values, pageSize: nil, state: nil)
            #expect(fast == slow, "\(stage): \(q)")
            #expect(fast.rowCount > 0, "\(stage): \(q)")
            for size in [1, 2, 3, 7] {
                var state: [UInt8]?
                var pages = 0
                var rows: [[[UInt8]?]] = []
                repeat {
                    let f = try n.rows(q, values, options: QueryOptions(pageSize: size, pagingState: state))
                    let s = try slowPage(n, q, values, pageSize: size, state: state)
                    #expect(f == s, "\(stage): \(q) page \(pages) of \(size)")
                    rows += f.rows
                    state = f.pagingState
                    pages += 1
                } while state != nil && pages < 200
                #expect(rows == fast.rows, "\(stage): \(q) in pages of \(size)")
            }
        }
    }

    @Test func streamingMatchesTheGeneralExecutor() throws {
        let n = try node()
        try compare(n, "memtable")
        let t = try #require(n.schema.table(keyspace: "ks", name: "t"))
        let p = try #require(n.schema.table(keyspace: "ks", name: "p"))
        try n.schema.tableStore(t.id)!.flush()
        try n.schema.tableStore(p.id)!.flush()
        try compare(n, "one sstable")
        try n.run("INSERT INTO t (k, c, v) VALUES (2, 9, 29)")
        try n.run("DELETE FROM t WHERE k = 3 AND c = 2")
        try n.run("INSERT INTO p (a, b, x) VALUES (1, 'b1', 9.5)")
        try compare(n, "memtable + sstable")
        try n.schema.tableStore(t.id)!.flush()
        try compare(n, "two sstables")
    }

    /// Cassandra returns a row written only by UPDATE for a projection that does not name
    /// the updated column, with nulls.
    @Test func updateOnlyRowAppearsInEveryProjection() throws {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TABLE u (k int PRIMARY KEY, a int, b int)")
        try n.run("INSERT INTO u (k, a) VALUES (1, 10)")
        try n.run("UPDATE u SET b = 1 WHERE k = 2")
        let id = try #require(n.schema.table(keyspace: "ks", name: "u")).id
        for stage in ["memtable", "sstable"] {
            let a = try n.rows("SELECT a FROM u")
            #expect(a.rows.map { readInt32($0[0]) }.sorted { ($0 ?? -1) < ($1 ?? -1) } == [nil, 10], "\(stage)")
            #expect(try n.rows("SELECT k, a FROM u WHERE k = 2").rows == [[int32(2), nil]], "\(stage)")
            #expect(try n.rows("SELECT k FROM u").rowCount == 2, "\(stage)")
            #expect(readInt64(try n.rows("SELECT count(*) FROM u").rows[0][0]) == 2, "\(stage)")
            try n.schema.tableStore(id)!.flush()
        }
        // A partition with only static data is a row for key-only selections and count(*).
        try n.run("CREATE TABLE st (k int, c int, s int static, v int, PRIMARY KEY (k, c))")
        try n.run("INSERT INTO st (k, c, v) VALUES (1, 1, 1)")
        try n.run("INSERT INTO st (k, s) VALUES (2, 5)")
        #expect(try n.rows("SELECT k FROM st").rowCount == 2)
        #expect(readInt64(try n.rows("SELECT count(*) FROM st").rows[0][0]) == 2)
        // Deleting the only cell removes the row again.
        try n.run("DELETE b FROM u WHERE k = 2")
        #expect(try n.rows("SELECT a FROM u WHERE k = 2").rowCount == 0)
        #expect(try n.rows("SELECT a FROM u").rowCount == 1)
    }
}
