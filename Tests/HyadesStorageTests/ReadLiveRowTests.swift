import HyadesCore
import Testing
@testable import HyadesStorage

/// The streaming visitor reads (`forEachLiveRow`, `readLiveRows`) against the iterator
/// reads, through the single-SSTable fast path (one flush, empty memtable) and the merged
/// path (data also in the memtable).
@Suite struct ReadLiveRowTests {
    let id = TableID(high: 3, low: 9)

    func updates() -> [PartitionUpdate] {
        let del = DeletionTime(markedForDeleteAt: 5, localDeletionTime: 1)
        return [
            // Partition 1: old rows under a partition deletion, one newer row survives.
            PartitionUpdate(table: id, key: testKey(1), rows: [testRow(0, ts: 3, [(1, [1])]), testRow(1, ts: 4, [(1, [2])])]),
            PartitionUpdate(table: id, key: testKey(1), partitionDeletion: del),
            PartitionUpdate(table: id, key: testKey(1), rows: [testRow(2, ts: 9, [(1, [3]), (2, [4])])]),
            // Partition 2: a range tombstone over rows 0..<2, row 2 lives, a cell tombstone in row 3.
            PartitionUpdate(table: id, key: testKey(2), rows: [testRow(0, ts: 3, [(1, [1])]), testRow(1, ts: 3, [(1, [1])]),
                                                               testRow(2, ts: 3, [(1, [1])]),
                                                               Row(clustering: ModelSchema.clustering(3), liveness: LivenessInfo(timestamp: 3),
                                                                   columns: [.simple(1, .tombstone(timestamp: 3, nowInSeconds: 1)),
                                                                             .simple(2, .live(timestamp: 3, value: [8]))])]),
            PartitionUpdate(table: id, key: testKey(2), rangeTombstones: [
                RangeTombstone(start: ClusteringEncoding.lowerBound(ModelSchema.clustering(0), inclusive: true),
                               end: ClusteringEncoding.upperBound(ModelSchema.clustering(1), inclusive: true), deletion: del)]),
            // Partition 3: an expired cell and a live static row.
            PartitionUpdate(table: id, key: testKey(3), staticRow: testRow(-1, ts: 1, [(3, [3])], liveness: false),
                            rows: [Row(clustering: ModelSchema.clustering(0),
                                       columns: [.simple(1, .expiring(timestamp: 1, ttl: 5, nowInSeconds: 100, value: [1])),
                                                 .simple(2, .live(timestamp: 1, value: [2]))])]),
            // Partition 4: everything deleted.
            PartitionUpdate(table: id, key: testKey(4), rows: [testRow(0, ts: 1, [(1, [1])])]),
            PartitionUpdate(table: id, key: testKey(4), partitionDeletion: del),
        ]
    }

    func check(_ table: TableStore, now: Int32) throws {
        for columns in [ColumnFilter.all, ColumnFilter([2]), ColumnFilter([1, 3])] {
            let want = try drain(table.scan(.all, columns: columns, nowInSeconds: now))
            #expect(!want.isEmpty)
            let got = try drainLive { try table.forEachLiveRow(in: .all, columns: columns, nowInSeconds: now, $0) }
            #expect(got == want)
            for i in 1...5 {
                let one = try drain(table.read(testKey(i), columns: columns, nowInSeconds: now))
                let live = try drainLive { try table.readLiveRows(testKey(i), columns: columns, nowInSeconds: now, $0) }
                #expect(live == one, "key \(i) \(columns)")
            }
        }
        // Column lookups agree with the copied row.
        try table.forEachLiveRow(in: .all, nowInSeconds: now) { v in
            let row = v.row()
            for id: ColumnID in 0...4 {
                let want = row.columns.first { $0.column == id }.flatMap { d -> [UInt8]? in
                    if case .simple(_, let cell) = d { return cell.value } else { return nil }
                }
                #expect(v.value(id).map { Array($0) } == want)
            }
            return true
        }
        // Stopping early: the visitor sees exactly one row.
        var seen = 0
        try table.forEachLiveRow(in: .all, nowInSeconds: now) { _ in seen += 1; return false }
        #expect(seen == 1)
    }

    @Test func visitorsMatchIteratorsOnOneSSTableAndMerged() throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions())
        for u in updates() { try table.apply(u) }
        try check(table, now: 104)   // memtable only
        try check(table, now: 106)   // the expiring cell is dead
        try table.flush()
        #expect(table.liveSSTables.count == 1)
        try check(table, now: 104)   // the single-SSTable fast path
        try check(table, now: 106)
        try table.apply(PartitionUpdate(table: id, key: testKey(2), rows: [testRow(5, ts: 20, [(2, [9])])]))
        try check(table, now: 104)   // hybrid: one SSTable, one partition also in the memtable
        try table.apply(PartitionUpdate(table: id, key: testKey(6), rows: [testRow(0, ts: 20, [(1, [6])])]))
        try table.apply(PartitionUpdate(table: id, key: testKey(3), partitionDeletion: DeletionTime(markedForDeleteAt: 30, localDeletionTime: 1)))
        try table.apply(PartitionUpdate(table: id, key: testKey(1), rows: [testRow(2, ts: 40, [(2, [5])])]))
        try check(table, now: 104)   // memtable-only partitions between SSTable ones, a deletion over one
        var keys: [DecoratedKey] = []
        try table.forEachLiveRow(in: .all, nowInSeconds: 104) { v in
            if keys.last != v.decoratedKey() { keys.append(v.decoratedKey()) }
            return true
        }
        #expect(keys == keys.sorted() && keys.contains(testKey(6)) && !keys.contains(testKey(3)))
        try engine.shutdown()
    }
}
