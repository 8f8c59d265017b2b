import HyadesCore
import Testing
@testable import HyadesStorage

/// Seeded random mutations covering every field the serializer stores.
struct MutationFuzzer {
    var rng: CrashRandom
    let tables: [TableID]

    init(seed: UInt64, tables: [TableID] = [TableID(high: 1, low: 2), TableID(high: 0xFFFF_FFFF_FFFF_FFFF, low: 7)]) {
        rng = CrashRandom(seed: seed)
        self.tables = tables
    }

    mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { int(100) < percent }

    mutating func bytes(max: Int) -> [UInt8] {
        (0..<int(max + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    mutating func timestamp() -> Int64 {
        switch int(4) {
        case 0: return Int64(bitPattern: rng.next())
        case 1: return -Int64(int(1000))
        default: return 1_700_000_000_000_000 + Int64(int(1_000_000))
        }
    }

    mutating func int32() -> Int32 {
        chance(20) ? Int32(truncatingIfNeeded: rng.next()) : Int32(int(2_000_000_000))
    }

    mutating func deletion() -> DeletionTime {
        chance(30) ? .live : DeletionTime(markedForDeleteAt: timestamp(), localDeletionTime: int32())
    }

    mutating func cell(path: Bool) -> Cell {
        let p = path ? bytes(max: 6) : []
        switch int(4) {
        case 0: return .live(timestamp: timestamp(), value: bytes(max: 40), path: p)
        case 1: return .tombstone(timestamp: timestamp(), nowInSeconds: int32(), path: p)
        case 2: return Cell(timestamp: timestamp(), ttl: Int32(1 + int(100_000)), localDeletionTime: int32(),
                            isTombstone: false, path: p, value: bytes(max: 20))
        default: return Cell(timestamp: timestamp(), ttl: int32(), localDeletionTime: int32(), isTombstone: chance(50),
                             path: p, value: bytes(max: 3))
        }
    }

    mutating func row(clustering: [UInt8]) -> Row {
        var columns: [ColumnData] = []
        var id = 0
        for _ in 0..<int(5) {
            id += 1 + int(300)
            if chance(25) {
                let cells = (0..<int(4)).map { _ in cell(path: true) }
                columns.append(.complex(ColumnID(id), ComplexColumnData(deletion: deletion(), cells: cells)))
            } else {
                columns.append(.simple(ColumnID(id), cell(path: false)))
            }
        }
        let liveness: LivenessInfo
        switch int(3) {
        case 0: liveness = .empty
        case 1: liveness = LivenessInfo(timestamp: timestamp())
        default: liveness = LivenessInfo(timestamp: timestamp(), ttl: int32(), localExpirationTime: int32())
        }
        return Row(clustering: clustering, liveness: liveness, deletion: deletion(), columns: columns)
    }

    mutating func update(table: TableID? = nil) -> PartitionUpdate {
        let key = DecoratedKey(key: bytes(max: 24))
        var u = PartitionUpdate(table: table ?? tables[int(tables.count)], key: key, partitionDeletion: deletion())
        if chance(30) { u.staticRow = row(clustering: []) }
        for _ in 0..<int(3) { u.rangeTombstones.append(RangeTombstone(start: bytes(max: 5), end: bytes(max: 5), deletion: deletion())) }
        var c: UInt8 = 0
        for _ in 0..<int(5) {
            c &+= UInt8(1 + int(40))
            u.rows.append(row(clustering: chance(10) ? [] : [c, UInt8(int(256))]))
        }
        return u
    }

    mutating func mutation(table: TableID? = nil) -> Mutation {
        Mutation((0..<(1 + int(3))).map { _ in update(table: table) })
    }

    /// A small mutation of roughly `valueBytes` + 50 bytes.
    mutating func small(table: TableID, valueBytes: Int = 80) -> Mutation {
        let key = DecoratedKey(key: Array("k\(rng.next() % 1_000_000)".utf8))
        let row = Row(clustering: [0x80, UInt8(int(256))], liveness: LivenessInfo(timestamp: 1_700_000_000_000_000),
                      columns: [.simple(3, .live(timestamp: 1_700_000_000_000_000,
                                                 value: [UInt8](repeating: 0x61, count: valueBytes)))])
        return Mutation([PartitionUpdate(table: table, key: key, rows: [row])])
    }
}

@Suite("MutationSerializer")
struct MutationSerializerTests {
    @Test func randomRoundTrips() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("MutationSerializer randomRoundTrips seed: \(seed)")
        var fuzz = MutationFuzzer(seed: seed)
        for i in 0..<500 {
            let m = fuzz.mutation()
            let bytes = MutationSerializer.serialize(m)
            let back = try MutationSerializer.deserialize(bytes)
            #expect(back == m, "seed \(seed) mutation \(i)")
        }
    }

    @Test func emptyAndDefaultFieldsAreCompact() throws {
        let key = DecoratedKey(key: [1, 2, 3])
        let m = Mutation([PartitionUpdate(table: TableID(high: 0, low: 0), key: key,
                                          rows: [Row(clustering: [], columns: [.simple(1, .live(timestamp: 5, value: [9]))])])])
        let bytes = MutationSerializer.serialize(m)
        // version 1 + count 1 + id 16 + token 8 + key 1+3 + flags 1 + row count 1 + row flags 1
        // + column count 1 + column id 1 + cell flags 1 + timestamp 1 + value 1+1
        #expect(bytes.count == 39)
        #expect(try MutationSerializer.deserialize(bytes) == m)
        #expect(try MutationSerializer.deserialize(MutationSerializer.serialize(Mutation([]))) == Mutation([]))
    }

    @Test func everyTruncationIsRejected() throws {
        var fuzz = MutationFuzzer(seed: 42)
        for _ in 0..<30 {
            let bytes = MutationSerializer.serialize(fuzz.mutation())
            for n in 0..<bytes.count {
                #expect(throws: MutationSerializationError.self) {
                    try MutationSerializer.deserialize(Array(bytes[..<n]))
                }
            }
        }
    }

    @Test func trailingBytesAreRejected() throws {
        var fuzz = MutationFuzzer(seed: 7)
        let bytes = MutationSerializer.serialize(fuzz.mutation())
        #expect(throws: MutationSerializationError(offset: bytes.count, reason: "1 trailing bytes")) {
            try MutationSerializer.deserialize(bytes + [0])
        }
    }

