import Foundation
import HyadesCore
import HyadesCQL
import Synchronization
import Testing
@testable import HyadesService

@Suite struct ConditionalUpdateTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TABLE t (k int, c int, v text, n int, PRIMARY KEY (k, c))")
        return n
    }

    /// The `[applied]` cell and the other columns' names of a conditional write's answer.
    func outcome(_ n: TestNode, _ cql: String, _ values: [CQLBoundValue] = []) throws -> (applied: Bool, columns: [String], row: [[UInt8]?]) {
        let page = try n.rows(cql, values)
        #expect(page.columns.first?.name == "[applied]" && page.columns.first?.type == .boolean)
        let row = page.rows[0]
        return (row[0] == [1], page.columns.dropFirst().map(\.name), Array(row.dropFirst()))
    }

    @Test func ifNotExistsAppliesOnceAndShowsTheExistingRow() throws {
        let n = try node()
        let first = try outcome(n, "INSERT INTO t (k, c, v) VALUES (1, 1, 'a') IF NOT EXISTS")
        #expect(first.applied && first.columns.isEmpty)
        let second = try outcome(n, "INSERT INTO t (k, c, v) VALUES (1, 1, 'b') IF NOT EXISTS")
        #expect(!second.applied)
        #expect(second.columns == ["k", "c", "n", "v"])
        #expect(readText(second.row[3]) == "a")
        #expect(readText(try n.rows("SELECT v FROM t WHERE k = 1 AND c = 1").rows[0][0]) == "a")
    }

    @Test func ifExistsAndColumnConditions() throws {
        let n = try node()
        #expect(try !outcome(n, "UPDATE t SET v = 'x' WHERE k = 1 AND c = 1 IF EXISTS").applied)
        #expect(try n.rows("SELECT * FROM t").rows.isEmpty, "a failed IF EXISTS writes nothing")
        try n.run("INSERT INTO t (k, c, v, n) VALUES (1, 1, 'a', 5)")
        #expect(try outcome(n, "UPDATE t SET v = 'b' WHERE k = 1 AND c = 1 IF EXISTS").applied)
        let wrong = try outcome(n, "UPDATE t SET v = 'c' WHERE k = 1 AND c = 1 IF v = 'a' AND n > 4")
        #expect(!wrong.applied && wrong.columns == ["n", "v"] && readText(wrong.row[1]) == "b")
        #expect(try outcome(n, "UPDATE t SET v = 'c' WHERE k = 1 AND c = 1 IF v IN ('a', 'b') AND n > 4").applied)
        // Prepared, with the condition's operand bound.
        let p = try n.processor.prepare("UPDATE t SET n = ? WHERE k = ? AND c = ? IF n = ?", keyspace: "ks")
        var s = ClientState(); s.keyspace = "ks"
        guard case .rows(let page) = try n.processor.executePrepared(id: p.id, state: &s,
                values: [.value(int32(6)), .value(int32(1)), .value(int32(1)), .value(int32(5))]) else {
            Issue.record("no rows"); return
        }
        #expect(page.rows[0][0] == [1])
        #expect(readInt32(try n.rows("SELECT n FROM t WHERE k = 1 AND c = 1").rows[0][0]) == 6)
        #expect(try !outcome(n, "DELETE FROM t WHERE k = 1 AND c = 1 IF v = 'zz'").applied)
        #expect(try outcome(n, "DELETE FROM t WHERE k = 1 AND c = 1 IF EXISTS").applied)
        #expect(try n.rows("SELECT * FROM t").rows.isEmpty)
    }

    @Test func conditionalBatchOnOnePartitionIsAllOrNothing() throws {
        let n = try node()
        try n.run("INSERT INTO t (k, c, v, n) VALUES (1, 1, 'a', 1)")
        let failed = try outcome(n, "BEGIN BATCH INSERT INTO t (k, c, v) VALUES (1, 2, 'new') IF NOT EXISTS; "
                                     + "UPDATE t SET v = 'b' WHERE k = 1 AND c = 1 IF v = 'zz'; APPLY BATCH")
        #expect(!failed.applied && failed.columns == ["k", "c", "n", "v"])
        #expect(readText(failed.row[3]) == "a")
        #expect(try n.rows("SELECT c FROM t WHERE k = 1").rows.count == 1, "nothing of a failed batch is written")
        let ok = try outcome(n, "BEGIN BATCH INSERT INTO t (k, c, v) VALUES (1, 2, 'new') IF NOT EXISTS; "
                                 + "UPDATE t SET v = 'b' WHERE k = 1 AND c = 1 IF v = 'a'; "
                                 + "INSERT INTO t (k, c, v) VALUES (1, 3, 'plain'); APPLY BATCH")
        #expect(ok.applied)
        #expect(try n.rows("SELECT v FROM t WHERE k = 1").rows.map { readText($0[0]) } == ["b", "new", "plain"])
        // The protocol's BATCH of prepared conditional statements.
        let p = try n.processor.prepare("UPDATE t SET n = ? WHERE k = 1 AND c = ? IF n = ?", keyspace: "ks")
        var s = ClientState(); s.keyspace = "ks"
        guard case .rows(let page) = try n.processor.executeBatch(
            [.prepared(id: p.id, values: [.value(int32(2)), .value(int32(1)), .value(int32(1))])], state: &s) else {
            Issue.record("no rows"); return
        }
        #expect(page.rows[0][0] == [1])
    }

    @Test func conditionalBatchRulesAreCassandras() throws {
        let n = try node()
        try n.run("CREATE TABLE u (k int PRIMARY KEY)")
        func message(_ cql: String) -> String {
            do { _ = try n.run(cql); return "no error" } catch { return "\(error)" }
        }
        #expect(message("BEGIN BATCH INSERT INTO t (k, c) VALUES (1, 1) IF NOT EXISTS; INSERT INTO t (k, c) VALUES (2, 1); APPLY BATCH")
                .contains("multiple partitions"))
        #expect(message("BEGIN BATCH INSERT INTO t (k, c) VALUES (1, 1) IF NOT EXISTS; INSERT INTO u (k) VALUES (1); APPLY BATCH")
                .contains("multiple tables"))
        #expect(message("BEGIN BATCH USING TIMESTAMP 5 INSERT INTO t (k, c) VALUES (1, 1) IF NOT EXISTS; APPLY BATCH")
                .contains("custom timestamp"))
        #expect(message("INSERT INTO t (k, c) VALUES (1, 1) IF NOT EXISTS USING TIMESTAMP 5").contains("custom timestamp"))
        #expect(try n.rows("SELECT * FROM t").rows.isEmpty)
    }

    /// Compare-and-set increments from several threads: every applied CAS moved the counter
    /// by exactly one, so the final value equals the number of applied updates — lost
    /// updates would show as fewer.
    @Test func concurrentCompareAndSetLosesNoUpdate() throws {
        let n = try node()
        try n.run("INSERT INTO t (k, c, n) VALUES (7, 0, 0)")
        let processor = n.processor!
        let applied = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            var state = ClientState(); state.keyspace = "ks"
            for _ in 0..<100 {
                do {
                    guard case .rows(let read) = try processor.execute("SELECT n FROM t WHERE k = 7 AND c = 0", state: &state),
                          let current = readInt32(read.rows[0][0]) else { continue }
                    guard case .rows(let cas) = try processor.execute(
                        "UPDATE t SET n = \(current + 1) WHERE k = 7 AND c = 0 IF n = \(current)", state: &state) else { continue }
                    if cas.rows[0][0] == [1] { applied.add(1, ordering: .relaxed) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let final = readInt32(try n.rows("SELECT n FROM t WHERE k = 7 AND c = 0").rows[0][0])
        #expect(final == Int32(applied.load(ordering: .relaxed)))
        #expect(applied.load(ordering: .relaxed) > 0)
    }
}
