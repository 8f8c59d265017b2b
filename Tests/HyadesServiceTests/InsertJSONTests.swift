import Foundation
import HyadesCore
import HyadesCQL
import Testing
@testable import HyadesService

@Suite struct InsertJSONTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TYPE pt (x double, y double)")
        let columns = "k bigint, c text, d decimal, u uuid, b blob, ts timestamp, l list<int>, s set<text>, "
            + "m map<int, text>, tu tuple<int, text>, p frozen<pt>, ok boolean, \"Mixed\" int, PRIMARY KEY (k, c)"
        try n.run("CREATE TABLE a (\(columns))")
        try n.run("CREATE TABLE b (\(columns))")
        return n
    }

    static let doc = #"{"k": 9223372036854775807, "c": "a", "d": 3.14159265358979323846, "u": "6ab09bec-e68e-48d9-a5f8-97e6fb4c9b47", "b": "0xcafe", "ts": "2024-01-02 03:04:05+0000", "l": [1, 2, 3], "s": ["y", "x"], "m": {"2": "two", "1": "one"}, "tu": [1, "t"], "p": {"x": 1.5, "y": -2}, "ok": true, "\"Mixed\"": 7}"#

    @Test func everyTypeGoesInAndComesBackAsSelectJSON() throws {
        let n = try node()
        try n.run("INSERT INTO a JSON '\(Self.doc)'")
        let json = try #require(readText(try n.rows("SELECT JSON * FROM a").rows.first?[0]))
        // Numbers keep every digit (no trip through Double).
        #expect(json.contains(#""k": 9223372036854775807"#))
        #expect(json.contains(#""d": 3.14159265358979323846"#))
        #expect(json.contains(#""b": "0xcafe""#))
        #expect(json.contains(#""s": ["x", "y"]"#))
        #expect(json.contains(#""m": {"1": "one", "2": "two"}"#))
        #expect(json.contains(#""p": {"x": 1.5, "y": -2.0}"#))
        // What SELECT JSON prints, INSERT JSON takes back: table b ends up identical.
        try n.run("INSERT INTO b JSON '\(json.replacingOccurrences(of: "'", with: "''"))'")
        #expect(try n.rows("SELECT * FROM b").rows == (try n.rows("SELECT * FROM a").rows))
    }

    @Test func missingColumnsAreNullUnlessDefaultUnset() throws {
        let n = try node()
        try n.run("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\", \"l\": [5], \"ok\": true}'")
        try n.run("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\", \"ok\": false}' DEFAULT UNSET")
        var row = try n.rows("SELECT l, ok FROM a WHERE k = 1 AND c = 'x'").rows[0]
        #expect(row[0] != nil && row[1] == [0])
        try n.run("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\"}'")
        row = try n.rows("SELECT l, ok FROM a WHERE k = 1 AND c = 'x'").rows[0]
        #expect(row[0] == nil && row[1] == nil)
    }

    @Test func badDocumentsGetClearErrors() throws {
        let n = try node()
        func message(_ cql: String) -> String {
            do { _ = try n.run(cql); return "no error" } catch { return "\(error)" }
        }
        #expect(message("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\", \"zz\": 3}'").contains("unrecognized column: zz"))
        #expect(message("INSERT INTO a JSON '{\"k\": 1, '").contains("Could not decode JSON string"))
        #expect(message("INSERT INTO a JSON '[1, 2]'").contains("expected a JSON object"))
        #expect(message("INSERT INTO a JSON '{\"c\": \"x\"}'").contains("partition key parts are missing: k"))
        #expect(message("INSERT INTO a JSON '{\"k\": \"one\", \"c\": \"x\"}'").contains("k"))
        #expect(message("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\", \"b\": \"cafe\"}'").contains("0x"))
        #expect(message("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\", \"l\": {\"a\": 1}}'").contains("list<int>"))
        #expect(message("INSERT INTO a JSON ?").contains("bound variables"))
        let deep = String(repeating: "[", count: 200)
        #expect(message("INSERT INTO a JSON '{\"k\": 1, \"c\": \"x\", \"l\": \(deep)'").contains("nesting"))
    }
}

