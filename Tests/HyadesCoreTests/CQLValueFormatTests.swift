import Testing
@testable import HyadesCore

@Suite struct CQLValueFormatTests {
    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }
    static let address = CQLType.udt(keyspace: "k", name: "address", fields: [CQLField("street", .text), CQLField("zip", .int)])

    /// (type, serialized value, cqlsh literal, JSON)
    static let cases: [(CQLType, [UInt8], String, String)] = [
        (.int, int32Bytes(42), "42", "42"),
        (.int, int32Bytes(-1), "-1", "-1"),
        (.bigint, be(1 << 63, 8), "-9223372036854775808", "-9223372036854775808"),
        (.smallint, [0x80, 0x00], "-32768", "-32768"),
        (.tinyint, [0x7F], "127", "127"),
        (.counter, be(7, 8), "7", "7"),
        (.varint, [0x80], "-128", "-128"),
        (.varint, [0x00, 0x80], "128", "128"),
        (.varint, [0x01, 0, 0, 0, 0, 0, 0, 0, 0], "18446744073709551616", "18446744073709551616"),
        (.varint, [0xFF, 0, 0, 0, 0, 0, 0, 0, 0], "-18446744073709551616", "-18446744073709551616"),
        (.varint, [0x05, 0x6B, 0xC7, 0x5E, 0x2D, 0x63, 0x10, 0x00, 0x00], "100000000000000000000", "100000000000000000000"),
        (.decimal, decimalBytes(scale: 2, unscaled: "12345"), "123.45", "123.45"),
        (.decimal, decimalBytes(scale: 0, unscaled: "5"), "5", "5"),
        (.decimal, decimalBytes(scale: -2, unscaled: "123"), "1.23E+4", "1.23E+4"),
        (.decimal, decimalBytes(scale: 10, unscaled: "1"), "1E-10", "1E-10"),
        (.decimal, decimalBytes(scale: 6, unscaled: "1"), "0.000001", "0.000001"),
        (.decimal, decimalBytes(scale: 3, unscaled: "-5"), "-0.005", "-0.005"),
        (.decimal, decimalBytes(scale: 1, unscaled: "0"), "0.0", "0.0"),
        (.decimal, decimalBytes(scale: -1, unscaled: "0"), "0E+1", "0E+1"),
        (.decimal, decimalBytes(scale: 20, unscaled: "-123456789012345678901234567890"),
         "-1234567890.12345678901234567890", "-1234567890.12345678901234567890"),
        (.float, be(UInt64(Float(1.5).bitPattern), 4), "1.5", "1.5"),
        (.float, be(UInt64(Float(0.1).bitPattern), 4), "0.1", "0.1"),
        (.double, be(Double(1e20).bitPattern, 8), "1e+20", "1e+20"),
        (.double, be(Double(0.30000000000000004).bitPattern, 8), "0.30000000000000004", "0.30000000000000004"),
        (.double, be(Double.nan.bitPattern, 8), "NaN", "null"),
        (.double, be((-Double.infinity).bitPattern, 8), "-Infinity", "null"),
        (.boolean, [1], "true", "true"),
        (.boolean, [0], "false", "false"),
        (.text, text("it's"), "'it''s'", "\"it's\""),
        (.text, text("a\"b\n\u{1}é"), "'a\"b\n\u{1}é'", "\"a\\\"b\\n\\u0001é\""),
        (.ascii, text("x"), "'x'", "\"x\""),
        (.text, [], "''", "\"\""),
        (.blob, [0xCA, 0xFE], "0xcafe", "\"0xcafe\""),
        (.blob, [], "0x", "\"0x\""),
        (.uuid, [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF],
         "00112233-4455-6677-8899-aabbccddeeff", "\"00112233-4455-6677-8899-aabbccddeeff\""),
        (.timestamp, be(1_704_164_645_678, 8), "2024-01-02 03:04:05.678000+0000", "\"2024-01-02 03:04:05.678Z\""),
        (.timestamp, be(UInt64(bitPattern: -1), 8), "1969-12-31 23:59:59.999000+0000", "\"1969-12-31 23:59:59.999Z\""),
        (.timestamp, be(0, 8), "1970-01-01 00:00:00.000000+0000", "\"1970-01-01 00:00:00.000Z\""),
        (.date, be(1 << 31, 4), "1970-01-01", "\"1970-01-01\""),
        (.date, be((1 << 31) + 19724, 4), "2024-01-02", "\"2024-01-02\""),
        (.date, be((1 << 31) - 719_162, 4), "0001-01-01", "\"0001-01-01\""),
        (.date, be(0, 4), "0", "\"0\""),
        (.time, be(11_045_000_000_006, 8), "03:04:05.000000006", "\"03:04:05.000000006\""),
        (.inet, [127, 0, 0, 1], "127.0.0.1", "\"127.0.0.1\""),
        (.inet, [UInt8](repeating: 0, count: 15) + [1], "::1", "\"::1\""),
        (.inet, [UInt8](repeating: 0, count: 16), "::", "\"::\""),
        (.inet, [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1], "2001:db8::1", "\"2001:db8::1\""),
        (.inet, [0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], "1::1:0:0:1", "\"1::1:0:0:1\""),
        (.inet, [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 1, 2, 3, 4], "::ffff:1.2.3.4", "\"::ffff:1.2.3.4\""),
        (.duration, CQLSerialized.duration(months: 14, days: 3, nanos: 3_600_000_000_001), "1y2mo3d1h1ns", "\"1y2mo3d1h1ns\""),
        (.duration, CQLSerialized.duration(months: -1, days: -2, nanos: 0), "-1mo2d", "\"-1mo2d\""),
        (.list(.int), collectionBytes([int32Bytes(1), int32Bytes(2)]), "[1, 2]", "[1, 2]"),
        (.set(.text), collectionBytes([text("a"), text("b")]), "{'a', 'b'}", "[\"a\", \"b\"]"),
        (.frozen(.map(.text, .int)), collectionBytes([text("a"), int32Bytes(1)], entries: 1), "{'a': 1}", "{\"a\": 1}"),
        (.map(.int, .text), collectionBytes([int32Bytes(1), text("x")], entries: 1), "{1: 'x'}", "{\"1\": \"x\"}"),
        (.list(.int), collectionBytes([]), "[]", "[]"),
        (.tuple([.int, .text]), lengthPrefixed([int32Bytes(1), nil]), "(1, null)", "[1, null]"),
        (address, lengthPrefixed([text("x"), int32Bytes(1)]), "{street: 'x', zip: 1}", "{\"street\": \"x\", \"zip\": 1}"),
        // Invalid values print as a blob, the empty value of a fixed-width type as nothing / null.
        (.int, [1, 2, 3], "0x010203", "\"0x010203\""),
        (.int, [], "", "null"),
    ]

    @Test(arguments: cases)
    func formats(type: CQLType, value: [UInt8], literal: String, json: String) {
        #expect(CQLValueFormat.literal(value, type: type) == literal)
        #expect(CQLValueFormat.json(value, type: type) == json)
    }

    /// Arbitrary bytes (mostly invalid) never trap in validate / literal / json, and every
    /// generated valid key value formats without falling back to the blob form.
    @Test(arguments: propertySeeds)
    func formattingNeverTraps(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let types: [CQLType] = CQLType.scalars + [.list(.int), .set(.text), .map(.text, .decimal), .tuple([.int, .duration]),
                                                  Self.address, .frozen(.list(.frozen(.map(.int, .varint))))]
        for type in types {
            for _ in 0..<100 {
                let junk = Gen.bytes(Int.random(in: 0...20, using: &rng), &rng)
                _ = try? type.validate(junk)
                _ = CQLValueFormat.literal(junk, type: type)
                _ = CQLValueFormat.json(junk, type: type)
            }
        }
        for type in keyTypes {
            for _ in 0..<20 {
                let v = Gen.value(type, &rng)
                let lit = CQLValueFormat.literal(v, type: type)
                #expect(type == .blob || v.isEmpty || !lit.hasPrefix("0x"), "\(type) \(v) printed as \(lit)")
            }
        }
    }

    @Test func varintDecimalConversionRoundTrips() {
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<300 {
            let x = Int64(bitPattern: rng.next()) >> (rng.next() % 64)
            let s = String(x)
            let bytes = CQLVarint.bytes(fromDecimal: s)!
            #expect(CQLVarint.decimalString(bytes) == s)
            #expect(throws: Never.self, "minimal: \(s) -> \(bytes)") { try CQLType.varint.validate(bytes) }
            #expect(Reference.signExtended(bytes.count <= 8 ? bytes : Array(bytes.suffix(8))) == x)
        }
        let big = "-" + String(repeating: "9876543210", count: 8)
        #expect(CQLVarint.decimalString(CQLVarint.bytes(fromDecimal: big)!) == big)
        #expect(CQLVarint.bytes(fromDecimal: "12a") == nil)
        #expect(CQLVarint.bytes(fromDecimal: "-") == nil)
        #expect(CQLVarint.bytes(fromDecimal: "0") == [0])
        #expect(CQLVarint.bytes(fromDecimal: "-256") == [0xFF, 0x00])
        #expect(CQLVarint.bytes(fromDecimal: "255") == [0x00, 0xFF])
    }
}
