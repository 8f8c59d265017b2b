import Testing
@testable import HyadesCore

@Suite struct CQLLiteralTests {
    func ser(_ text: String, _ kind: CQLLiteral.Kind, _ type: CQLType) throws -> [UInt8] {
        try CQLLiteral.serialize(text, kind: kind, type: type, receiver: "k")
    }

    func message(_ text: String, _ kind: CQLLiteral.Kind, _ type: CQLType) -> String? {
        do { _ = try ser(text, kind, type); return nil } catch { return (error as? CQLLiteralError)?.message ?? "\(error)" }
    }

    @Test func integers() throws {
        #expect(try ser("1", .integer, .int) == [0, 0, 0, 1])
        #expect(try ser("-1", .integer, .int) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try ser("-128", .integer, .tinyint) == [0x80])
        #expect(try ser("258", .integer, .smallint) == [1, 2])
        #expect(try ser("9223372036854775807", .integer, .bigint) == [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try ser("128", .integer, .varint) == [0x00, 0x80])
        #expect(message("128", .integer, .tinyint) == "Unable to make tinyint from '128'")
        #expect(message("3000000000", .integer, .int) == "Unable to make int from '3000000000'")
        #expect(message("3.5", .float, .int) == "Invalid FLOAT constant (3.5) for \"k\" of type int")
        #expect(message("abc", .string, .int) == "Invalid STRING constant (abc) for \"k\" of type int")
    }

    @Test func floatingPointAndDecimal() throws {
        #expect(try ser("1.5", .float, .double) == [0x3F, 0xF8, 0, 0, 0, 0, 0, 0])
        #expect(try ser("1", .integer, .float) == [0x3F, 0x80, 0, 0])
        let nan = try ser("NaN", .float, .double)
        #expect(Double(bitPattern: nan.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }).isNaN)
        #expect(try ser("-Infinity", .float, .float) == [0xFF, 0x80, 0, 0])
        // 1.25 = unscaled 125, scale 2
        #expect(try ser("1.25", .float, .decimal) == [0, 0, 0, 2, 0x7D])
        // 1e3 = unscaled 1, scale -3
        #expect(try ser("1e3", .float, .decimal) == [0xFF, 0xFF, 0xFF, 0xFD, 0x01])
        #expect(try ser("-5", .integer, .decimal) == [0, 0, 0, 0, 0xFB])
    }

    @Test func textBooleanBlobUUID() throws {
        #expect(try ser("héllo", .string, .text) == Array("héllo".utf8))
        #expect(message("héllo", .string, .ascii) != nil)
        #expect(try ser("true", .boolean, .boolean) == [1])
        #expect(try ser("0xCAFE", .hex, .blob) == [0xCA, 0xFE])
        #expect(try ser("0x", .hex, .blob) == [])
        let u = try ser("123e4567-e89b-12d3-a456-426614174000", .uuid, .timeuuid)
        #expect(u.count == 16 && u[0] == 0x12 && u[15] == 0x00)
        #expect(message("123e4567-e89b-42d3-a456-426614174000", .uuid, .timeuuid) != nil)
        #expect(message("0xCAFE", .hex, .text) == "Invalid HEX constant (0xCAFE) for \"k\" of type text")
    }

    func int64(_ b: [UInt8]) -> Int64 { Int64(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }

    @Test func timestamps() throws {
        #expect(int64(try ser("2024-01-02 03:04:05+0000", .string, .timestamp)) == 1_704_164_645_000)
        #expect(int64(try ser("2024-01-02T03:04:05.123Z", .string, .timestamp)) == 1_704_164_645_123)
        #expect(int64(try ser("2024-01-02", .string, .timestamp)) == 1_704_153_600_000)
        #expect(int64(try ser("2024-01-02 05:04:05+02:00", .string, .timestamp)) == 1_704_164_645_000)
        #expect(int64(try ser("1969-12-31 23:59:59Z", .string, .timestamp)) == -1000)
        #expect(int64(try ser("42", .integer, .timestamp)) == 42)
        #expect(message("2024-13-02", .string, .timestamp) != nil)
        #expect(message("2023-02-29", .string, .timestamp) != nil)
    }

    @Test func dateAndTime() throws {
        // 1970-01-01 is 2^31.
        #expect(try ser("1970-01-01", .string, .date) == [0x80, 0, 0, 0])
        #expect(try ser("1970-01-02", .string, .date) == [0x80, 0, 0, 1])
        #expect(try ser("1969-12-31", .string, .date) == [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(try ser("5", .integer, .date) == [0, 0, 0, 5])
        #expect(int64(try ser("01:00:00", .string, .time)) == 3_600_000_000_000)
        #expect(int64(try ser("00:00:01.5", .string, .time)) == 1_500_000_000)
        #expect(int64(try ser("00:00:00.000000001", .string, .time)) == 1)
        #expect(int64(try ser("7", .integer, .time)) == 7)
        #expect(message("86400000000000", .integer, .time) != nil)
        #expect(message("25:00:00", .string, .time) != nil)
    }

    @Test func inet() throws {
        #expect(try ser("127.0.0.1", .string, .inet) == [127, 0, 0, 1])
        #expect(try ser("::1", .string, .inet) == [UInt8](repeating: 0, count: 15) + [1])
        #expect(try ser("2001:db8::ff00:42:8329", .string, .inet)
            == [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0xFF, 0x00, 0x00, 0x42, 0x83, 0x29])
        #expect(try ser("::ffff:1.2.3.4", .string, .inet) == [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 1, 2, 3, 4])
        #expect(message("256.0.0.1", .string, .inet) != nil)
        #expect(message("1::2::3", .string, .inet) != nil)
    }

    @Test func durations() throws {
        // months, days, nanos as zigzag vints: 1h30m = 5_400_000_000_000 ns.
        #expect(try ser("1h30m", .duration, .duration) == CQLSerialized.duration(months: 0, days: 0, nanos: 5_400_000_000_000))
        #expect(try ser("1y2mo3d", .duration, .duration) == CQLSerialized.duration(months: 14, days: 3, nanos: 0))
        #expect(try ser("-2w", .duration, .duration) == CQLSerialized.duration(months: 0, days: -14, nanos: 0))
        #expect(try ser("P1Y2M3DT4H5M6S", .duration, .duration)
            == CQLSerialized.duration(months: 14, days: 3, nanos: ((4 * 60 + 5) * 60 + 6) * 1_000_000_000))
        #expect(try ser("P0001-02-03T04:05:06", .duration, .duration)
            == CQLSerialized.duration(months: 14, days: 3, nanos: ((4 * 60 + 5) * 60 + 6) * 1_000_000_000))
        #expect(try ser("1ms2us3ns", .duration, .duration) == CQLSerialized.duration(months: 0, days: 0, nanos: 1_002_003))
        // 1d: months 0, days zigzag(1) = 2, nanos 0.
        #expect(try ser("1d", .duration, .duration) == [0, 2, 0])
        #expect(message("1parsec", .duration, .duration) != nil)
    }

    @Test func composites() throws {
        #expect(CQLLiteral.collection([[1], [2, 3]]) == [0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 2, 2, 3])
        #expect(CQLLiteral.map([([1], [2])]) == [0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 2])
        #expect(CQLLiteral.tuple([[7], nil]) == [0, 0, 0, 1, 7, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try CQLLiteral.elements(of: CQLLiteral.collection([[1], [2, 3]]), perEntry: 1) == [[1], [2, 3]])
        #expect(try CQLLiteral.tupleComponents(of: CQLLiteral.tuple([[7], nil]), maxCount: 2) == [[7], nil])
    }
}