/// `INSERT INTO t JSON ?`: the document as a bind marker.
@Suite struct InsertJSONMarkerTests {
    func node() throws -> TestNode {
        let n = try TestNode()
        try n.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try n.run("USE ks")
        try n.run("CREATE TABLE t (k int PRIMARY KEY, v text, n int)")
        return n
    }

    func row(_ n: TestNode, _ k: Int) throws -> (v: String?, n: Int32?)? {
        guard let r = try n.rows("SELECT v, n FROM t WHERE k = \(k)").rows.first else { return nil }
        return (readText(r[0]), readInt32(r[1]))
    }

    @Test func preparedWithTheDocumentBound() throws {
        let n = try node()
        let p = try n.processor.prepare("INSERT INTO t JSON ?", keyspace: "ks")
        #expect(p.plan.variables.columns.map(\.name) == ["[json]"])
        #expect(p.plan.variables.columns.map(\.type) == [.text])
        var s = ClientState(); s.keyspace = "ks"
        _ = try n.processor.executePrepared(id: p.id, state: &s, values: [.value(text(#"{"k": 1, "v": "x", "n": 5}"#))])
        _ = try n.processor.executePrepared(id: p.id, state: &s, values: [.value(text(#"{"k": 2, "v": "it's"}"#))])
        #expect(try row(n, 1)! == ("x", 5))
        #expect(try row(n, 2)! == ("it's", nil))
        // Missing columns are set to null, as with a literal document.
        _ = try n.processor.executePrepared(id: p.id, state: &s, values: [.value(text(#"{"k": 1, "v": "y"}"#))])
        #expect(try row(n, 1)! == ("y", nil))
    }

    @Test func defaultUnsetTTLAndIfNotExistsWithMarkers() throws {
        let n = try node()
        try n.run("INSERT INTO t JSON ?", [.value(text(#"{"k": 1, "v": "a", "n": 1}"#))])
        try n.run("INSERT INTO t JSON ? DEFAULT UNSET USING TTL ?", [.value(text(#"{"k": 1, "v": "b"}"#)), .value(int32(1000))])
        #expect(try row(n, 1)! == ("b", 1), "DEFAULT UNSET leaves n alone")
        let ttl = try n.rows("SELECT TTL(v) FROM t WHERE k = 1").rows[0][0]
        #expect((readInt32(ttl) ?? 0) > 0)
        let page = try n.rows("INSERT INTO t JSON ? IF NOT EXISTS", [.value(text(#"{"k": 1, "v": "c"}"#))])
        #expect(page.rows[0][0] == [0])
        #expect(try row(n, 1)!.v == "b")
    }

    @Test func protocolBatchOfPreparedJSONInserts() throws {
        let n = try node()
        let p = try n.processor.prepare("INSERT INTO t JSON ?", keyspace: "ks")
        var s = ClientState(); s.keyspace = "ks"
        _ = try n.processor.executeBatch([.prepared(id: p.id, values: [.value(text(#"{"k": 7, "v": "seven"}"#))]),
                                          .prepared(id: p.id, values: [.value(text(#"{"k": 8, "v": "eight"}"#))])], state: &s)
        #expect(try row(n, 7)?.v == "seven" && row(n, 8)?.v == "eight")
    }

    @Test func badBoundDocumentsGetClearErrors() throws {
        let n = try node()
        func message(_ values: [CQLBoundValue]) -> String {
            do { _ = try n.run("INSERT INTO t JSON ?", values); return "no error" } catch { return "\(error)" }
        }
        #expect(message([.null]).contains("Got null for INSERT JSON values"))
        #expect(message([.value(text(#"{"k": 1, "zz": 3}"#))]).contains("unrecognized column: zz"))
        #expect(message([.value(text(#"{"v": "x"}"#))]).contains("partition key parts are missing: k"))
        #expect(message([.value(text("{"))]).contains("Could not decode JSON string"))
        #expect(message([.value([0xff, 0xfe])]).contains("UTF-8"))
        #expect(try n.rows("SELECT * FROM t").rows.isEmpty)
        try n.run("CREATE TABLE c (k int PRIMARY KEY, n counter)")
        #expect(throws: QueryError.self) { _ = try n.processor.prepare("INSERT INTO c JSON ?", keyspace: "ks") }
    }
}
