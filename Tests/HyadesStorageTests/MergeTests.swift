import HyadesCore
import Testing
@testable import HyadesStorage

@Suite struct MergeTests {
    let table = TableID(high: 1, low: 3)

    func memtable(_ updates: [PartitionUpdate]) -> Memtable {
        let m = Memtable()
        for u in updates { m.apply(u) }
        return m
    }

    @Test func mergesPartitionsAndRowsAcrossSources() throws {
        let a = memtable([PartitionUpdate(table: table, key: testKey(1), rows: [testRow(1, ts: 10, [(1, [1])]), testRow(3, ts: 10, [(1, [3])])]),
                          PartitionUpdate(table: table, key: testKey(2), rows: [testRow(1, ts: 10, [(1, [1])])])])
        let b = memtable([PartitionUpdate(table: table, key: testKey(1), rows: [testRow(1, ts: 20, [(2, [2])], liveness: false), testRow(2, ts: 5, [(1, [2])])]),
                          PartitionUpdate(table: table, key: testKey(3), rows: [testRow(1, ts: 10, [(1, [1])])])])
        let merged = try collect(MergingPartitionIterator([a.scan(.all), b.scan(.all)]))
        #expect(merged.map(\.0.key) == [testKey(1), testKey(2), testKey(3)].sorted())
        let p1 = merged.first { $0.0.key == testKey(1) }!.1
        #expect(p1.map { $0.clustering.last! } == [1, 2, 3])
        #expect(p1[0].columns == [.simple(1, .live(timestamp: 10, value: [1])), .simple(2, .live(timestamp: 20, value: [2]))])
        #expect(p1[0].liveness.timestamp == 10)
    }

    @Test func deletionsInOneSourceShadowOlderDataInAnother() throws {
        let del = DeletionTime(markedForDeleteAt: 15, localDeletionTime: 100)
        let data = memtable([PartitionUpdate(table: table, key: testKey(1), rows: (0..<6).map { testRow($0, ts: 10, [(1, [1])]) }),
                             PartitionUpdate(table: table, key: testKey(2), rows: [testRow(0, ts: 10, [(1, [1])]), testRow(1, ts: 20, [(1, [1])])])])
        let tombstones = memtable([
            PartitionUpdate(table: table, key: testKey(1), rangeTombstones: [RangeTombstone(start: ModelSchema.clustering(1), end: ModelSchema.clustering(3), deletion: del)],
                            rows: [Row(clustering: ModelSchema.clustering(4), deletion: del),
                                   Row(clustering: ModelSchema.clustering(5), columns: [.simple(1, .tombstone(timestamp: 15, nowInSeconds: 100))])]),
            PartitionUpdate(table: table, key: testKey(2), partitionDeletion: del)])
        let merged = try collect(MergingPartitionIterator([data.scan(.all), tombstones.scan(.all)]))
        let p1 = merged.first { $0.0.key == testKey(1) }!
        // ck 1, 2 under the range tombstone and ck 4 under the row deletion lose everything;
        // the row deletion itself stays (it is a tombstone); ck 5 keeps its marker, and its
        // cell is the newer tombstone.
        let live = p1.1.filter { Reconcile.live($0, nowInSeconds: 0) != nil }.map { $0.clustering.last! }
        #expect(live == [0, 3, 5])
        #expect(p1.1.first { $0.clustering.last! == 5 }!.columns == [.simple(1, .tombstone(timestamp: 15, nowInSeconds: 100))])
        #expect(Reconcile.live(p1.1.first { $0.clustering.last! == 5 }!, nowInSeconds: 0)!.columns.isEmpty)
        let p2 = merged.first { $0.0.key == testKey(2) }!
        #expect(p2.0.deletion == del)
        #expect(p2.1.map { $0.clustering.last! } == [1])
    }

    @Test func collectionDeletionShadowsOlderElements() throws {
        let old = PartitionUpdate(table: table, key: testKey(1), rows: [Row(clustering: ModelSchema.clustering(0), columns: [
            .complex(4, ComplexColumnData(cells: [.live(timestamp: 5, value: [1], path: [1]), .live(timestamp: 5, value: [2], path: [2])]))])])
        let overwrite = PartitionUpdate(table: table, key: testKey(1), rows: [Row(clustering: ModelSchema.clustering(0), columns: [
            .complex(4, ComplexColumnData(deletion: DeletionTime(markedForDeleteAt: 9, localDeletionTime: 1), cells: [.live(timestamp: 10, value: [3], path: [3])]))])])
        for sources in [[memtable([old, overwrite])], [memtable([old]), memtable([overwrite])]] {
            let merged = try collect(MergingPartitionIterator(sources.map { $0.scan(.all) }))
            let live = Reconcile.live(merged[0].1[0], nowInSeconds: 0)!
            guard case .complex(_, let d) = live.columns[0] else { Issue.record("not complex"); continue }
            #expect(d.cells.map(\.path) == [[3]])
        }
    }
}
