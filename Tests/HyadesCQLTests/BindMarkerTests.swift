import Testing
@testable import HyadesCQL

@Suite struct BindMarkerTests {
    @Test(arguments: [
        ("SELECT * FROM t", 0),
        ("SELECT * FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?", 2),
        ("SELECT * FROM t WHERE token(pk) > ? AND token(pk) <= ? LIMIT ?", 3),
        ("SELECT * FROM t WHERE pk IN ? PER PARTITION LIMIT ? LIMIT ?", 3),
        ("SELECT * FROM t WHERE pk IN (?, ?, ?)", 3),
        ("SELECT * FROM t WHERE (a, b) IN ((?, ?), (?, ?))", 4),
        ("INSERT INTO t (a, b, c) VALUES (?, ?, [?, ?]) USING TTL ? AND TIMESTAMP ?", 6),
        ("UPDATE t USING TTL ? SET m[?] = ?, l = l + ? WHERE pk = ? IF v = ?", 6),
        ("DELETE m[?] FROM t USING TIMESTAMP ? WHERE pk = ?", 3),
        ("BEGIN BATCH INSERT INTO t (a) VALUES (?); UPDATE t SET v = ? WHERE a = ?; APPLY BATCH", 3),
        ("INSERT INTO t (a) VALUES ((int) ?)", 1),
        ("INSERT INTO t (a) VALUES (fn(?, {?: ?}))", 3),
    ])
    func counts(_ cql: String, _ expected: Int) throws {
        let p = try CQLParser.parse(cql)
        #expect(p.bindMarkerCount == expected)
        #expect(p.bindMarkers.map(\.index) == Array(0..<expected))
        // Markers are in text order.
        let offsets = p.bindMarkers.map(\.range.start.offset)
        #expect(offsets == offsets.sorted())
    }

    @Test func namedMarkers() throws {
        let p = try CQLParser.parse("SELECT * FROM t WHERE pk = :pk AND c > :\"Lo\" AND d < ? LIMIT :limit")
        #expect(p.bindMarkers.map(\.name) == ["pk", "Lo", nil, "limit"])
        #expect(p.bindMarkers.map(\.index) == [0, 1, 2, 3])
    }

    @Test func typeHintBacktrackingDoesNotDoubleCount() throws {
        // `(a, ?)`: a tuple whose first element starts like a type name.
        let p = try CQLParser.parse("INSERT INTO t (x) VALUES ((now(), ?))")
        #expect(p.bindMarkerCount == 1)
    }
}
