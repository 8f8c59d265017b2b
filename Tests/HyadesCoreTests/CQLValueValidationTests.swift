import Testing
@testable import HyadesCore

@Suite struct CQLValueValidationTests {
    static let address = CQLType.udt(keyspace: "k", name: "address", fields: [CQLField("street", .text), CQLField("zip", .int)])

    /// (type, invalid serialized value, the error message exactly)
    static let invalid: [(CQLType, [UInt8], String)] = [
        (.int, [1, 2, 3], "invalid int value: expected 4 bytes, got 3"),
        (.int, [], "invalid int value: expected 4 bytes, got 0"),
        (.bigint, [1], "invalid bigint value: expected 8 bytes, got 1"),
        (.smallint, [1, 2, 3], "invalid smallint value: expected 2 bytes, got 3"),
        (.tinyint, [1, 2], "invalid tinyint value: expected 1 bytes, got 2"),
        (.boolean, [], "invalid boolean value: expected 1 bytes, got 0"),
        (.float, [0, 0], "invalid float value: expected 4 bytes, got 2"),
        (.double, [0, 0, 0, 0], "invalid double value: expected 8 bytes, got 4"),
        (.timestamp, [0], "invalid timestamp value: expected 8 bytes, got 1"),
        (.date, [0, 0, 0], "invalid date value: expected 4 bytes, got 3"),
        (.time, be(86_400_000_000_000, 8), "invalid time value: 86400000000000 nanoseconds is outside a day (0 ..< 86400000000000)"),
        (.time, be(UInt64(bitPattern: -1), 8), "invalid time value: -1 nanoseconds is outside a day (0 ..< 86400000000000)"),
        (.uuid, [UInt8](repeating: 0, count: 15), "invalid uuid value: expected 16 bytes, got 15"),
        (.timeuuid, [UInt8](repeating: 0, count: 6) + [0x40] + [UInt8](repeating: 0, count: 9),
         "invalid timeuuid value: version 4 is not a time-based (version 1) UUID"),
        (.inet, [1, 2, 3, 4, 5], "invalid inet value: expected 4 (IPv4) or 16 (IPv6) bytes, got 5"),
        (.varint, [], "invalid varint value: a varint needs at least 1 byte"),
        (.varint, [0x00, 0x01], "invalid varint value: not minimal two's complement (redundant leading 0x00)"),
        (.varint, [0xFF, 0x80], "invalid varint value: not minimal two's complement (redundant leading 0xff)"),
        (.decimal, [0, 0, 0, 1], "invalid decimal value: expected a 4-byte scale and at least 1 byte of unscaled value, got 4 bytes"),
        (.decimal, [0, 0, 0, 1, 0, 5], "invalid decimal value: unscaled value: not minimal two's complement (redundant leading 0x00)"),
        (.ascii, [0x61, 0xC3, 0xA9], "invalid ascii value: byte 0xc3 at offset 1 is not ASCII"),
        (.text, [0x61, 0xFF], "invalid text value: invalid UTF-8 at offset 1"),
        (.text, [0xC0, 0x80], "invalid text value: invalid UTF-8 at offset 0"),          // overlong NUL
        (.text, [0xED, 0xA0, 0x80], "invalid text value: invalid UTF-8 at offset 0"),    // surrogate
        (.text, [0xE2, 0x82], "invalid text value: invalid UTF-8 at offset 0"),          // truncated
        (.duration, CQLSerialized.duration(months: 1, days: -1, nanos: 0),
         "invalid duration value: months, days and nanoseconds must all have the same sign (got 1, -1, 0)"),
        (.duration, [0x02, 0x02],
         "invalid duration value: expected three vints (months, days, nanoseconds) with months and days in int32 range"),
        (.list(.int), [0, 0, 0], "invalid list<int> value: a collection needs a 4-byte element count, got 3 bytes"),
        (.list(.int), int32Bytes(1) + int32Bytes(3) + [1, 2, 3], "invalid list<int> value: element 0 (int): expected 4 bytes, got 3"),
        (.list(.int), int32Bytes(2) + int32Bytes(4) + [1, 2, 3, 4],
         "invalid list<int> value: element 1 is truncated"),
        (.list(.int), int32Bytes(1) + int32Bytes(-1), "invalid list<int> value: element 0 is null (length -1); collections cannot hold nulls"),
        (.set(.int), int32Bytes(0) + [9], "invalid set<int> value: 1 trailing bytes after 0 elements"),
        (.frozen(.map(.text, .int)), collectionBytes([[0xFF], int32Bytes(1)], entries: 1),
         "invalid frozen<map<text, int>> value: key 0 (text): invalid UTF-8 at offset 0"),
        (.map(.text, .int), collectionBytes([[0x61], [1]], entries: 1), "invalid map<text, int> value: value 0 (int): expected 4 bytes, got 1"),
        (.tuple([.int, .text]), lengthPrefixed([int32Bytes(1), [0xFF]]),
         "invalid frozen<tuple<int, text>> value: component 1 (text): invalid UTF-8 at offset 0"),
        (.tuple([.int]), lengthPrefixed([int32Bytes(1), int32Bytes(2)]), "invalid frozen<tuple<int>> value: more than 1 components"),
        (.tuple([.int]), int32Bytes(-2), "invalid frozen<tuple<int>> value: component 0 has invalid length -2"),
        (.tuple([.int]), int32Bytes(9) + [1], "invalid frozen<tuple<int>> value: component 0 has length 9 but only 1 bytes remain"),
        (address, lengthPrefixed([[0x61], [1, 2]]), "invalid address value: component 1 (int): expected 4 bytes, got 2"),
    ]

