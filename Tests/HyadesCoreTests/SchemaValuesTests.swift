import Testing
@testable import HyadesCore

@Suite struct SchemaValuesTests {
    func int(_ v: Int32) -> [UInt8] { CQLLiteral.bigEndian(UInt64(UInt32(bitPattern: v)), 4) }

    @Test func partitionKeyComponentsRoundTrip() throws {
        let t = TableMetadata(keyspace: "ks", name: "t", id: TableID(high: 0, low: 1),
                              partitionKey: [("a", .int), ("b", .text)], clustering: [("c", .int, .desc)])
        let parts: [[UInt8]] = [int(1), Array("a".utf8)]
        #expect(try t.partitionKeyComponents(t.serializePartitionKey(parts)) == parts)
        #expect(throws: CQLLiteralError.self) { try t.partitionKeyComponents([0, 9, 1]) }
        #expect(throws: CQLLiteralError.self) { try t.partitionKeyComponents(t.serializePartitionKey([int(1)])) }
        let single = TableMetadata(keyspace: "ks", name: "u", id: TableID(high: 0, low: 2), partitionKey: [("k", .int)])
        #expect(try single.partitionKeyComponents(int(5)) == [int(5)])
        let ck = try t.encodeClustering([int(7)])
        #expect(try t.clusteringValues(ck) == [int(7)])
        #expect(throws: CQLLiteralError.self) { try t.clusteringValues([0x99]) }
    }

    @Test func complexValues() throws {
        let now: Int32 = 100
        let setCells = [Cell.live(timestamp: 5, value: [], path: try CellPath.setElement(int(2), elementType: .int)),
                        Cell.live(timestamp: 5, value: [], path: try CellPath.setElement(int(1), elementType: .int))]
            .sorted { ByteOrder.compare($0.path, $1.path) < 0 }
        #expect(try ComplexValue.serialize(ComplexColumnData(cells: setCells), type: .set(.int), nowInSeconds: now)
            == CQLLiteral.collection([int(1), int(2)]))
        // Cells at or before the collection deletion are gone; tombstones and expired cells too.
        let shadowed = ComplexColumnData(deletion: DeletionTime(markedForDeleteAt: 5, localDeletionTime: 1), cells: setCells)
        #expect(try ComplexValue.serialize(shadowed, type: .set(.int), nowInSeconds: now) == nil)
        let mapCells = [Cell.live(timestamp: 5, value: int(9), path: try CellPath.mapKey(Array("a".utf8), keyType: .text)),
                        Cell.tombstone(timestamp: 6, nowInSeconds: 1, path: try CellPath.mapKey(Array("b".utf8), keyType: .text)),
                        Cell.expiring(timestamp: 5, ttl: 1, nowInSeconds: 1, value: int(3), path: try CellPath.mapKey(Array("c".utf8), keyType: .text))]
        #expect(try ComplexValue.serialize(ComplexColumnData(cells: mapCells), type: .map(.text, .int), nowInSeconds: now)
            == CQLLiteral.map([(Array("a".utf8), int(9))]))
        let list = [Cell.live(timestamp: 1, value: int(4), path: [UInt8](repeating: 1, count: 16)),
                    Cell.live(timestamp: 1, value: int(3), path: [UInt8](repeating: 2, count: 16))]
        #expect(try ComplexValue.serialize(ComplexColumnData(cells: list), type: .list(.int), nowInSeconds: now)
            == CQLLiteral.collection([int(4), int(3)]))
        let udt = CQLType.udt(keyspace: "ks", name: "u", fields: [CQLField("a", .int), CQLField("b", .int), CQLField("c", .int)])
        let fields = [Cell.live(timestamp: 1, value: int(8), path: [0, 1])]
        #expect(try ComplexValue.serialize(ComplexColumnData(cells: fields), type: udt, nowInSeconds: now)
            == CQLLiteral.tuple([nil, int(8)]))
        #expect(throws: CQLLiteralError.self) {
            try ComplexValue.serialize(ComplexColumnData(cells: [Cell.live(timestamp: 1, value: [], path: [0, 9])]), type: udt, nowInSeconds: now)
        }
    }
}
