import Testing
@testable import HyadesCore

/// Every vector of ../shared/COMPAT.md: tokens must match Cassandra and the drivers bit for bit.
@Suite struct Murmur3Tests {
    static func int32(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(u >> 24), UInt8((u >> 16) & 0xFF), UInt8((u >> 8) & 0xFF), UInt8(u & 0xFF)]
    }

    static let vectors: [([UInt8], Int64)] = [
        (Array("123".utf8), -7468325962851647638),
        (Array(repeating: [0x00, 0xff, 0x10, 0xfa, 0x99] as [UInt8], count: 10).flatMap { $0 }, 5837342703291459765),
        (Array(repeating: 0xfe, count: 8), -8927430733708461935),
        (Array(repeating: 0x10, count: 8), 1446172840243228796),
        (Array("9223372036854775807".utf8), 7162290910810015547),
        (int32(1), -4069959284402364209),
        (int32(2), -3248873570005575792),
        (int32(3), 9010454139840013625),
        (int32(0), -3485513579396041028),
        (int32(-1), 7297452126230313552),
        ([0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x00], 6516349416904725244),
        ([0x80], -5284281814142962636),
    ]

    @Test(arguments: vectors)
    func tokenMatchesCassandra(key: [UInt8], expected: Int64) {
        #expect(Murmur3Partitioner.token(key).value == expected)
    }

    @Test func compositeKeyIsCassandraCompositeType() {
        let key = Murmur3Partitioner.compositeKey([Self.int32(1), Array("a".utf8)])
        #expect(key == [0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x00])
        #expect(Murmur3Partitioner.token(key).value == 6516349416904725244)
    }

    @Test func decoratedKeyBytesOrderLikeTokens() {
        let keys = (0..<200).map { DecoratedKey(key: Self.int32(Int32($0))) }
        let byToken = keys.sorted()
        let byBytes = keys.sorted { ByteOrder.compare($0.byteComparable, $1.byteComparable) < 0 }
        #expect(byToken == byBytes)
        for k in keys { #expect(DecoratedKey(byteComparable: k.byteComparable) == k) }
    }
}

@Suite struct ChecksumTests {
    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE3069283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func crc32cIsIncremental() {
        let a = Array("hello, ".utf8), b = Array("catalogue".utf8)
        let whole = CRC32C.checksum(a + b)
        let split = b.withUnsafeBytes { CRC32C.update(CRC32C.checksum(a), $0) }
        #expect(whole == split)
    }

    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 1 << 35, UInt64.max])
    func varintRoundTrips(value: UInt64) {
        var out: [UInt8] = []
        VarInt.append(value, to: &out)
        #expect(out.count == VarInt.size(value))
        var off = 0
        #expect(out.withUnsafeBytes { VarInt.read($0, &off) } == value)
        #expect(off == out.count)
    }

    @Test func truncatedVarintIsNil() {
        var off = 0
        #expect([UInt8]([0x80, 0x80]).withUnsafeBytes { VarInt.read($0, &off) } == nil)
    }
}
