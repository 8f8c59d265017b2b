import Testing
import HyadesCore
@testable import HyadesCQL

@Suite struct AnalyzerSelectTests {
    typealias F = AnalyzerFixtures

    func enc(_ values: [Int32]) throws -> [UInt8] {
        try ClusteringEncoding.encode(values.map(F.int), types: [.int, .int], descending: [false, true])
    }

    @Test func selectStarSingleKey() throws {
        let s = try F.select("SELECT * FROM kv WHERE k = 1")
        #expect(s.table.id == F.kvID)
        #expect(try s.partitionKeys(values: []) == [DecoratedKey(key: F.int(1))])
        #expect(s.resultColumns.map(\.name) == ["k", "f", "l", "m", "n", "s", "v"])
        #expect(s.resultColumns[0] == ColumnSpecification(keyspace: "ks", table: "kv", name: "k", type: .int))
        #expect(s.queriedColumns == [1, 2, 3, 4, 5, 6])
        #expect(try s.clusteringSlices(values: []) == [.all])
        #expect(s.limit == nil && !s.reversed && !s.distinct)
    }

    @Test func projectionAndSelectors() throws {
        let s = try F.select("SELECT v AS value, writetime(n), ttl(n), token(k), cast(n AS text) FROM kv WHERE k = ?")
        #expect(s.resultColumns.map(\.name) == ["value", "writetime(n)", "ttl(n)", "system.token(k)", "cast(n as text)"])
        #expect(s.resultColumns.map(\.type) == [.text, .bigint, .int, .bigint, .text])
        #expect(s.queriedColumns == [1, 2])
        #expect(s.variables.columns == [ColumnSpecification(keyspace: "ks", table: "kv", name: "k", type: .int)])
        #expect(s.variables.partitionKeyIndexes == [0])
        let agg = try F.select("SELECT count(*), max(n), sum(n), avg(n), count(v) FROM kv WHERE k = 1")
        #expect(agg.resultColumns.map(\.name) == ["count", "system.max(n)", "system.sum(n)", "system.avg(n)", "system.count(v)"])
        #expect(agg.resultColumns.map(\.type) == [.bigint, .int, .int, .int, .bigint])
        #expect(agg.isAggregate)
        let json = try F.select("SELECT JSON k, v FROM kv WHERE k = 1")
        #expect(json.json && json.resultColumns == [ColumnSpecification(keyspace: "ks", table: "kv", name: "[json]", type: .text)])
        #expect(F.error("SELECT writetime(k) FROM kv WHERE k = 1")?.message == "Cannot use selection function writeTime on PRIMARY KEY part k")
        #expect(F.error("SELECT nope FROM kv")?.message == "Undefined column name nope in table ks.kv")
    }

