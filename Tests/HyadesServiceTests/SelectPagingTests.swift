import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Testing
@testable import HyadesService

@Suite struct SelectPagingTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TABLE t (k int, c int, v int, s text static, PRIMARY KEY (k, c))")
        for k in 0..<3 { for c in 0..<7 { try n.run("INSERT INTO t (k, c, v) VALUES (\(k), \(c), \(k * 100 + c))") } }
        return n
    }

    /// Every page of `cql`, concatenated.
    func all(_ n: TestNode, _ cql: String, pageSize: Int) throws -> (rows: [[[UInt8]?]], pages: Int) {
        var out: [[[UInt8]?]] = []
        var state: [UInt8]?
        var pages = 0
        repeat {
            let p = try n.rows(cql, options: QueryOptions(pageSize: pageSize, pagingState: state))
            #expect(p.rows.count <= pageSize)
            out += p.rows
            state = p.pagingState
            pages += 1
        } while state != nil && pages < 1000
        return (out, pages)
    }

    @Test func pagingMatchesUnpagedResults() throws {
        let n = try node()
        for q in [
            "SELECT k, c, v FROM t",
            "SELECT k, c, v FROM t WHERE k = 1",
            "SELECT k, c, v FROM t WHERE k = 1 ORDER BY c DESC",
            "SELECT k, c, v FROM t WHERE k IN (2, 0) AND c > 2",
            "SELECT k, c, v FROM t LIMIT 10",
            "SELECT k, c, v FROM t PER PARTITION LIMIT 3",
            "SELECT k, c, v FROM t WHERE v > 150 ALLOW FILTERING",
            "SELECT DISTINCT k FROM t",
        ] {
            let unpaged = try n.rows(q)
            #expect(unpaged.pagingState == nil)
            for size in [1, 2, 3, 5, 100] {
                let paged = try all(n, q, pageSize: size)
                #expect(paged.rows == unpaged.rows, "\(q) in pages of \(size)")
            }
        }
        #expect(try n.rows("SELECT k, c FROM t LIMIT 10").rows.count == 10)
        #expect(try n.rows("SELECT k, c FROM t PER PARTITION LIMIT 3").rows.count == 9)
        #expect(try n.rows("SELECT DISTINCT k FROM t").rows.count == 3)
        #expect(try n.rows("SELECT c FROM t WHERE k = 1 ORDER BY c DESC").rows.map { readInt32($0[0]) } == [6, 5, 4, 3, 2, 1, 0])
        #expect(try n.rows("SELECT v FROM t WHERE v > 150 ALLOW FILTERING").rows.map { readInt32($0[0])! }.sorted() == [200, 201, 202, 203, 204, 205, 206])
    }

    @Test func badPagingStateIsAnError() throws {
        let n = try node()
        #expect(throws: QueryError.self) { try n.rows("SELECT * FROM t", options: QueryOptions(pageSize: 2, pagingState: [9, 9, 9])) }
    }

    @Test func staticsAggregatesJSONAndBatches() throws {
        let n = try node()
        try n.run("INSERT INTO t (k, s) VALUES (9, 'only static')")
        let st = try n.rows("SELECT k, c, s FROM t WHERE k = 9")
        #expect(st.rows.count == 1 && st.rows[0][1] == nil && readText(st.rows[0][2]) == "only static")
        let agg = try n.rows("SELECT count(*), max(v), min(v), sum(v) FROM t WHERE k = 1")
        #expect(readInt64(agg.rows[0][0]) == 7)
        #expect(readInt32(agg.rows[0][1]) == 106 && readInt32(agg.rows[0][2]) == 100 && readInt32(agg.rows[0][3]) == 721)
        let json = try n.rows("SELECT JSON c, v FROM t WHERE k = 0 AND c = 1")
        #expect(readText(json.rows[0][0]) == "{\"c\": 1, \"v\": 1}")
        let tok = try n.rows("SELECT token(k) FROM t WHERE k = 2 LIMIT 1")
        #expect(readInt64(tok.rows[0][0]) == Murmur3Partitioner.token(int32(2)).value)

        let ins = try n.processor.prepare("INSERT INTO t (k, c, v) VALUES (?, ?, ?)", keyspace: "ks")
        _ = try n.processor.executeBatch([
            .prepared(id: ins.id, values: [.value(int32(50)), .value(int32(1)), .value(int32(1))]),
            .prepared(id: ins.id, values: [.value(int32(50)), .value(int32(2)), .value(int32(2))]),
            .query("INSERT INTO t (k, c, v) VALUES (51, 1, 5)", values: []),
        ], state: &n.state, options: QueryOptions(timestamp: 777))
        let b = try n.rows("SELECT k, c, writetime(v) FROM t WHERE k IN (50, 51)")
        #expect(b.rows.count == 3)
        #expect(b.rows.allSatisfy { readInt64($0[2]) == 777 })
    }

    @Test func sizeEstimatesFromSSTables() throws {
        let n = try node()
        let t = try #require(n.schema.table(keyspace: "ks", name: "t"))
        try n.schema.tableStore(t.id)!.flush()
        // One row per primary range of the node (its token "0": (min, 0] and (0, min]).
        let p = try n.rows("SELECT table_name, range_start, range_end, partitions_count, mean_partition_size FROM system.size_estimates WHERE keyspace_name = 'ks'")
        #expect(p.rows.map { [readText($0[1]), readText($0[2])] } == [["-9223372036854775808", "0"], ["0", "-9223372036854775808"]])
        #expect(p.rows.allSatisfy { readText($0[0]) == "t" && (readInt64($0[4]) ?? 0) > 0 })
        let total = p.rows.reduce(Int64(0)) { $0 + (readInt64($1[3]) ?? 0) }
        #expect((2...4).contains(total), "3 partitions, each range's estimate rounded: \(total)")
    }

    /// Estimates per range follow where the partitions are (SSTables by their token span,
    /// memtables by the range's share of the ring), and `table_estimates` repeats them.
    @Test func sizeEstimatesPerPrimaryRangeCountMemtables() throws {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("CREATE TABLE ks.e (k int PRIMARY KEY, v int)")
        for k in 0..<1000 { try n.run("INSERT INTO ks.e (k, v) VALUES (\(k), 1)") }
        let t = try #require(n.schema.table(keyspace: "ks", name: "e"))
        try n.schema.tableStore(t.id)!.flush()
        for k in 1000..<1400 { try n.run("INSERT INTO ks.e (k, v) VALUES (\(k), 1)") }
        let p = try n.rows("SELECT range_start, range_end, partitions_count FROM system.size_estimates WHERE keyspace_name = 'ks' AND table_name = 'e'")
        let counts = p.rows.map { readInt64($0[2]) ?? -1 }
        #expect(counts.count == 2)
        #expect(abs(counts.reduce(0, +) - 1400) <= 2, "\(counts)")
        // Murmur3 halves the keys between the two ranges (binomial sd ~19 of 1400).
        #expect(counts.allSatisfy { abs($0 - 700) < 120 }, "\(counts)")
        let typed = try n.rows("SELECT range_type, partitions_count FROM system.table_estimates WHERE keyspace_name = 'ks' AND table_name = 'e'")
        #expect(Set(typed.rows.map { readText($0[0]) }) == ["local_primary", "primary"])
        #expect(typed.rows.count == 4)
    }
}
