import Testing
@testable import HyadesCQL

/// Broken statements fail with Cassandra-style messages at the right position.
@Suite struct ErrorTests {
    func error(_ cql: String) -> CQLSyntaxError? {
        do {
            _ = try CQLParser.parse(cql)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("SELECT * FORM t", 1, 9, "FORM", "line 1:9 mismatched input 'FORM' expecting K_FROM"),
        ("SELEC * FROM t", 1, 0, "SELEC", "line 1:0 no viable alternative at input 'SELEC'"),
        ("SELECT * FROM", 1, 13, "<EOF>", "line 1:13 no viable alternative at input '<EOF>'"),
        ("SELECT * FROM t WHERE", 1, 21, "<EOF>", "line 1:21 no viable alternative at input '<EOF>'"),
        ("SELECT * FROM t WHERE a = 1 AND", 1, 31, "<EOF>", "line 1:31 no viable alternative at input '<EOF>'"),
        ("SELECT * FROM t\nWHERE a == 1", 2, 9, "=", "line 2:9 no viable alternative at input '='"),
        ("SELECT * FROM t LIMIT 'x'", 1, 22, "'x'", "line 1:22 mismatched input ''x'' expecting INTEGER"),
        ("INSERT INTO t (a) VALUES (1", 1, 27, "<EOF>", "line 1:27 mismatched input '<EOF>' expecting ')'"),
        ("INSERT INTO t (a) VALUE (1)", 1, 18, "VALUE", "line 1:18 mismatched input 'VALUE' expecting K_VALUES"),
        ("UPDATE t SET WHERE k = 1", 1, 13, "WHERE", "line 1:13 no viable alternative at input 'WHERE'"),
        ("DELETE FROM t", 1, 13, "<EOF>", "line 1:13 mismatched input '<EOF>' expecting K_WHERE"),
        ("SELECT * FROM t extra", 1, 16, "extra", "line 1:16 mismatched input 'extra' expecting <EOF>"),
        ("CREATE TABLE t (k int PRIMARY KEY", 1, 33, "<EOF>", "line 1:33 mismatched input '<EOF>' expecting ')'"),
        ("CREATE TABLE t (k lst<int> PRIMARY KEY)", 1, 21, "<", "line 1:21 mismatched input '<' expecting ')'"),
        ("SELECT * FROM select", 1, 14, "select", "line 1:14 no viable alternative at input 'select'"),
        ("INSERT INTO t (a) VALUES (1 +)", 1, 29, ")", "line 1:29 no viable alternative at input ')'"),
        ("UPDATE t SET a = b + 1 WHERE k = 0", 1, 17, "b", "line 1:17 Only expressions of the form X = X + <value> are supported."),
        ("UPDATE t SET l = [1] + m WHERE k = 0", 1, 23, "m", "line 1:23 Only expressions of the form X = <value> + X are supported."),
        ("INSERT INTO t (a) VALUES (1) USING TTL 'x'", 1, 39, "'x'", "line 1:39 mismatched input ''x'' expecting INTEGER"),
        ("DELETE FROM t USING TTL 5 WHERE k = 1", 1, 20, "TTL", "line 1:20 mismatched input 'TTL' expecting K_TIMESTAMP"),
        ("SELECT * FROM ?", 1, 14, "?", "line 1:14 Bind variables cannot be used for table names"),
        ("USE ?", 1, 4, "?", "line 1:4 Bind variables cannot be used for keyspace names"),
        ("ALTER TABLE t DROP COMPACT STORAGE", 1, 19, "COMPACT",
         "line 1:19 DROP COMPACT STORAGE is not supported: there are no COMPACT STORAGE tables"),
        ("BEGIN BATCH INSERT INTO t (a) VALUES (1);", 1, 41, "<EOF>", "line 1:41 mismatched input '<EOF>' expecting K_APPLY"),
    ])
    func brokenStatement(_ cql: String, _ line: Int, _ column: Int, _ token: String, _ message: String) {
        guard let e = error(cql) else { Issue.record("parsed: \(cql)"); return }
        #expect(e.line == line)
        #expect(e.column == column)
        #expect(e.token == token)
        #expect(e.headline == message)
    }

    @Test func descriptionCarriesACassandraStyleSnippet() {
        #expect(error("SELECT * FORM t")?.description == "line 1:9 mismatched input 'FORM' expecting K_FROM (SELECT * [FORM] t)")
        #expect(error("SELECT a, b, c, d, e FORM t WHERE k = 1")?.description
                == "line 1:21 mismatched input 'FORM' expecting K_FROM (...c, d, e [FORM] t...)")
        #expect(error("SELECT * FROM")?.description == "line 1:13 no viable alternative at input '<EOF>'")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = "INSERT INTO t (a) VALUES (" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + ")"
        #expect(error(deep) != nil)
        let deepTypes = "CREATE TABLE t (k int PRIMARY KEY, v " + String(repeating: "list<", count: 5000) + "int"
            + String(repeating: ">", count: 5000) + ")"
        #expect(error(deepTypes) != nil)
        let deepSelect = "SELECT " + String(repeating: "f(", count: 5000) + "a" + String(repeating: ")", count: 5000) + " FROM t"
        #expect(error(deepSelect) != nil)
    }
}
