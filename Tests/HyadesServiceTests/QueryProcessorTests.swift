import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Testing
@testable import HyadesService

@Suite struct QueryProcessorTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        #expect(n.state.keyspace == "ks")
        return n
    }

    @Test func insertSelectWithClustering() throws {
        let n = try node()
        try n.run("CREATE TABLE t (k int, c int, v text, PRIMARY KEY (k, c))")
        for c in 0..<5 { try n.run("INSERT INTO t (k, c, v) VALUES (1, \(c), 'v\(c)')") }
        try n.run("INSERT INTO t (k, c, v) VALUES (2, 0, 'other')")
        let page = try n.rows("SELECT c, v FROM t WHERE k = 1")
        #expect(page.columns.map(\.name) == ["c", "v"])
        #expect(page.rows.map { readInt32($0[0]) } == [0, 1, 2, 3, 4])
        #expect(page.rows.map { readText($0[1]) } == ["v0", "v1", "v2", "v3", "v4"])
        let slice = try n.rows("SELECT c FROM t WHERE k = 1 AND c >= 2 AND c < 4 ORDER BY c DESC")
        #expect(slice.rows.map { readInt32($0[0]) } == [3, 2])
        let star = try n.rows("SELECT * FROM t WHERE k = 2")
        #expect(star.columns.map(\.name) == ["k", "c", "v"])
        #expect(star.rows.count == 1 && readInt32(star.rows[0][0]) == 2 && readText(star.rows[0][2]) == "other")
        let limited = try n.rows("SELECT c FROM t WHERE k = 1 LIMIT 2")
        #expect(limited.rows.count == 2)
        let count = try n.rows("SELECT count(*) FROM t")
        #expect(readInt64(count.rows[0][0]) == 6)
        let inq = try n.rows("SELECT k, c FROM t WHERE k IN (2, 1) AND c = 0")
        #expect(inq.rows.map { readInt32($0[0]) } == [2, 1])
    }

    @Test func deletesTTLAndWritetime() throws {
        let n = try node()
        try n.run("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        try n.run("INSERT INTO t (k, c, v) VALUES (1, 1, 10) USING TIMESTAMP 1234")
        try n.run("INSERT INTO t (k, c, v) VALUES (1, 2, 20) USING TTL 1000")
        try n.run("INSERT INTO t (k, c, v) VALUES (1, 3, 30)")
        let meta = try n.rows("SELECT c, writetime(v), ttl(v) FROM t WHERE k = 1")
        #expect(readInt64(meta.rows[0][1]) == 1234)
        #expect(meta.rows[0][2] == nil)
        let ttl = try #require(readInt32(meta.rows[1][2]))
        #expect(ttl > 990 && ttl <= 1000)
        try n.run("DELETE FROM t WHERE k = 1 AND c = 3")
        #expect(try n.rows("SELECT c FROM t WHERE k = 1").rows.map { readInt32($0[0]) } == [1, 2])
        try n.run("DELETE v FROM t WHERE k = 1 AND c = 2")
        let afterCell = try n.rows("SELECT c, v FROM t WHERE k = 1")
        #expect(afterCell.rows.count == 2 && afterCell.rows[1][1] == nil)
        try n.run("DELETE FROM t WHERE k = 1")
        #expect(try n.rows("SELECT * FROM t WHERE k = 1").rows.isEmpty)
        try n.run("INSERT INTO t (k, c, v) VALUES (5, 1, 1)")
        try n.run("TRUNCATE t")
        #expect(try n.rows("SELECT * FROM t").rows.isEmpty)
    }

    @Test func tokenRangeScanPagesThroughEveryRowOnce() throws {
        let n = try node()
        try n.run("CREATE TABLE t (k int, c int, v int, PRIMARY KEY (k, c))")
        let insert = try n.processor.prepare("INSERT INTO t (k, c, v) VALUES (?, ?, ?)", keyspace: "ks")
        #expect(insert.partitionKeyIndexes == [0])
        for k in 0..<1000 {
            for c in 0..<5 {
                _ = try n.processor.executePrepared(id: insert.id, state: &n.state, values: [.value(int32(Int32(k))), .value(int32(Int32(c))), .value(int32(Int32(k * 10 + c)))])
            }
        }
        // Half the data in an SSTable, half in the memtable.
        let t = try #require(n.schema.table(keyspace: "ks", name: "t"))
        try n.schema.tableStore(t.id)!.flush()
        let select = try n.processor.prepare("SELECT k, c, v FROM t WHERE token(k) > ? AND token(k) <= ?", keyspace: "ks")
        var seen = Set<[Int32]>()
        var pages = 0
        var paging: [UInt8]?
        var lastToken = Int64.min
        repeat {
            let r = try n.processor.executePrepared(id: select.id, state: &n.state,
                                                   values: [.value(int64(Int64.min)), .value(int64(Int64.max))],
                                                   options: QueryOptions(pageSize: 100, pagingState: paging))
            guard case .rows(let page) = r else { Issue.record("not rows"); return }
            #expect(page.rows.count <= 100)
            for row in page.rows {
                let key = [readInt32(row[0])!, readInt32(row[1])!, readInt32(row[2])!]
                #expect(seen.insert(key).inserted, "row \(key) returned twice")
                let token = Murmur3Partitioner.token(row[0]!).value
                #expect(token >= lastToken)
                lastToken = token
            }
            paging = page.pagingState
            pages += 1
        } while paging != nil
        #expect(seen.count == 5000)
        #expect(pages >= 50 && pages <= 51)
    }

    @Test func preparedStatementsAndUnprepared() throws {
        let n = try node()
        try n.run("CREATE TABLE t (a int, b text, c int, v int, PRIMARY KEY ((a, b), c))")
        let p = try n.processor.prepare("INSERT INTO t (c, b, a, v) VALUES (?, ?, ?, ?)", keyspace: "ks")
        #expect(p.partitionKeyIndexes == [2, 1])
        #expect(p.variables.map(\.name) == ["c", "b", "a", "v"])
        _ = try n.processor.executePrepared(id: p.id, state: &n.state, values: [.value(int32(3)), .value(text("x")), .value(int32(1)), .value(int32(9))])
        let s = try n.processor.prepare("SELECT v FROM t WHERE a = ? AND b = ?", keyspace: "ks")
        #expect(s.resultColumns.map(\.name) == ["v"])
        guard case .rows(let page) = try n.processor.executePrepared(id: s.id, state: &n.state, values: [.value(int32(1)), .value(text("x"))]) else {
            Issue.record("not rows"); return
        }
        #expect(page.rows.map { readInt32($0[0]) } == [9])
        #expect(try n.processor.prepare("SELECT v FROM t WHERE a = ? AND b = ?", keyspace: "ks").id == s.id)
        let q = "SELECT v FROM ks.t WHERE a = ? AND b = ?"
        #expect(try n.processor.prepare(q, keyspace: "ks").id != n.processor.prepare(q, keyspace: nil).id)
        do {
            _ = try n.processor.executePrepared(id: [UInt8](repeating: 7, count: 16), state: &n.state, values: [])
            Issue.record("expected unprepared")
        } catch {
            #expect(error.code == .unprepared)
        }
    }

    @Test func dataSurvivesRestart() throws {
        let n = try node()
        try n.run("CREATE TABLE t (k int PRIMARY KEY, v text)")
        try n.run("INSERT INTO t (k, v) VALUES (1, 'flushed')")
        let t = try #require(n.schema.table(keyspace: "ks", name: "t"))
        try n.schema.tableStore(t.id)!.flush()
        try n.run("INSERT INTO t (k, v) VALUES (2, 'in the log')")
        try n.engine.syncCommitLog()
        try n.restart()
        n.state = ClientState()
        let page = try n.rows("SELECT k, v FROM ks.t")
        #expect(Set(page.rows.map { readText($0[1])! }) == ["flushed", "in the log"])
    }

    @Test func errorsCarryCodes() throws {
        let n = try node()
        func code(_ cql: String) -> QueryError.Code? {
            do { try n.run(cql); return nil } catch let e as QueryError { return e.code } catch { return nil }
        }
        #expect(code("SELEC * FROM t") == .syntaxError)
        #expect(code("SELECT * FROM nope") == .invalid)
        #expect(code("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}") == .alreadyExists)
        try n.run("CREATE TABLE t (k int PRIMARY KEY)")
        do {
            try n.run("CREATE TABLE t (k int PRIMARY KEY)")
        } catch let e as QueryError {
            #expect(e.code == .alreadyExists && e.keyspace == "ks" && e.table == "t")
        }
        #expect(code("INSERT INTO system.local (key) VALUES ('x')") == .unauthorized)
        #expect(code("CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY)") == nil)
    }

    @Test func systemTables() throws {
        let n = try node()
        try n.run("CREATE TABLE t (k int, c text, v bigint, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC)")
        let local = try n.rows("SELECT * FROM system.local WHERE key = 'local'")
        #expect(local.rows.count == 1)
        func col(_ p: ResultPage, _ row: Int, _ name: String) -> [UInt8]? {
            p.rows[row][p.columns.firstIndex { $0.name == name }!]
        }
        #expect(readText(col(local, 0, "cluster_name")) == "Test Cluster")
        #expect(readText(col(local, 0, "release_version")) == "5.0.0")
        #expect(readText(col(local, 0, "partitioner")) == "org.apache.cassandra.dht.Murmur3Partitioner")
        #expect(col(local, 0, "schema_version") == SystemKeyspaces.uuid(n.schema.schemaVersion))
        #expect(try n.rows("SELECT peer FROM system.peers").rows.isEmpty)
        #expect(try n.rows("SELECT * FROM system.peers_v2").rows.isEmpty)

        let cols = try n.rows("SELECT column_name, kind, position, clustering_order, type FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'")
        let byName = Dictionary(uniqueKeysWithValues: cols.rows.map { (readText($0[0])!, $0) })
        #expect(Set(byName.keys) == ["k", "c", "v"])
        #expect(readText(byName["k"]![1]) == "partition_key")
        #expect(readText(byName["c"]![1]) == "clustering" && readText(byName["c"]![3]) == "desc")
        #expect(readInt32(byName["c"]![2]) == 0 && readInt32(byName["v"]![2]) == -1)
        #expect(readText(byName["v"]![4]) == "bigint" && readText(byName["v"]![3]) == "none")

        let keyspaces = try n.rows("SELECT keyspace_name FROM system_schema.keyspaces")
        let names = Set(keyspaces.rows.map { readText($0[0])! })
        #expect(names.isSuperset(of: ["ks", "system", "system_schema"]))
        let tables = try n.rows("SELECT table_name FROM system_schema.tables WHERE keyspace_name = 'system'")
        #expect(Set(tables.rows.map { readText($0[0])! }).isSuperset(of: ["local", "peers", "peers_v2"]))

        guard case .rows(let d) = try n.run("DESCRIBE TABLE ks.t") else { Issue.record("not rows"); return }
        #expect(d.columns.map(\.name) == ["keyspace_name", "type", "name", "create_statement"])
        #expect(readText(d.rows[0][3])?.hasPrefix("CREATE TABLE ks.t") == true)
    }
}