    @Test func partitionRestrictions() throws {
        let inKeys = try F.select("SELECT * FROM kv WHERE k IN (3, 1, 3)")
        #expect(try inKeys.partitionKeys(values: []) == [DecoratedKey(key: F.int(3)), DecoratedKey(key: F.int(1))])

        let comp = try F.select("SELECT * FROM composite WHERE a = 1 AND b = 'a'")
        #expect(try comp.partitionKeys(values: []).map(\.token.value) == [6516349416904725244])

        let full = try F.select("SELECT * FROM kv")
        #expect(full.partitions == .all)

        // The Spark connector's token-range scan.
        let spark = try F.select("SELECT \"a\", \"b\", \"v\" FROM ks.composite WHERE token(\"a\", \"b\") > ? AND token(\"a\", \"b\") <= ?")
        #expect(spark.variables.columns.map(\.name) == ["partition key token", "partition key token"])
        #expect(spark.variables.columns.map(\.type) == [.bigint, .bigint])
        let b = try spark.tokenBounds(values: [.value(F.bigint(-5)), .value(F.bigint(10))])
        #expect(b == TokenBounds(lower: Token(-5), lowerInclusive: false, upper: Token(10), upperInclusive: true))

        #expect(F.error("SELECT * FROM composite WHERE token(b, a) > 0")?.message
            == "The token function arguments must be in the partition key order: a, b")
        #expect(F.error("SELECT * FROM composite WHERE token(a) > 0")?.message
            == "The token() function must be applied to all partition key components or none of them")
        #expect(F.error("SELECT * FROM kv WHERE k > 1")?.message
            == "Only EQ and IN relation are supported on the partition key (unless you use the token() function or allow filtering)")
        #expect(F.error("SELECT * FROM composite WHERE a = 1")?.message == AnalysisContext.filteringMessage)
    }

    @Test func clusteringSlices() throws {
        // c2 is DESC: c2 >= 3 AND c2 < 7 is [enc(1,7) exclusive .. enc(1,3) inclusive] in bytes.
        let s = try F.select("SELECT * FROM events WHERE p = 'x' AND c1 = 1 AND c2 >= 3 AND c2 < 7")
        #expect(try s.clusteringSlices(values: []) == [ClusteringByteSlice(start: try enc([1, 7]) + [0x41], end: try enc([1, 3]) + [0x41])])

        let asc = try F.select("SELECT * FROM events WHERE p = 'x' AND c1 > 1 AND c1 <= 4")
        #expect(try asc.clusteringSlices(values: []) == [ClusteringByteSlice(start: try enc([1]) + [0x41], end: try enc([4]) + [0x41])])

        let eq = try F.select("SELECT * FROM events WHERE p = 'x' AND c1 IN (2, 1)")
        #expect(try eq.clusteringSlices(values: []) == [
            ClusteringByteSlice(start: try enc([1]), end: try enc([1]) + [0x41]),
            ClusteringByteSlice(start: try enc([2]), end: try enc([2]) + [0x41]),
        ])

        let multi = try F.select("SELECT * FROM events WHERE p = 'x' AND (c1, c2) IN ((1, 2), (1, 3))")
        #expect(try multi.clusteringSlices(values: []).count == 2)

        let tuple = try F.select("SELECT * FROM events WHERE p = 'x' AND (c1) > (1)")
        #expect(try tuple.clusteringSlices(values: []) == [ClusteringByteSlice(start: try enc([1]) + [0x41], end: ClusteringEncoding.top)])

        let bound = try F.select("SELECT * FROM events WHERE p = ? AND c1 = ? AND c2 > ?")
        #expect(bound.variables.columns.map(\.name) == ["p", "c1", "c2"])
        let slices = try bound.clusteringSlices(values: [.value(F.text("x")), .value(F.int(1)), .value(F.int(5))])
        #expect(slices == [ClusteringByteSlice(start: try enc([1]), end: try enc([1, 5]))])

        #expect(F.error("SELECT * FROM events WHERE p = 'x' AND c2 = 1")?.message
            == "PRIMARY KEY column \"c2\" cannot be restricted as preceding column \"c1\" is not restricted")
        #expect(F.error("SELECT * FROM events WHERE p = 'x' AND c1 > 1 AND c2 = 1")?.message
            == "Clustering column \"c2\" cannot be restricted (preceding column \"c1\" is restricted by a non-EQ relation)")
        // With ALLOW FILTERING the later restriction becomes a filter.
        let filtered = try F.select("SELECT * FROM events WHERE p = 'x' AND c1 > 1 AND c2 = 1 ALLOW FILTERING")
        #expect(filtered.filters.map(\.name) == ["c2"])
    }

    @Test func filtering() throws {
        #expect(F.error("SELECT * FROM kv WHERE v = 'a'")?.message == AnalysisContext.filteringMessage)
        #expect(F.error("SELECT * FROM kv WHERE k = 1 AND v = 'a'")?.message == AnalysisContext.filteringMessage)
        let s = try F.select("SELECT k FROM kv WHERE v = 'a' AND n > ? AND s CONTAINS 'q' ALLOW FILTERING")
        #expect(s.filters.map(\.name) == ["v", "n", "s"])
        #expect(s.filters.map(\.op) == [.equal, .greaterThan, .contains])
        #expect(s.filters[0].value == .constant(F.text("a")))
        #expect(s.filters[2].value == .constant(F.text("q")))
        #expect(s.variables.columns.map(\.name) == ["n"])
        // Filtered columns are read even if not selected.
        #expect(s.queriedColumns == [1, 2, 4])
    }

    @Test func limitsOrderingDistinct() throws {
        let s = try F.select("SELECT * FROM events WHERE p = 'x' ORDER BY c1 DESC PER PARTITION LIMIT 2 LIMIT ?")
        #expect(s.reversed)
        #expect(try s.perPartitionLimit(values: [.value(F.int(10))]) == 2)
        #expect(try s.limit(values: [.value(F.int(10))]) == 10)
        #expect(s.variables.columns.map(\.name) == ["[limit]"])
        #expect(try s.limit(values: [.unset]) == nil)
        let same = try F.select("SELECT * FROM events WHERE p = 'x' ORDER BY c1 ASC, c2 DESC")
        #expect(!same.reversed)
        #expect(F.error("SELECT * FROM events WHERE p = 'x' ORDER BY c1 ASC, c2 ASC")?.message == "Unsupported order by relation")
        #expect(F.error("SELECT * FROM events WHERE p = 'x' ORDER BY v")?.message
            == "Order by is currently only supported on the clustering columns of the PRIMARY KEY, got v")
        #expect(F.error("SELECT * FROM events ORDER BY c1")?.message
            == "ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
        #expect(F.error("SELECT * FROM kv LIMIT 0")?.message == "LIMIT must be strictly positive")

        let d = try F.select("SELECT DISTINCT p, st FROM events")
        #expect(d.distinct)
        #expect(F.error("SELECT DISTINCT p, v FROM events")?.message
            == "SELECT DISTINCT queries must only request partition key columns and/or static columns (not v)")
        #expect(F.error("SELECT DISTINCT a FROM composite")?.message
            == "SELECT DISTINCT queries must request all the partition key columns (missing b)")
    }
}

