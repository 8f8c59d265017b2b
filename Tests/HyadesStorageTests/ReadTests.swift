import HyadesCore
import Testing
@testable import HyadesStorage

@Suite struct ReadTests {
    let table = TableID(high: 1, low: 4)

    func filtered(_ updates: [PartitionUpdate], now: Int32, columns: ColumnFilter = .all) throws -> [ReadResult] {
        let m = Memtable()
        for u in updates { m.apply(u) }
        return try drain(FilteredPartitionIterator(MergingPartitionIterator([m.scan(.all, columns: columns)]), nowInSeconds: now, columns: columns))
    }

    @Test func ttlExpiryAndRowLiveness() throws {
        let expiringMarker = Row(clustering: ModelSchema.clustering(0), liveness: LivenessInfo(timestamp: 1, ttl: 10, localExpirationTime: 110),
                                 columns: [.simple(1, .live(timestamp: 1, value: [1]))])
        let expiringCellOnly = Row(clustering: ModelSchema.clustering(1), columns: [.simple(1, .expiring(timestamp: 1, ttl: 5, nowInSeconds: 100, value: [1]))])
        let updates = [PartitionUpdate(table: table, key: testKey(1), rows: [expiringMarker, expiringCellOnly])]
        #expect(try filtered(updates, now: 104)[0].rows.count == 2)
        // At 105 the expiring cell is dead, so row 1 (no marker) disappears; row 0 lives by its cell.
        let at105 = try filtered(updates, now: 105)
        #expect(at105[0].rows.map { $0.clustering.last! } == [0])
        // At 110 the marker expired, but the non-expiring cell keeps row 0 alive.
        let at110 = try filtered(updates, now: 110)
        #expect(at110[0].rows.count == 1 && at110[0].rows[0].liveness.isEmpty)
    }

    @Test func partitionsWithNothingLiveAreSkipped() throws {
        let updates = [
            PartitionUpdate(table: table, key: testKey(1), rows: [Row(clustering: ModelSchema.clustering(0), columns: [.simple(1, .tombstone(timestamp: 1, nowInSeconds: 1))])]),
            PartitionUpdate(table: table, key: testKey(2), rows: [testRow(0, ts: 1, [(1, [1])])]),
            PartitionUpdate(table: table, key: testKey(3), partitionDeletion: DeletionTime(markedForDeleteAt: 5, localDeletionTime: 1)),
            PartitionUpdate(table: table, key: testKey(4), staticRow: testRow(-1, ts: 1, [(3, [3])], liveness: false)),
        ]
        let got = try filtered(updates, now: 10)
        #expect(Set(got.map(\.key)) == [testKey(2), testKey(4)])
        #expect(got.first { $0.key == testKey(4) }!.staticRow != nil)
        // Projected to column 1 only, partition 4 (static column 3 only) has nothing to return.
        #expect(Set(try filtered(updates, now: 10, columns: ColumnFilter([1])).map(\.key)) == [testKey(2)])
    }
}
