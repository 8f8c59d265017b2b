import Testing
import HyadesCore
@testable import HyadesCQL

/// Structural checks of the AST where the printed form alone would hide something.
@Suite struct ASTTests {
    func statement(_ s: String) throws -> Statement { try CQLParser.parse(s).statement }

    @Test func namesAreNormalised() throws {
        guard case .select(let s) = try statement(#"SELECT "Ra", DEC FROM Gaia."Src""#) else { Issue.record("not select"); return }
        #expect(s.table == QualifiedName(keyspace: "gaia", name: "Src"))
        #expect(s.selectors.map(\.expression) == [.column("Ra"), .column("dec")])
    }

    @Test func createTableKeyAndTypes() throws {
        guard case .createTable(let t) = try statement(
            "CREATE TABLE ks.t (a int, b text, c timeuuid, v frozen<map<text, list<int>>>, s int static, PRIMARY KEY ((a, b), c))")
        else { Issue.record("not create table"); return }
        #expect(t.partitionKey == ["a", "b"])
        #expect(t.clusteringColumns == ["c"])
        #expect(t.columns.map(\.name) == ["a", "b", "c", "v", "s"])
        #expect(t.columns[3].type == .frozen(.map(.native(.text), .list(.native(.int)))))
        #expect(t.columns[4].isStatic)
        let resolved = try t.columns[3].type.resolve(keyspace: "ks", resolveUDT: { _, _ in nil })
        #expect(resolved == (try CQLType.parse("frozen<map<text, list<int>>>")))
    }

    @Test func userTypesResolveThroughTheSchema() throws {
        guard case .createTable(let t) = try statement("CREATE TABLE t (k int PRIMARY KEY, a frozen<address>, b other.addr)")
        else { Issue.record("not create table"); return }
        #expect(t.columns[1].type == .frozen(.userType(keyspace: nil, name: "address")))
        #expect(t.columns[2].type == .userType(keyspace: "other", name: "addr"))
        let udt = CQLType.udt(keyspace: "ks", name: "address", fields: [CQLField("street", .text)])
        var asked: [String] = []
        let r = try t.columns[1].type.resolve(keyspace: "ks") { ks, n in asked.append("\(ks).\(n)"); return udt }
        #expect(r == .frozen(udt) && asked == ["ks.address"])
        #expect(throws: CQLTypeError.self) { try t.columns[2].type.resolve(keyspace: "ks") { _, _ in nil } }
    }

    @Test func inlinePrimaryKey() throws {
        guard case .createTable(let t) = try statement("CREATE TABLE t (id uuid PRIMARY KEY, v int)") else { return }
        #expect(t.partitionKey == ["id"] && t.clusteringColumns.isEmpty)
        guard case .createTable(let u) = try statement("CREATE TABLE t (id uuid, v int)") else { return }
        #expect(u.partitionKey.isEmpty, "missing key is for the analyzer to report")
    }

    @Test func tableOptions() throws {
        guard case .createTable(let t) = try statement(
            "CREATE TABLE t (k int PRIMARY KEY) WITH compression = {'class': 'LZ4Compressor'} AND default_time_to_live = 60 AND comment = 'c' AND speculative_retry = '99PERCENTILE' AND bloom_filter_fp_chance = 0.01")
        else { return }
        let props = Dictionary(uniqueKeysWithValues: t.options.properties.map { ($0.name, $0.value) })
        #expect(props["compression"] == .map([PropertyMapEntry(key: Constant(.string, "class"), value: Constant(.string, "LZ4Compressor"))]))
        #expect(props["default_time_to_live"] == .constant(Constant(.integer, "60")))
        #expect(props["comment"]?.text == "c")
        #expect(props["bloom_filter_fp_chance"] == .constant(Constant(.float, "0.01")))
    }

    @Test func termsKeepTheirKinds() throws {
        guard case .insert(let i) = try statement(
            "INSERT INTO t (a, b, c, d, e, f, g, h) VALUES (-5, 1.5, 'x', 0x00, 1d, now(), {1, 2}, [(1, 'a')])"),
            case .columns(let columns, let values) = i.values
        else { Issue.record("shape"); return }
        #expect(columns.count == 8)
        #expect(values[0].kind == .constant(Constant(.integer, "-5")))
        #expect(values[1].kind == .constant(Constant(.float, "1.5")))
        #expect(values[2].kind == .constant(Constant(.string, "x")))
        #expect(values[3].kind == .constant(Constant(.hexBlob, "0x00")))
        #expect(values[4].kind == .constant(Constant(.duration, "1d")))
        #expect(values[5].kind == .functionCall(FunctionName(name: "now"), []))
        if case .set(let es) = values[6].kind { #expect(es.count == 2) } else { Issue.record("set") }
        if case .list(let es) = values[7].kind, case .tuple(let t) = es.first?.kind { #expect(t.count == 2) } else { Issue.record("list of tuple") }
    }

    @Test func arithmeticPrecedence() throws {
        guard case .select(let s) = try statement("SELECT * FROM t WHERE k = 1 - 2 * 3 + 4"),
              case .term(let t) = s.whereClause[0].value else { Issue.record("shape"); return }
        func c(_ x: String) -> Term { Term(.constant(Constant(.integer, x))) }
        let expected = Term(.operation(.add,
            Term(.operation(.subtract, c("1"), Term(.operation(.multiply, c("2"), c("3"))))), c("4")))
        #expect(t == expected)
    }

    @Test func parenthesisedSelectorsVersusTypeHints() throws {
        guard case .select(let s) = try statement("SELECT (a) - 1, (int) -1, (a) * 2 FROM t") else { return }
        let one = SelectorExpression.term(Term(.constant(Constant(.integer, "1"))))
        #expect(s.selectors[0].expression == .operation(.subtract, .column("a"), one))
        #expect(s.selectors[1].expression == .typeHint(.native(.int), .term(Term(.constant(Constant(.integer, "-1"))))))
        #expect(s.selectors[2].expression == .operation(.multiply, .column("a"), .term(Term(.constant(Constant(.integer, "2"))))))
    }

    @Test func emptyBracesAreASetAsInCassandra() throws {
        guard case .insert(let i) = try statement("INSERT INTO t (m) VALUES ({})"),
              case .columns(_, let values) = i.values else { return }
        #expect(values[0].kind == .set([]))
    }

    @Test func countersSubtractWithoutSpaces() throws {
        guard case .update(let u) = try statement("UPDATE c SET n = n -1 WHERE k = 0") else { return }
        #expect(u.assignments == [.subtract("n", Term(.constant(Constant(.integer, "1"))))])
    }

    @Test func sourceRangesPointIntoTheText() throws {
        let p = try CQLParser.parse("  SELECT a FROM t WHERE k = ? ;")
        #expect(p.text == "SELECT a FROM t WHERE k = ?")
        #expect(p.range.start.column == 2)
        guard case .select(let s) = p.statement else { return }
        #expect(s.whereClause[0].range.start.column == 24)
        #expect(p.bindMarkers[0].range.start.column == 28)
    }

    @Test func compactStorageIsRefusedClearly() {
        do {
            _ = try CQLParser.parse("CREATE TABLE t (k int PRIMARY KEY, v int) WITH COMPACT STORAGE")
            Issue.record("accepted COMPACT STORAGE")
        } catch {
            #expect(error.description.contains("COMPACT STORAGE"))
            #expect(error.column == 47)
        }
    }

    @Test func multiplePrimaryKeysAreRefused() {
        #expect(throws: CQLSyntaxError.self) { try CQLParser.parse("CREATE TABLE t (k int PRIMARY KEY, v int, PRIMARY KEY (v))") }
    }

    @Test func describeTargets() throws {
        #expect(try statement("DESCRIBE KEYSPACES") == .describe(DescribeStatement(target: .keyspaces)))
        #expect(try statement("DESC TABLE ks.t") == .describe(DescribeStatement(target: .table(QualifiedName(keyspace: "ks", name: "t")))))
        var full = DescribeStatement(target: .schema)
        full.full = true
        #expect(try statement("describe full schema") == .describe(full))
    }

    @Test func batchHoldsOnlyModifications() throws {
        #expect(throws: CQLSyntaxError.self) { try CQLParser.parse("BEGIN BATCH SELECT * FROM t APPLY BATCH") }
        #expect(throws: CQLSyntaxError.self) { try CQLParser.parse("BEGIN BATCH INSERT INTO t (a) VALUES (1)") }
        guard case .batch(let b) = try statement("BEGIN LOGGED BATCH INSERT INTO t (a) VALUES (1) APPLY BATCH") else { return }
        #expect(b.kind == .logged && b.statements.count == 1)
    }

    @Test func parseAllSplitsAScript() throws {
        let all = try CQLParser.parseAll("USE ks; SELECT * FROM t;; -- trailing comment\n INSERT INTO t (a) VALUES (?)")
        #expect(all.map(\.text) == ["USE ks", "SELECT * FROM t", "INSERT INTO t (a) VALUES (?)"])
        #expect(all[2].bindMarkerCount == 1)
        #expect(try CQLParser.parseAll("  ").isEmpty)
    }
}
