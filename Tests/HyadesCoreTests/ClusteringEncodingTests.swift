import Testing
@testable import HyadesCore

@Suite struct ClusteringEncodingTests {
    static let componentTypes: [CQLType] = [
        .int, .bigint, .text, .blob, .double, .decimal, .varint, .uuid, .timeuuid, .inet, .boolean, .date,
        .frozen(.list(.int)), .tuple([.int, .text]),
    ]

    /// Random clusterings of 2-3 components of random types with mixed ASC/DESC: memcmp of
    /// the concatenated encodings equals the lexicographic semantic order (each component
    /// reversed when DESC), which only holds if every component is prefix-free; and every
    /// clustering and every prefix decodes back to its values.
    @Test("composite order and round trip", arguments: propertySeeds)
    func compositesOrderLexicographically(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<12 {
            let n = Int.random(in: 2...3, using: &rng)
            let types = (0..<n).map { _ in Self.componentTypes.randomElement(using: &rng)! }
            let desc = (0..<n).map { _ in Bool.random(using: &rng) }
            // Small value pools so that equal leading components (which make the next ones
            // decide) are common.
            let pools = types.map { t in (0..<4).map { _ in Gen.value(t, &rng) } }
            let rows = (0..<40).map { _ in pools.map { $0.randomElement(using: &rng)! } }
            let encs = try rows.map { try ClusteringEncoding.encode($0, types: types, descending: desc) }
            for (row, e) in zip(rows, encs) {
                #expect(try ClusteringEncoding.decode(e, types: types, descending: desc) == row, "seed \(seed)")
                let prefix = Array(row.prefix(n - 1))
                let pe = try ClusteringEncoding.encode(prefix, types: types, descending: desc)
                #expect(Array(e.prefix(pe.count)) == pe, "a prefix encodes to a byte prefix")
                #expect(try ClusteringEncoding.decode(pe, types: types, descending: desc) == prefix)
            }
            for i in rows.indices {
                for j in rows.indices where i != j {
                    var ref = 0
                    for k in 0..<n where ref == 0 {
                        let c = Reference.total(types[k], rows[i][k], rows[j][k])
                        ref = desc[k] ? -c : c
                    }
                    let got = sign(ByteOrder.compare(encs[i], encs[j]))
                    if rows[i] == rows[j] { #expect(got == 0); continue }
                    if ref != 0 {
                        #expect(got == sign(ref), "\(types.map(\.cqlName)) desc \(desc): \(rows[i]) vs \(rows[j]) seed \(seed)")
                    } else {
                        #expect(got != 0)
                    }
                }
            }
        }
    }

    @Test func sliceBoundsBracketPrefixes() throws {
        let types: [CQLType] = [.int, .text]
        let desc = [false, true]
        let p = try ClusteringEncoding.encode([int32Bytes(5)], types: types, descending: desc)
        let inside = try ClusteringEncoding.encode([int32Bytes(5), Array("zz".utf8)], types: types, descending: desc)
        let after = try ClusteringEncoding.encode([int32Bytes(6), []], types: types, descending: desc)
        let before = try ClusteringEncoding.encode([int32Bytes(4), Array("a".utf8)], types: types, descending: desc)
        let lowerIncl = ClusteringEncoding.lowerBound(p, inclusive: true)
        let upperIncl = ClusteringEncoding.upperBound(p, inclusive: true)
        #expect(ByteOrder.compare(inside, lowerIncl) >= 0 && ByteOrder.compare(inside, upperIncl) < 0)
        #expect(ByteOrder.compare(after, upperIncl) >= 0)
        #expect(ByteOrder.compare(before, lowerIncl) < 0)
        #expect(ByteOrder.compare(inside, ClusteringEncoding.lowerBound(p, inclusive: false)) < 0)
        // DESC text: "zz" sorts before "a" under the same prefix.
        let a = try ClusteringEncoding.encode([int32Bytes(5), Array("a".utf8)], types: types, descending: desc)
        #expect(ByteOrder.compare(inside, a) < 0)
    }

    @Test func emptyClusteringAndLayout() throws {
        #expect(try ClusteringEncoding.encode([], types: [.int], descending: [false]) == [])
        #expect(try ClusteringEncoding.decode([], types: [.int], descending: [false]) == [])
        #expect(try ClusteringEncoding.encode([int32Bytes(1)], types: [.int], descending: [false]) == [0x40, 0x80, 0, 0, 1])
        #expect(try ClusteringEncoding.encode([int32Bytes(1)], types: [.int], descending: [true]) == [0x40, 0x7F, 0xFF, 0xFF, 0xFE])
    }

    @Test func malformedClusteringsThrow() {
        let types: [CQLType] = [.int, .text]
        let desc = [false, false]
        let bad: [[UInt8]] = [
            [0x41, 0x80, 0, 0, 1],                  // wrong separator
            [0x40, 0x80, 0],                        // truncated int
            [0x40, 0x80, 0, 0, 1, 0x40, 0x61],      // unterminated text
            [0x40, 0x80, 0, 0, 1, 0x40, 0, 0, 0x40, 0x80, 0, 0, 1],  // more components than types
        ]
        for b in bad {
            #expect(throws: CQLTypeError.self, "\(b)") { try ClusteringEncoding.decode(b, types: types, descending: desc) }
        }
        #expect(throws: CQLTypeError.self) { try ClusteringEncoding.encode([[1], [2], [3]], types: types, descending: desc) }
        #expect(throws: CQLTypeError.self) { try ClusteringEncoding.encode([[1]], types: types, descending: [false]) }
    }

    @Test func cellPaths() throws {
        let a = try CellPath.setElement(Array("apple".utf8), elementType: .text)
        let b = try CellPath.setElement(Array("banana".utf8), elementType: .text)
        #expect(ByteOrder.compare(a, b) < 0)
        #expect(try CellPath.decodeSetElement(b, elementType: .text) == Array("banana".utf8))
        let k1 = try CellPath.mapKey(int32Bytes(-1), keyType: .int)
        let k2 = try CellPath.mapKey(int32Bytes(1), keyType: .int)
        #expect(ByteOrder.compare(k1, k2) < 0)
        #expect(try CellPath.decodeMapKey(k1, keyType: .int) == int32Bytes(-1))
        let listKey = [UInt8](0..<16)
        #expect(try CellPath.listElement(listKey) == listKey)
        #expect(try CellPath.decodeListElement(listKey) == listKey)
        #expect(throws: CQLTypeError.self) { try CellPath.listElement([1, 2]) }
        #expect(throws: CQLTypeError.self) { try CellPath.decodeMapKey([0x80, 0], keyType: .int) }
    }
}