extension AnalyzerSelectTests {
    @Test func fieldAndElementSelectors() throws {
        let u = try F.select("SELECT home.zip, work.street FROM people WHERE k = 1")
        #expect(u.resultColumns.map(\.name) == ["home.zip", "work.street"])
        #expect(u.resultColumns.map(\.type) == [.int, .text])
        #expect(u.selectors[0] == .field(.column(u.table.column(named: "home")!), index: 1, name: "zip"))
        #expect(u.queriedColumns == [1, 2])
        let s = try F.select("SELECT m['a'], s[?] FROM kv WHERE k = 1")
        #expect(s.resultColumns.map(\.name) == ["m['a']", "s[?]"])
        #expect(s.resultColumns.map(\.type) == [.int, .text])
        #expect(s.variables.columns.map(\.name) == ["key(s)"])
        #expect(F.error("SELECT home.nope FROM people WHERE k = 1")?.message == "frozen<address> has no field nope")
        #expect(F.error("SELECT v['a'] FROM kv WHERE k = 1")?.code == .invalid)
    }
}

extension AnalyzerSelectTests {
    @Test func boundFiltersEvaluate() throws {
        let s = try F.select("""
            SELECT k FROM kv WHERE n >= ? AND v IN ('a', 'b') AND s CONTAINS 'q' AND m CONTAINS KEY 'x' AND m['y'] = 3 \
            AND l CONTAINS 7 ALLOW FILTERING
            """)
        let bound = try s.filters.map { try $0.bind([.value(F.int(5))]) }
        let n = bound[0], v = bound[1], sc = bound[2], mk = bound[3], me = bound[4], lc = bound[5]
        #expect(n.matches(F.int(5)) && n.matches(F.int(6)) && !n.matches(F.int(4)) && !n.matches(nil))
        #expect(n.matches(F.int(-1)) == false)
        #expect(v.matches(F.text("b")) && !v.matches(F.text("c")))
        #expect(sc.matches(CQLLiteral.collection([F.text("p"), F.text("q")])) && !sc.matches(CQLLiteral.collection([F.text("p")])))
        let map = CQLLiteral.map([(F.text("x"), F.int(1)), (F.text("y"), F.int(3))])
        #expect(mk.matches(map) && me.matches(map))
        #expect(!me.matches(CQLLiteral.map([(F.text("y"), F.int(4))])))
        #expect(lc.matches(CQLLiteral.collection([F.int(7)])) && !lc.matches(CQLLiteral.collection([F.int(8)])))
        // A malformed value never matches instead of trapping.
        #expect(!n.matches([1, 2, 3]))
        #expect(throws: CQLAnalysisError.self) { _ = try s.filters[0].bind([.null]) }
    }
}