@Suite struct DescribeAndAlterTests {
    @Test func describeListingsAndElements() throws {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        guard case .rows(let ks) = try n.run("DESCRIBE KEYSPACES") else { Issue.record("not rows"); return }
        #expect(ks.columns.map(\.name) == ["keyspace_name", "type", "name"])
        #expect(ks.rows.map { readText($0[2])! }.contains("ks"))
        guard case .rows(let full) = try n.run("DESCRIBE KEYSPACE ks") else { Issue.record("not rows"); return }
        #expect(full.rows.map { readText($0[1])! } == ["keyspace", "table"])
        #expect(readText(full.rows[0][3])?.hasPrefix("CREATE KEYSPACE ks") == true)
        #expect(throws: QueryError.self) { try n.run("DESCRIBE TABLE ks.nope") }
    }

    @Test func preparedStatementsFollowAlterTable() throws {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        try n.run("INSERT INTO ks.t (k, v) VALUES (1, 2)")
        let p = try n.processor.prepare("SELECT * FROM ks.t WHERE k = ?", keyspace: nil)
        #expect(p.resultColumns.map(\.name) == ["k", "v"])
        try n.run("ALTER TABLE ks.t ADD w text")
        try n.run("UPDATE ks.t SET w = 'x' WHERE k = 1")
        // The client holds [k, v]: the statement is evicted, the next EXECUTE is UNPREPARED
        // and the client learns the new columns by preparing again (Cassandra's behaviour).
        do {
            _ = try n.processor.executePrepared(id: p.id, state: &n.state, values: [.value(int32(1))])
            Issue.record("expected UNPREPARED")
        } catch {
            #expect(error.code == .unprepared && error.unpreparedID == p.id)
        }
        let again = try n.processor.prepare("SELECT * FROM ks.t WHERE k = ?", keyspace: nil)
        #expect(again.id == p.id && again.resultColumns.map(\.name) == ["k", "v", "w"])
        guard case .rows(let page) = try n.processor.executePrepared(id: p.id, state: &n.state, values: [.value(int32(1))]) else {
            Issue.record("not rows"); return
        }
        #expect(page.columns.map(\.name) == ["k", "v", "w"])
        #expect(readText(page.rows[0][2]) == "x")
        try n.run("DROP TABLE ks.t")
        do {
            _ = try n.processor.executePrepared(id: p.id, state: &n.state, values: [.value(int32(1))])
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unprepared)
        }
    }
}
