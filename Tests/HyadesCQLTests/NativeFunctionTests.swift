import Testing
import HyadesCore
@testable import HyadesCQL

/// Issue 10 items 2, 3, 8 at the analyzer: native functions in terms and selectors, their
/// result names and types, Cassandra's arithmetic and CAST semantics, UDT literals with
/// explicit nulls, duration equality filters.
@Suite struct NativeFunctionTests {
    typealias F = AnalyzerFixtures

    func run(_ f: ScalarFunction, _ args: [[UInt8]?]) throws -> [UInt8]? { try f.execute(args) }

    static func double(_ d: Double) -> [UInt8] { F.bigint(Int64(bitPattern: d.bitPattern)) }

    @Test func selectorNamesAndTypes() throws {
        let s = try F.select("SELECT blobAsInt(intAsBlob(n)), toUnixTimestamp(currentTimestamp()), n + 1, -n, "
            + "n * 2.5, cast(n AS double), now(), minTimeuuid('2013-01-01 00:00+0000') FROM kv WHERE k = 1")
        #expect(s.resultColumns.map(\.name) == [
            "system.blobasint(system.intasblob(n))", "system.tounixtimestamp(system.currenttimestamp())",
            "n + 1", "-n", "n * 2.5", "cast(n as double)", "system.now()",
            "system.mintimeuuid('2013-01-01 00:00+0000')"])
        #expect(s.resultColumns.map(\.type) == [.int, .bigint, .int, .int, .double, .double, .timeuuid, .timeuuid])
        #expect(s.queriedColumns == [2])
        // With a receiver and no marker, several candidates resolve to the receiver's type.
        let b = try F.modification("UPDATE kv SET n = 1 + 2, v = 'x' WHERE k = 2147483647 + 1")
        guard case .eq(let wrapped) = b.partitionKey[0] else { Issue.record("no key"); return }
        #expect(wrapped == .constant(F.int(.min)))
        let literals = try F.select("SELECT n * 0.1, n * 3.14159265358979323846, n + 3000000000, n + 1e3 FROM kv WHERE k = 1")
        #expect(literals.resultColumns.map(\.type) == [.double, .decimal, .bigint, .double])
        #expect(F.error("SELECT toTimestamp(v) FROM kv WHERE k = 1")?.message.hasPrefix("Invalid call to function system.totimestamp, none of its type signatures match") == true)
        #expect(F.error("SELECT blobAsInt(1, 2) FROM kv WHERE k = 1")?.message
            == "Invalid number of arguments in call to function system.blobasint: 1 required but 2 provided")
        #expect(F.error("SELECT blobAsInt(v) FROM kv WHERE k = 1")?.message == nil)  // blob takes any value's bytes
        #expect(F.error("SELECT minTimeuuid(v) FROM kv WHERE k = 1")?.message
            == "Type error: v cannot be passed as argument 0 of function system.mintimeuuid of type timestamp")
        #expect(F.error("INSERT INTO kv (k, v) VALUES (1, blobAsText(1))")?.message
            == "Type error: 1 cannot be passed as argument 0 of function system.blobastext of type blob")
        #expect(F.error("SELECT now(1) FROM kv WHERE k = 1")?.message
            == "Invalid number of arguments in call to function system.now: 0 required but 1 provided")
        #expect(F.error("SELECT nosuch(n) FROM kv WHERE k = 1")?.message == "Unknown function 'nosuch'")
        #expect(F.error("SELECT v + 1 FROM kv WHERE k = 1")?.message == "the '+' operation is not supported between v and 1")
        #expect(F.error("SELECT cast(v AS int) FROM kv WHERE k = 1")?.message == "v cannot be cast to int")
    }

    @Test func termsInValuesAreFoldedOrBound() throws {
        let m = try F.modification("INSERT INTO kv (k, n, v) VALUES (1 + 2, blobAsInt(0x00000007), blobAsText(textAsBlob('x')))")
        guard case .eq(let key) = m.partitionKey[0] else { Issue.record("no key"); return }
        #expect(key == .constant(F.int(3)))
        #expect(m.operations.map(\.kind) == [.set(.constant(F.text("x"))), .set(.constant(F.int(7)))])
        // A marker in an operation needs a type hint, as in Cassandra (FunctionResolver finds
        // several `*` overloads returning int).
        #expect(F.error("UPDATE kv SET n = ? * 3 WHERE k = 1")?.message == "Ambiguous '*' operation: use type casts to disambiguate")
        #expect(F.error("SELECT n + ? FROM kv WHERE k = 1")?.message == "Ambiguous '+' operation: use type casts to disambiguate")
        let p = try F.modification("UPDATE kv SET n = (int) ? * 3 WHERE k = blobAsInt(?)")
        #expect(p.variables.columns.map(\.name) == ["arg0(system._multiply)", "arg0(system.blobasint)"])
        #expect(p.variables.columns.map(\.type) == [.int, .blob])
        let mut = try p.mutation(values: [.value(F.int(5)), .value(F.int(2))], timestamp: 10, nowInSeconds: 1)
        #expect(mut.updates[0].key == DecoratedKey(key: F.int(2)))
        #expect(mut.updates[0].rows[0].columns == [.simple(2, .live(timestamp: 10, value: F.int(15)))])
        #expect(F.error("INSERT INTO kv (k, n) VALUES (1, blobAsInt(0x01))")?.message
            == "In call to function system.blobasint, value 0x01 is not a valid binary representation for type int")
        #expect(F.error("INSERT INTO kv (k, v) VALUES (1, intAsBlob(1))")?.message
            == "Type error: cannot assign result of function system.intasblob (type blob) to v (type text)")
        #expect(F.error("INSERT INTO kv (k, n) VALUES (1, toTimestamp(?))")?.message.hasPrefix("Ambiguous call to function system.totimestamp") == true)
    }

    @Test func clockFunctionsIgnoreUsingTimestamp() throws {
        var schema = F.schema
        schema.add(TableMetadata(keyspace: "ks", name: "tu", id: TableID(high: 9, low: 8), partitionKey: [("k", .int)],
                                 regular: [("t", .timestamp)]))
        guard case .modification(let m) = try F.plan("INSERT INTO tu (k, t) VALUES (1, currentTimestamp()) USING TIMESTAMP 5", schema: schema),
              case .batch(let b) = try F.plan("BEGIN BATCH USING TIMESTAMP 7 INSERT INTO tu (k, t) VALUES (1, currentTimestamp()) APPLY BATCH", schema: schema)
        else { Issue.record("not planned"); return }
        let single = try m.mutation(values: [], timestamp: 1_700_000_000_000_000, nowInSeconds: 1)
        #expect(single.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 5, value: F.bigint(1_700_000_000_000)))])
        let batch = try b.mutation(values: [], timestamp: 1_700_000_000_000_000, nowInSeconds: 1)
        #expect(batch.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 7, value: F.bigint(1_700_000_000_000)))])
    }

    @Test func castIsASelectorOnly() throws {
        for cql in ["INSERT INTO kv (k, v) VALUES (1, CAST(2 AS text))", "UPDATE kv SET n = cast(? as int) WHERE k = 1",
                    "SELECT * FROM kv WHERE k = CAST (? AS INT)"] {
            #expect(throws: CQLSyntaxError.self, "\(cql)") { try CQLParser.parse(cql) }
        }
        #expect(try F.select("SELECT CAST(n AS int), CAST(n AS bigint) FROM kv WHERE k = 1").resultColumns.map(\.name)
            == ["n", "cast(n as bigint)"])
    }

    @Test func tokenOfTermsOnTheRightHandSide() throws {
        let s = try F.select("SELECT * FROM composite WHERE token(a, b) > token(?, ?) AND token(a, b) <= token(1, 'a')")
        #expect(s.variables.columns.map(\.name) == ["arg0(system.token)", "arg1(system.token)"])
        #expect(s.variables.columns.map(\.type) == [.int, .text])
        let b = try s.tokenBounds(values: [.value(F.int(1)), .value(F.text("a"))])
        // The composite key (1, 'a') hashes to 6516349416904725244 (see partitionRestrictions).
        #expect(b == TokenBounds(lower: Token(6516349416904725244), lowerInclusive: false,
                                 upper: Token(6516349416904725244), upperInclusive: true))
        let sel = try F.select("SELECT token(1, 'a'), token(?, ?) FROM composite WHERE a = 1 AND b = 'a'")
        #expect(sel.resultColumns.map(\.name) == ["system.token(1, 'a')", "system.token(?, ?)"])
        #expect(sel.resultColumns.map(\.type) == [.bigint, .bigint])
        guard case .call(let f, let args, _) = sel.selectors[0], case .term(.constant(let a0)) = args[0], case .term(.constant(let a1)) = args[1] else {
            Issue.record("not a token call"); return
        }
        #expect(try f.execute([a0, a1]) == F.bigint(6516349416904725244))
        let single = try F.select("SELECT * FROM kv WHERE token(k) > token(5)")
        #expect(try single.tokenBounds(values: []).lower == DecoratedKey(key: F.int(5)).token)
        #expect(F.error("SELECT * FROM kv WHERE token(k) > token(1, 2)")?.message
            == "Invalid number of arguments in call to function system.token: 1 required but 2 provided")
    }

    @Test func timeFunctions() throws {
        // 2013-01-01 00:00 UTC = 1356998400000 ms.
        let ms: Int64 = 1_356_998_400_000
        let minU = try #require(try run(.minTimeuuid, [F.bigint(ms)]))
        let maxU = try #require(try run(.maxTimeuuid, [F.bigint(ms)]))
        #expect(Array(minU[8...]) == Array(repeating: 0x80, count: 8) && Array(maxU[8...]) == Array(repeating: 0x7F, count: 8))
        #expect(minU[6] >> 4 == 1 && Array(minU[0..<8]) != Array(maxU[0..<8]))
        #expect(try run(.toUnixTimestamp(.timeuuid), [minU]) == F.bigint(ms))
        #expect(try run(.toUnixTimestamp(.timeuuid), [maxU]) == F.bigint(ms))
        #expect(try run(.toTimestamp(.timeuuid), [TimeUUID.make(micros: ms * 1000 + 999)]) == F.bigint(ms))
        // 2013-01-01 is day 15706.
        #expect(try run(.toDate(.timestamp), [F.bigint(ms + 5)]) == CQLNumber.fixed(15706 + (1 << 31), width: 4))
        #expect(try run(.toDate(.timestamp), [F.bigint(-1)]) == CQLNumber.fixed((1 << 31) - 1, width: 4))
        #expect(try run(.toTimestamp(.date), [CQLNumber.fixed(15706 + (1 << 31), width: 4)]) == F.bigint(ms))
        #expect(try run(.toDate(.timestamp), [nil]) == nil && run(.toDate(.timestamp), [[]]) == nil)
    }

    @Test func numericOperationsFollowJava() throws {
        func op(_ o: ArithmeticOperator, _ l: CQLType, _ a: [UInt8], _ r: CQLType, _ b: [UInt8]) throws -> [UInt8]? {
            let sig = try #require(NativeFunctions.operation(o, l, r))
            return try sig.function.execute([a, b])
        }
        #expect(NativeFunctions.operation(.add, .tinyint, .int)?.result == .int)
        #expect(NativeFunctions.operation(.add, .int, .float)?.result == .float)
        #expect(NativeFunctions.operation(.add, .bigint, .float)?.result == .double)
        #expect(NativeFunctions.operation(.add, .varint, .double)?.result == .decimal)
        #expect(NativeFunctions.operation(.add, .counter, .int)?.result == .bigint)
        #expect(NativeFunctions.operation(.multiply, .timestamp, .duration) == nil)
        #expect(try op(.add, .int, F.int(.max), .int, F.int(1)) == F.int(.min))
        #expect(try op(.divide, .int, F.int(.min), .int, F.int(-1)) == F.int(.min))
        #expect(try op(.modulo, .int, F.int(-7), .int, F.int(3)) == F.int(-1))
        #expect(throws: CQLAnalysisError.invalid("the operation 'int / int' failed: / by zero")) {
            try op(.divide, .int, F.int(1), .int, F.int(0))
        }
        #expect(try op(.divide, .double, Self.double(1), .double, Self.double(0)) == Self.double(.infinity))
        #expect(try op(.add, .bigint, F.bigint(2), .double, Self.double(0.5)) == Self.double(2.5))
        // decimal: exact sums, DECIMAL128 quotients.
        let dec = { (u: Int128, s: Int64) in CQLNumber.fixed(s, width: 4) + CQLNumber.bytes(u) }
        #expect(try op(.add, .decimal, dec(110, 2), .int, F.int(1)) == dec(210, 2))
        #expect(try op(.divide, .int, F.int(1), .decimal, dec(30, 1)) == dec(3_333_333_333_333_333_333_333_333_333_333_333, 34))
        #expect(try op(.divide, .decimal, dec(10, 0), .decimal, dec(4, 0)) == dec(25, 1))
        #expect(try op(.divide, .decimal, dec(60, 1), .decimal, dec(2, 0)) == dec(30, 1))
        #expect(try op(.divide, .decimal, dec(2, 0), .decimal, dec(3, 0)) == dec(6_666_666_666_666_666_666_666_666_666_666_667, 34))
        #expect(try op(.multiply, .varint, CQLNumber.bytes(1 << 70), .varint, CQLNumber.bytes(4)) == CQLNumber.bytes(1 << 72))
        #expect(try ScalarFunction.negate(.tinyint).execute([[0x80]]) == [0x80])
    }

    @Test func temporalArithmetic() throws {
        func dur(_ text: String) throws -> [UInt8] { try CQLLiteral.serialize(text, kind: .duration, type: .duration, receiver: "d") }
        func ts(_ text: String) throws -> [UInt8] { try CQLLiteral.serialize(text, kind: .string, type: .timestamp, receiver: "t") }
        func date(_ text: String) throws -> [UInt8] { try CQLLiteral.serialize(text, kind: .string, type: .date, receiver: "d") }
        let add = ScalarFunction.arithmetic(.add, left: .timestamp, right: .duration, result: .timestamp)
        let sub = ScalarFunction.arithmetic(.subtract, left: .timestamp, right: .duration, result: .timestamp)
        #expect(try add.execute([ts("2020-01-31 12:00:00+0000"), dur("1mo")]) == ts("2020-02-29 12:00:00+0000"))
        #expect(try add.execute([ts("2019-01-31 12:00:00+0000"), dur("1mo1d")]) == ts("2019-03-01 12:00:00+0000"))
        #expect(try sub.execute([ts("2020-03-31 00:00:00+0000"), dur("1y1mo")]) == ts("2019-02-28 00:00:00+0000"))
        #expect(try sub.execute([ts("2020-01-01 00:00:00+0000"), dur("1h30m")]) == ts("2019-12-31 22:30:00+0000"))
        let dAdd = ScalarFunction.arithmetic(.add, left: .date, right: .duration, result: .date)
        #expect(try dAdd.execute([date("2020-12-31"), dur("2d")]) == date("2021-01-02"))
        #expect(throws: CQLAnalysisError.self) { try dAdd.execute([date("2020-12-31"), dur("2h")]) }
    }

    @Test func castsFollowCastFcts() throws {
        func cast(_ v: [UInt8], _ from: CQLType, _ to: CQLType) throws -> [UInt8]? {
            try ScalarFunction.cast(from: from, to: to).execute([v])
        }
        #expect(try cast(Self.double(-2.75), .double, .int) == F.int(-2))
        #expect(try cast(Self.double(1e20), .double, .int) == F.int(.max))
        #expect(try cast(Self.double(.nan), .double, .bigint) == F.bigint(0))
        #expect(try cast(F.bigint(4_294_967_297), .bigint, .int) == F.int(1))
        #expect(try cast(F.int(42), .int, .decimal) == CQLNumber.fixed(1, width: 4) + [0x01, 0xA4])  // 42.0
        #expect(try cast(F.int(42), .int, .text) == F.text("42"))
        #expect(try cast(F.bigint(86_400_000 * 3 + 5), .timestamp, .date) == CQLNumber.fixed(3 + (1 << 31), width: 4))
        // To text as Cassandra's CastFctsTest expects it.
        func text(_ v: [UInt8], _ from: CQLType) throws -> String? { try cast(v, from, .text).map { String(decoding: $0, as: UTF8.self) } }
        let ts = try CQLLiteral.serialize("2015-05-21 11:03:02+0000", kind: .string, type: .timestamp, receiver: "b")
        #expect(try text(ts, .timestamp) == "2015-05-21T11:03:02.000Z")
        #expect(try text(CQLLiteral.serialize("2015-05-21", kind: .string, type: .date, receiver: "c"), .date) == "2015-05-21")
        #expect(try text(CQLLiteral.serialize("11:03:02", kind: .string, type: .time, receiver: "d"), .time) == "11:03:02.000000000")
        #expect(try text(CQLNumber.fixed(Int64(Float(5.2).bitPattern), width: 4), .float) == "5.2")
        #expect(try text(Self.double(6.3), .double) == "6.3")
        #expect(try text(Self.double(1.0), .double) == "1.0")
        #expect(try text(Self.double(1e20), .double) == "1.0E20")
        #expect(try text(Self.double(-1.5e-5), .double) == "-1.5E-5")
        #expect(try text(Self.double(12345678.9), .double) == "1.23456789E7")
        #expect(try text(CQLNumber.fixed(1, width: 4) + [63], .decimal) == "6.3")
        #expect(try text(CQLNumber.fixed(-3, width: 4) + [0x7B], .decimal) == "1.23E+5")
        #expect(try text(CQLNumber.fixed(9, width: 4) + [0x7B], .decimal) == "1.23E-7")
        #expect(try text([127, 0, 0, 1], .inet) == "127.0.0.1")
        #expect(try text(Array(repeating: 0, count: 15) + [1], .inet) == "0:0:0:0:0:0:0:1")
        #expect(try text([1], .boolean) == "true")
        #expect(try text(CQLNumber.bytes(-12345678901234567890), .varint) == "-12345678901234567890")
        #expect(ScalarFunction.castable(.date, to: .text) && !ScalarFunction.castable(.blob, to: .text))
        #expect(!ScalarFunction.castable(.text, to: .ascii) && ScalarFunction.castable(.ascii, to: .text))
        #expect(!ScalarFunction.castable(.timestamp, to: .int) && !ScalarFunction.castable(.int, to: .counter))
    }

    @Test func blobConversionsForEveryNativeType() throws {
        for t in CQLType.scalars where t != .blob {
            let name = t.cqlName
            #expect(NativeFunctions.overloads("blobas\(name)")?.first?.result == t)
            #expect(NativeFunctions.overloads("\(name)asblob")?.first?.parameters == [t])
        }
        #expect(NativeFunctions.overloads("varcharasblob")?.first?.parameters == [.text])
        #expect(NativeFunctions.overloads("blobasblob") == nil)
        #expect(NativeFunctions.overloads("blob_as_int")?.first?.result == .int)
        #expect(NativeFunctions.overloads("int_as_blob")?.first?.parameters == [.int])
        let s = try F.select("SELECT to_unix_timestamp(current_timestamp()), tounixtimestamp(currenttimestamp()) FROM kv WHERE k = 1")
        #expect(s.resultColumns.map(\.name) == ["system.to_unix_timestamp(system.current_timestamp())",
                                                "system.tounixtimestamp(system.currenttimestamp())"])
    }

    @Test func udtLiteralKeepsExplicitNulls() throws {
        let both = try F.mutation("INSERT INTO people (k, home) VALUES (1, {street: null, zip: null})", ts: 3, now: 1)
        #expect(both.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 3, value: CQLLiteral.tuple([nil, nil])))])
        #expect(CQLLiteral.tuple([nil, nil]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        let first = try F.mutation("INSERT INTO people (k, home) VALUES (1, {street: 'x'})", ts: 3, now: 1)
        #expect(first.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 3, value: CQLLiteral.tuple([F.text("x"), nil])))])
        let second = try F.mutation("INSERT INTO people (k, home) VALUES (1, {zip: 2})", ts: 3, now: 1)
        #expect(second.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 3, value: CQLLiteral.tuple([nil, F.int(2)])))])
    }

    @Test func durationEqualityFilters() throws {
        var schema = F.schema
        schema.add(TableMetadata(keyspace: "ks", name: "dur", id: TableID(high: 0, low: 9), partitionKey: [("k", .int)],
                                 regular: [("d", .duration)]))
        func filter(_ cql: String, _ values: [CQLBoundValue] = []) throws -> BoundFilter {
            guard case .select(let s) = try F.plan(cql, schema: schema) else { throw CQLAnalysisError.invalid("not a select") }
            return try s.filters[0].bind(values)
        }
        let ninety = try CQLLiteral.serialize("90m", kind: .duration, type: .duration, receiver: "d")
        let twoDays = try CQLLiteral.serialize("2d", kind: .duration, type: .duration, receiver: "d")
        for cql in ["SELECT * FROM dur WHERE d = 1h30m ALLOW FILTERING", "SELECT * FROM dur WHERE d = PT1H30M ALLOW FILTERING",
                    "SELECT * FROM dur WHERE d = '1h30m' ALLOW FILTERING"] {
            let f = try filter(cql)
            #expect(f.matches(ninety) && !f.matches(twoDays), "\(cql)")
        }
        let bound = try filter("SELECT * FROM dur WHERE d = ? ALLOW FILTERING", [.value(ninety)])
        #expect(bound.matches(ninety) && !bound.matches(twoDays))
        #expect(try filter("SELECT * FROM dur WHERE d != 2d ALLOW FILTERING").matches(ninety))
        #expect(try filter("SELECT * FROM dur WHERE d IN (2d, 1h) ALLOW FILTERING").matches(twoDays))
        #expect(throws: CQLAnalysisError.invalid("Slice restrictions are not supported on duration columns")) {
            try F.plan("SELECT * FROM dur WHERE d > 1h ALLOW FILTERING", schema: schema)
        }
    }
}