    @Test(arguments: invalid)
    func invalidValuesNameTheirType(type: CQLType, value: [UInt8], message: String) {
        #expect {
            try type.validate(value)
        } throws: { error in
            guard let e = error as? CQLTypeError, e.kind == .invalidValue else { return false }
            #expect(e.message == message)
            return true
        }
    }

    static let valid: [(CQLType, [UInt8])] = [
        (.int, int32Bytes(0)), (.text, []), (.blob, []), (.ascii, []), (.text, Array("é😀".utf8)),
        (.varint, [0x00]), (.varint, [0xFF]), (.varint, [0x00, 0x80]), (.decimal, [0, 0, 0, 0, 0]),
        (.time, be(86_399_999_999_999, 8)), (.inet, [UInt8](repeating: 0, count: 16)),
        (.timeuuid, [UInt8](repeating: 0, count: 6) + [0x10] + [UInt8](repeating: 0, count: 9)),
        (.duration, CQLSerialized.duration(months: -1, days: -2, nanos: -3)),
        (.duration, CQLSerialized.duration(months: Int32.max, days: 0, nanos: Int64.max)),
        (.list(.int), collectionBytes([])), (.tuple([.int, .text]), lengthPrefixed([nil, nil])),
        (.tuple([.int, .text]), lengthPrefixed([int32Bytes(1)])),  // trailing component missing
        (.frozen(.set(.frozen(.list(.text)))), collectionBytes([collectionBytes([[0x61]])])),
    ]

    @Test(arguments: valid)
    func validValuesPass(type: CQLType, value: [UInt8]) throws {
        try type.validate(value)
    }

    @Test func cassandraVIntRoundTrips() {
        var rng = SeededGenerator(seed: 5)
        var values: [UInt64] = [0, 1, 127, 128, 255, 256, 1 << 20, UInt64.max, UInt64.max >> 1, 1 << 56, (1 << 56) - 1]
        for _ in 0..<200 { values.append(rng.next() >> (rng.next() % 64)) }
        for v in values {
            var out: [UInt8] = []
            CQLSerialized.appendVInt(v, to: &out)
            out.withUnsafeBytes { buf in
                var off = 0
                #expect(CQLSerialized.readVInt(buf, &off) == v)
                #expect(off == out.count)
            }
        }
        // Cassandra's layout: 1 byte below 128, 0x80 | high bits for 2 bytes, 0xFF + 8 bytes for the largest.
        var small: [UInt8] = []
        CQLSerialized.appendVInt(127, to: &small)
        #expect(small == [0x7F])
        var two: [UInt8] = []
        CQLSerialized.appendVInt(128, to: &two)
        #expect(two == [0x80, 0x80])
        var nine: [UInt8] = []
        CQLSerialized.appendVInt(UInt64.max, to: &nine)
        #expect(nine == [UInt8](repeating: 0xFF, count: 9))
    }
}
