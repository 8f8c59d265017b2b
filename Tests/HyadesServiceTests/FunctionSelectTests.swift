import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Testing
@testable import HyadesService

/// Native functions through the query processor: selectors evaluated per row by
/// SelectExecutor (also inside aggregates and SELECT JSON), function terms in WHERE
/// clauses and written values, duration filters, UDT literals with explicit nulls.
@Suite struct FunctionSelectTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        return n
    }

    @Test func selectorsRunPerRow() throws {
        let n = try node()
        try n.run("CREATE TABLE t (k int, c int, b blob, ts timestamp, PRIMARY KEY (k, c))")
        for c in 0..<4 {
            try n.run("INSERT INTO t (k, c, b, ts) VALUES (1, \(c), intAsBlob(\(c) * 10), '2020-01-0\(c + 1) 00:00:00+0000' + 12h)")
        }
        let page = try n.rows("SELECT c + 1, blobAsInt(b), toUnixTimestamp(ts), cast(c AS text) FROM t WHERE k = 1")
        #expect(page.columns.map(\.name) == ["c + 1", "system.blobasint(b)", "system.tounixtimestamp(ts)", "cast(c as text)"])
        #expect(page.rows.map { readInt32($0[0]) } == [1, 2, 3, 4])
        #expect(page.rows.map { readInt32($0[1]) } == [0, 10, 20, 30])
        let expected: [Int64?] = (0..<4).map { (i: Int) -> Int64? in 1_577_836_800_000 + Int64(i) * 86_400_000 + 43_200_000 }
        #expect(page.rows.map { readInt64($0[2]) } == expected)
        #expect(page.rows.map { readText($0[3]) } == ["0", "1", "2", "3"])
        let agg = try n.rows("SELECT max(blobAsInt(b)), sum(c * 2) FROM t WHERE k = 1")
        #expect(readInt32(agg.rows[0][0]) == 30 && readInt32(agg.rows[0][1]) == 12)
        // Aggregates inside functions, and a cast of a typed constant.
        let nested = try n.rows("SELECT cast(count(*) AS int), max(c) + 1, -min(c), c, cast((int) 7 AS text) FROM t WHERE k = 1")
        #expect(nested.columns.map(\.name) == ["cast(count as int)", "system.max(c) + 1", "-system.min(c)", "c", "cast((int)7 as text)"])
        #expect(readInt32(nested.rows[0][0]) == 4 && readInt32(nested.rows[0][1]) == 4 && readInt32(nested.rows[0][2]) == 0)
        #expect(readInt32(nested.rows[0][3]) == 0 && readText(nested.rows[0][4]) == "7")
        let none = try n.rows("SELECT count(*) + 1, max(c) + 1 FROM t WHERE k = 9")
        #expect(none.rows.count == 1 && none.columns.map(\.type) == [.bigint, .int], "\(none.rows) \(none.columns)")
        #expect(readInt64(none.rows[0][0]) == 1 && none.rows[0][1] == nil, "\(none.rows)")
        let json = try n.rows("SELECT JSON c, blobAsInt(b) FROM t WHERE k = 1 AND c = 2")
        #expect(readText(json.rows[0][0]) == "{\"c\": 2, \"system.blobasint(b)\": 20}")
        // WHERE terms: a clustering bound computed from a marker, a filter on a function.
        let slice = try n.rows("SELECT c FROM t WHERE k = 1 AND c > (int) ? - 1", [.value(int32(2))])
        #expect(slice.rows.map { readInt32($0[0]) } == [2, 3])
        let filtered = try n.rows("SELECT c FROM t WHERE k = 1 AND b = intAsBlob(20) ALLOW FILTERING")
        #expect(filtered.rows.map { readInt32($0[0]) } == [2])
        let now = try n.rows("SELECT now() FROM t WHERE k = 1")
        #expect(Set(now.rows.map { $0[0]! }).count == 4)  // every call is a new timeuuid
    }

    @Test func durationFiltersAndUDTNulls() throws {
        let n = try node()
        try n.run("CREATE TABLE d (k int PRIMARY KEY, d duration)")
        try n.run("INSERT INTO d (k, d) VALUES (1, 1h30m)")
        try n.run("INSERT INTO d (k, d) VALUES (2, 2d)")
        #expect(try n.rows("SELECT k FROM d WHERE d = PT1H30M ALLOW FILTERING").rows.map { readInt32($0[0]) } == [1])
        try n.run("CREATE TYPE pair (a int, b text)")
        try n.run("CREATE TABLE u (k int PRIMARY KEY, f frozen<pair>)")
        try n.run("INSERT INTO u (k, f) VALUES (1, {a: null, b: null})")
        let f = try n.rows("SELECT f FROM u WHERE k = 1").rows[0][0]
        #expect(f == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }
}