extension AnalyzerSelectTests {
    @Test func aggregates() throws {
        var count = try Aggregator(.count, type: .int)
        var sum = try Aggregator(.sum, type: .int)
        var avg = try Aggregator(.avg, type: .int)
        var min = try Aggregator(.min, type: .int)
        var max = try Aggregator(.max, type: .text)
        for v: Int32 in [3, -4, 10] { count.add(F.int(v)); sum.add(F.int(v)); avg.add(F.int(v)); min.add(F.int(v)) }
        count.add(nil); sum.add(nil)
        for s in ["b", "c", "a"] { max.add(F.text(s)) }
        #expect(count.result() == F.bigint(3))
        #expect(sum.result() == F.int(9))
        #expect(avg.result() == F.int(3))
        #expect(min.result() == F.int(-4))
        #expect(max.result() == F.text("c"))
        // No rows: sum 0, min null.
        #expect(try Aggregator(.sum, type: .int).result() == F.int(0))
        #expect(try Aggregator(.min, type: .int).result() == nil)
        var d = try Aggregator(.avg, type: .double)
        d.add(F.bigint(Int64(bitPattern: 1.0.bitPattern))); d.add(F.bigint(Int64(bitPattern: 2.0.bitPattern)))
        #expect(d.result() == F.bigint(Int64(bitPattern: 1.5.bitPattern)))
        #expect(throws: CQLAnalysisError.self) { _ = try Aggregator(.sum, type: .text) }
    }
}

extension AnalyzerSelectTests {
    @Test func multiColumnINMarker() throws {
        let s = try F.select("SELECT * FROM events WHERE p = 'x' AND (c1, c2) IN ?")
        #expect(s.variables.columns == [ColumnSpecification(keyspace: "ks", table: "events", name: "in(c1,c2)", type: .list(.tuple([.int, .int])))])
        let list = CQLLiteral.collection([CQLLiteral.tuple([F.int(1), F.int(2)]), CQLLiteral.tuple([F.int(1), F.int(5)])])
        let slices = try s.clusteringSlices(values: [.value(list)])
        // c2 DESC: (1, 5) sorts before (1, 2).
        #expect(slices.map(\.start) == [try enc([1, 5]), try enc([1, 2])])
        #expect(throws: CQLAnalysisError.self) {
            _ = try s.clusteringSlices(values: [.value(CQLLiteral.collection([CQLLiteral.tuple([F.int(1), nil])]))])
        }
    }
}

extension AnalyzerSelectTests {
    /// events clusters by (c1 ASC, c2 DESC): tuple slices compare in value order, which is
    /// several byte ranges.
    @Test func mixedOrderTupleSlices() throws {
        let gt = try F.select("SELECT * FROM events WHERE p = 'x' AND (c1, c2) > (1, 5)")
        #expect(try gt.clusteringSlices(values: []) == [
            ClusteringByteSlice(start: try enc([1]), end: try enc([1, 5])),
            ClusteringByteSlice(start: try enc([1]) + [0x41], end: ClusteringEncoding.top),
        ])
        let both = try F.select("SELECT * FROM events WHERE p = 'x' AND (c1, c2) >= (1, 5) AND (c1, c2) < (2, 3)")
        #expect(try both.clusteringSlices(values: []) == [
            ClusteringByteSlice(start: try enc([1]), end: try enc([1, 5]) + [0x41]),
            ClusteringByteSlice(start: try enc([1]) + [0x41], end: try enc([2])),
            ClusteringByteSlice(start: try enc([2, 3]) + [0x41], end: try enc([2]) + [0x41]),
        ])
        // A single tuple marker gives the same ranges.
        let marker = try F.select("SELECT * FROM events WHERE p = 'x' AND (c1, c2) > ?")
        #expect(marker.variables.columns.map(\.type) == [.tuple([.int, .int])])
        #expect(try marker.clusteringSlices(values: [.value(CQLLiteral.tuple([F.int(1), F.int(5)]))]) == (try gt.clusteringSlices(values: [])))
    }
}
