import Foundation
import HyadesCore
import HyadesCQL
import Synchronization
import Testing
@testable import HyadesService

@Suite struct CounterTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TABLE hits (page text, day int, views counter, clicks counter, PRIMARY KEY (page, day))")
        return n
    }

    func counters(_ n: TestNode, _ page: String = "home", day: Int = 1) throws -> (views: Int64?, clicks: Int64?) {
        let p = try n.rows("SELECT views, clicks FROM hits WHERE page = '\(page)' AND day = \(day)")
        guard let row = p.rows.first else { return (nil, nil) }
        return (readInt64(row[0]), readInt64(row[1]))
    }

    /// The message a statement is refused with (nil if it was accepted).
    func refusal(_ n: TestNode, _ cql: String, _ values: [CQLBoundValue] = []) -> String? {
        do { try n.run(cql, values); return nil } catch { return (error as? QueryError)?.message ?? "\(error)" }
    }

    @Test func incrementsAndDecrementsAndUnsetCountersReadNull() throws {
        let n = try node()
        try n.run("UPDATE hits SET views = views + 1 WHERE page = 'home' AND day = 1")
        try n.run("UPDATE hits SET views = views + 41 WHERE page = 'home' AND day = 1")
        var c = try counters(n)
        #expect(c.views == 42)
        #expect(c.clicks == nil, "a counter never set reads as null")
        try n.run("UPDATE hits SET views = views - 2, clicks = clicks + 3 WHERE page = 'home' AND day = 1")
        c = try counters(n)
        #expect(c.views == 40 && c.clicks == 3)
        try n.run("UPDATE hits SET clicks = clicks - ? WHERE page = ? AND day = ?",
                  [.value(int64(10)), .value(text("home")), .value(int32(1))])
        #expect(try counters(n).clicks == -7)
        // The result metadata says counter (type id 0x0005 on the wire).
        let page = try n.rows("SELECT views FROM hits WHERE page = 'home' AND day = 1")
        #expect(page.columns[0].type == .counter && page.columns[0].type.nativeOptionID == 0x0005)
        // DELETE is allowed; the counter then reads as absent.
        try n.run("DELETE views FROM hits WHERE page = 'home' AND day = 1")
        c = try counters(n)
        #expect(c.views == nil && c.clicks == -7)
        try n.run("DELETE FROM hits WHERE page = 'home' AND day = 1")
        #expect(try n.rows("SELECT * FROM hits").rows.isEmpty)
    }

    @Test func preparedIncrementsDoNotTakeTheBlindWritePath() throws {
        let n = try node()
        let p = try n.processor.prepare("UPDATE hits SET views = views + ? WHERE page = ? AND day = ?", keyspace: "ks")
        #expect(p.plan.variables.columns.map(\.type) == [.counter, .text, .int])
        var s = ClientState(); s.keyspace = "ks"
        for _ in 0..<5 {
            _ = try n.processor.executePrepared(id: p.id, state: &s, values: [.value(int64(2)), .value(text("a")), .value(int32(3))])
        }
        #expect(try counters(n, "a", day: 3).views == 10)
    }

    @Test func concurrentIncrementsSumExactly() throws {
        let n = try node()
        let processor = n.processor!
        let p = try processor.prepare("UPDATE hits SET views = views + ? WHERE page = 'hot' AND day = 1", keyspace: "ks")
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            var state = ClientState(); state.keyspace = "ks"
            for j in 0..<100 {
                do {
                    if j % 2 == 0 {
                        _ = try processor.execute("UPDATE hits SET views = views + 1, clicks = clicks - 1 WHERE page = 'hot' AND day = 1",
                                                  state: &state)
                    } else {
                        _ = try processor.executePrepared(id: p.id, state: &state, values: [.value(int64(Int64(i + 1)))])
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        // 4 threads x 50 text increments of 1, and 50 prepared increments of i+1 each.
        let c = try counters(n, "hot")
        let expected: Int64 = 4 * 50 + 50 * 10   // 50 prepared increments of each of 1, 2, 3, 4
        #expect(c.views == expected)
        #expect(c.clicks == -200)
    }

    @Test func restartKeepsValuesAndReplayIsIdempotent() throws {
        let n = try node()
        for _ in 0..<3 { try n.run("UPDATE hits SET views = views + 5 WHERE page = 'p' AND day = 2") }
        try n.run("UPDATE hits SET clicks = clicks - 1 WHERE page = 'p' AND day = 2")
        try n.restart()   // commit log replay
        #expect(try counters(n, "p", day: 2) == (15, -1))
        try n.restart()   // replayed again: the log holds values, not deltas
        #expect(try counters(n, "p", day: 2) == (15, -1))
        try n.run("UPDATE hits SET views = views + 1 WHERE page = 'p' AND day = 2")
        try n.restart()
        #expect(try counters(n, "p", day: 2) == (16, -1))
    }

    @Test func counterBatches() throws {
        let n = try node()
        try n.run("CREATE TABLE plain (k int PRIMARY KEY, v int)")
        try n.run("BEGIN COUNTER BATCH UPDATE hits SET views = views + 1 WHERE page = 'b' AND day = 1; "
                  + "UPDATE hits SET views = views + 2 WHERE page = 'b' AND day = 1; "
                  + "UPDATE hits SET clicks = clicks + 7 WHERE page = 'c' AND day = 1; APPLY BATCH")
        #expect(try counters(n, "b") == (3, nil))
        #expect(try counters(n, "c") == (nil, 7))
        #expect(refusal(n, "BEGIN COUNTER BATCH UPDATE hits SET views = views + 1 WHERE page = 'b' AND day = 1; "
                        + "INSERT INTO plain (k, v) VALUES (1, 1); APPLY BATCH")
                == "Counter and non-counter mutations cannot exist in the same batch")
        #expect(refusal(n, "BEGIN COUNTER BATCH INSERT INTO plain (k, v) VALUES (1, 1); APPLY BATCH")
                == "Cannot include non-counter statement in a counter batch")
        #expect(refusal(n, "BEGIN BATCH UPDATE hits SET views = views + 1 WHERE page = 'b' AND day = 1; APPLY BATCH")
                == "Cannot include a counter statement in a logged batch")
        #expect(refusal(n, "BEGIN COUNTER BATCH USING TIMESTAMP 5 UPDATE hits SET views = views + 1 WHERE page = 'b' AND day = 1; APPLY BATCH")
                == "Cannot provide custom timestamp for counter BATCH")
        #expect(try counters(n, "b") == (3, nil), "refused batches write nothing")
        // The protocol's BATCH message of prepared counter updates.
        let p = try n.processor.prepare("UPDATE hits SET views = views + ? WHERE page = 'b' AND day = 1", keyspace: "ks")
        let q = try n.processor.prepare("INSERT INTO plain (k, v) VALUES (?, ?)", keyspace: "ks")
        var s = ClientState(); s.keyspace = "ks"
        _ = try n.processor.executeBatch([.prepared(id: p.id, values: [.value(int64(10))]),
                                          .prepared(id: p.id, values: [.value(int64(20))])], state: &s)
        #expect(try counters(n, "b").views == 33)
        #expect(throws: QueryError.self) {
            _ = try n.processor.executeBatch([.prepared(id: p.id, values: [.value(int64(1))]),
                                              .prepared(id: q.id, values: [.value(int32(1)), .value(int32(1))])], state: &s)
        }
    }

    @Test func cassandrasErrorsForCounterMisuse() throws {
        let n = try node()
        #expect(refusal(n, "INSERT INTO hits (page, day, views) VALUES ('a', 1, 1)")
                == "INSERT statements are not allowed on counter tables, use UPDATE instead")
        #expect(refusal(n, "INSERT INTO hits JSON '{\"page\": \"a\", \"day\": 1}'")
                == "INSERT statements are not allowed on counter tables, use UPDATE instead")
        #expect(refusal(n, "UPDATE hits USING TTL 10 SET views = views + 1 WHERE page = 'a' AND day = 1")
                == "Cannot provide custom TTL for counter updates")
        #expect(refusal(n, "UPDATE hits USING TIMESTAMP 10 SET views = views + 1 WHERE page = 'a' AND day = 1")
                == "Cannot provide custom timestamp for counter updates")
        #expect(refusal(n, "UPDATE hits SET views = 5 WHERE page = 'a' AND day = 1")
                == "Cannot set the value of counter column views (counters can only be incremented/decremented, not set)")
        #expect(refusal(n, "UPDATE hits SET views = views + null WHERE page = 'a' AND day = 1")
                == "Invalid null value for counter increment")
        #expect(refusal(n, "UPDATE hits SET views = views + 1 WHERE page = 'a' AND day = 1 IF EXISTS")
                == "Conditional updates are not supported on counter tables")
        #expect(refusal(n, "CREATE TABLE mixed (k int PRIMARY KEY, c counter, v int)")
                == "Cannot mix counter and non counter columns in the same table")
        #expect(refusal(n, "CREATE TABLE ck (k counter PRIMARY KEY, c counter)")
                == "counter type is not supported for PRIMARY KEY column 'k'")
        #expect(refusal(n, "CREATE TABLE lc (k int PRIMARY KEY, l list<counter>)")
                == "Counters are not allowed inside collections: list<counter>")
        #expect(refusal(n, "CREATE TABLE ttlc (k int PRIMARY KEY, c counter) WITH default_time_to_live = 10")
                == "Cannot set default_time_to_live on a table with counters")
        #expect(refusal(n, "ALTER TABLE hits ADD note text") == "Cannot add a non counter column (note) in a counter table")
        try n.run("CREATE TABLE plain (k int PRIMARY KEY, v bigint)")
        #expect(refusal(n, "ALTER TABLE plain ADD c counter") == "Cannot add a counter column (c) in a non counter table")
        #expect(refusal(n, "UPDATE plain SET v = v + 1 WHERE k = 1")
                == "Invalid operation (v = v + ?) for non counter column v")
        #expect(try n.rows("SELECT * FROM hits").rows.isEmpty, "nothing refused was written")
    }

    @Test func schemaShowsCounterColumns() throws {
        let n = try node()
        let p = try n.rows("SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 'hits'")
        let types = Dictionary(uniqueKeysWithValues: p.rows.map { (readText($0[0])!, readText($0[1])!) })
        #expect(types["views"] == "counter" && types["clicks"] == "counter" && types["page"] == "text")
        try n.restart()
        try n.run("UPDATE ks.hits SET views = views + 1 WHERE page = 'x' AND day = 1")
        #expect(try counters(n, "x").views == 1)
    }
}
