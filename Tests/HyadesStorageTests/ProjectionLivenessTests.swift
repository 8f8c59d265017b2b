import HyadesCore
import Testing
@testable import HyadesStorage

/// Fetched vs queried columns: a projection never changes WHICH rows are live, only which
/// columns come back. A row written only by `UPDATE t SET b = ...` (no row marker) lives
/// for `SELECT a` with a = null, in every read path: memtable, one SSTable (the walker's
/// wide re-read of a block), memtable + SSTable (hybrid) and overlapping SSTables (merge).
@Suite struct ProjectionLivenessTests {
    let id = TableID(high: 7, low: 11)
    let now: Int32 = 1_000

    /// 120 partitions of three rows; small blocks so wide and narrow blocks alternate.
    func firstWrites() -> [PartitionUpdate] {
        var out: [PartitionUpdate] = []
        for i in 0..<120 {
            // Row 0: INSERT (marker) of columns 1 and 2, column 2 newer.
            let r0 = Row(clustering: ModelSchema.clustering(0), liveness: LivenessInfo(timestamp: 10),
                         columns: [.simple(1, .live(timestamp: 10, value: [1, UInt8(i % 256)])),
                                   .simple(2, .live(timestamp: 30, value: [2]))])
            // Row 1: UPDATE of column 2 only: no marker.
            let r1 = Row(clustering: ModelSchema.clustering(1), columns: [.simple(2, .live(timestamp: 10, value: [3]))])
            // Row 2: no marker and, depending on i, a deleted cell, an expired cell, or a live
            // cell of column 3.
            let c: Cell
            switch i % 3 {
            case 0: c = .tombstone(timestamp: 10, nowInSeconds: 1)
            case 1: c = .expiring(timestamp: 10, ttl: 5, nowInSeconds: 100, value: [4])
            default: c = .live(timestamp: 10, value: [5])
            }
            let r2 = Row(clustering: ModelSchema.clustering(2), columns: [.simple(i % 3 == 2 ? 3 : 2, c)])
            out.append(PartitionUpdate(table: id, key: testKey(i), rows: [r0, r1, r2]))
        }
        return out
    }

    /// Later writes: a row deletion at 20 over row 0 of every fifth partition (its marker
    /// and column 1 die, column 2 at 30 keeps it alive), and an UPDATE-only row 3.
    func laterWrites() -> [PartitionUpdate] {
        var out: [PartitionUpdate] = []
        for i in stride(from: 0, to: 120, by: 5) {
            let del = Row(clustering: ModelSchema.clustering(0), deletion: DeletionTime(markedForDeleteAt: 20, localDeletionTime: 1))
            let r3 = Row(clustering: ModelSchema.clustering(3), columns: [.simple(2, .live(timestamp: 40, value: [6]))])
            out.append(PartitionUpdate(table: id, key: testKey(i), rows: [del, r3]))
        }
        return out
    }

    struct Seen: Hashable {
        var key: DecoratedKey
        var clustering: [UInt8]
        var column1: [UInt8]?
    }

    func column1(_ r: Row) -> [UInt8]? {
        for case .simple(1, let cell) in r.columns { return cell.value }
        return nil
    }

    func check(_ table: TableStore, _ stage: String) throws {
        let all = try drain(table.scan(.all, nowInSeconds: now)).flatMap { p in
            p.rows.map { Seen(key: p.key, clustering: $0.clustering, column1: column1($0)) }
        }
        #expect(all.count > 240, "\(stage)")
        for columns in [ColumnFilter([1]), ColumnFilter([3]), ColumnFilter([1, 3])] {
            let want = columns.includes(1) ? all : all.map { Seen(key: $0.key, clustering: $0.clustering, column1: nil) }
            let scanned = try drain(table.scan(.all, columns: columns, nowInSeconds: now)).flatMap { p in
                p.rows.map { Seen(key: p.key, clustering: $0.clustering, column1: column1($0)) }
            }
            #expect(scanned == want, "\(stage) scan \(columns)")
            var visited: [Seen] = []
            try table.forEachLiveRow(in: .all, columns: columns, nowInSeconds: now) { v in
                if !v.isStatic {
                    visited.append(Seen(key: v.decoratedKey(), clustering: Array(v.clustering), column1: v.value(1).map { Array($0) }))
                    #expect(v.columns.allSatisfy { columns.includes($0.column) })
                }
                return true
            }
            #expect(visited == want, "\(stage) forEachLiveRow \(columns)")
            for i in [0, 1, 2, 5, 7] {
                var point: [Seen] = []
                try table.readLiveRows(testKey(i), columns: columns, nowInSeconds: now) { v in
                    point.append(Seen(key: v.decoratedKey(), clustering: Array(v.clustering), column1: v.value(1).map { Array($0) }))
                    return true
                }
                #expect(point == want.filter { $0.key == testKey(i) }, "\(stage) readLiveRows \(i) \(columns)")
            }
        }
    }

    @Test func updateOnlyRowsLiveUnderEveryProjection() throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        options.nowInSeconds = { 1_000 }
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        var tableOptions = TableOptions()
        tableOptions.chunkLengthBytes = 256
        let table = try engine.openTable(id, directory: "/t", options: tableOptions)
        for u in firstWrites() { try table.apply(u) }
        try check(table, "memtable")
        try table.flush()
        try check(table, "one sstable")
        for u in laterWrites() { try table.apply(u) }
        try check(table, "memtable + sstable")
        try table.flush()
        #expect(table.liveSSTables.count == 2)
        try check(table, "two overlapping sstables")
        try table.compact(major: true)
        #expect(table.liveSSTables.count == 1)
        try check(table, "compacted")
        // The row written by UPDATE alone really is there, column 1 null.
        var found = false
        try table.readLiveRows(testKey(4), columns: ColumnFilter([1]), nowInSeconds: now) { v in
            if Array(v.clustering) == ModelSchema.clustering(1) {
                found = true
                #expect(v.value(1) == nil)
            }
            return true
        }
        #expect(found)
        try engine.shutdown()
    }
}