    @Test func specificGarblesAreRejectedWithOffsets() throws {
        let key = DecoratedKey(key: [1, 2, 3])
        let m = Mutation([PartitionUpdate(table: TableID(high: 0, low: 0), key: key,
                                          rows: [Row(clustering: [4], columns: [.simple(1, .live(timestamp: 5, value: [9]))])])])
        let good = MutationSerializer.serialize(m)

        var badVersion = good
        badVersion[0] = 99
        #expect(throws: MutationSerializationError.self) { try MutationSerializer.deserialize(badVersion) }

        // An absurd update count must not allocate: rejected against the bytes left.
        let hugeCount: [UInt8] = [1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        do {
            _ = try MutationSerializer.deserialize(hugeCount)
            Issue.record("expected an error")
        } catch let e as MutationSerializationError {
            #expect(e.offset == 1)
        }

        // Wrong token for the key.
        var badToken = good
        badToken[2 + 16] ^= 1
        do {
            _ = try MutationSerializer.deserialize(badToken)
            Issue.record("expected an error")
        } catch let e as MutationSerializationError {
            #expect(e.offset == 18)
            #expect(e.reason.contains("token"))
        }
        #expect(try MutationSerializer.deserialize(badToken, verifyTokens: false).updates[0].key.key == [1, 2, 3])

        // A key length beyond the input.
        var badLength = good
        badLength[26] = 0x7F
        #expect(throws: MutationSerializationError.self) { try MutationSerializer.deserialize(badLength) }

        // Unknown flag bits.
        var badFlags = good
        badFlags[30] = 0x80
        #expect(throws: MutationSerializationError.self) { try MutationSerializer.deserialize(badFlags) }

        // A varint running past 64 bits.
        let longVarint: [UInt8] = [1] + [UInt8](repeating: 0xFF, count: 11)
        #expect(throws: MutationSerializationError.self) { try MutationSerializer.deserialize(longVarint) }
    }

    /// Random damage must never trap: either an error or some mutation.
    @Test func randomGarbageNeverTraps() throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("MutationSerializer randomGarbageNeverTraps seed: \(seed)")
        var fuzz = MutationFuzzer(seed: seed)
        var rejected = 0
        for _ in 0..<2000 {
            var bytes = MutationSerializer.serialize(fuzz.mutation())
            for _ in 0..<(1 + fuzz.int(4)) {
                bytes[fuzz.int(bytes.count)] = UInt8(truncatingIfNeeded: fuzz.rng.next())
            }
            do { _ = try MutationSerializer.deserialize(bytes, verifyTokens: false) } catch is MutationSerializationError {
                rejected += 1
            }
        }
        #expect(rejected > 0, "seed \(seed)")
        for _ in 0..<500 {
            let bytes = fuzz.bytes(max: 200)
            _ = try? MutationSerializer.deserialize(bytes)
        }
    }
}
