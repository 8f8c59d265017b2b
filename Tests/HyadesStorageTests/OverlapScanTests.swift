import HyadesCore
import Testing
@testable import HyadesStorage

/// `forEachLiveRow` over SSTables that overlap each other (random-key writes: every flush
/// spans the ring), where partitions held by one SSTable stream as views and partitions
/// held by several (or also by a memtable) go through the merge: the rows must equal
/// `scan`'s, row for row, for every projection and range.
@Suite struct OverlapScanTests {
    let id = TableID(high: 7, low: 11)

    /// A small deterministic generator (xorshift), so a failure replays.
    struct Rng {
        var s: UInt64
        mutating func next(_ n: Int) -> Int {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return Int(s % UInt64(n))
        }
    }

    func update(_ key: Int, round: Int, _ rng: inout Rng) -> PartitionUpdate {
        let ts = Int64(10 * round + 1)
        switch rng.next(8) {
        case 0:
            return PartitionUpdate(table: id, key: testKey(key), partitionDeletion: DeletionTime(markedForDeleteAt: ts, localDeletionTime: 1))
        case 1:
            let c = rng.next(4)
            return PartitionUpdate(table: id, key: testKey(key), rangeTombstones: [
                RangeTombstone(start: ClusteringEncoding.lowerBound(ModelSchema.clustering(c), inclusive: true),
                               end: ClusteringEncoding.upperBound(ModelSchema.clustering(c + 1), inclusive: true),
                               deletion: DeletionTime(markedForDeleteAt: ts, localDeletionTime: 1))])
        case 2:
            // An expiring cell (dead at the later `now`) beside a live one.
            return PartitionUpdate(table: id, key: testKey(key), rows: [
                Row(clustering: ModelSchema.clustering(rng.next(5)),
                    columns: [.simple(1, .expiring(timestamp: ts, ttl: 5, nowInSeconds: 100, value: [UInt8(round)])),
                              .simple(2, .live(timestamp: ts, value: [UInt8(key)]))])])
        case 3:
            return PartitionUpdate(table: id, key: testKey(key), staticRow: testRow(-1, ts: ts, [(3, [UInt8(round)])], liveness: false),
                                   rows: [testRow(rng.next(5), ts: ts, [(1, [UInt8(round)])])])
        case 4:
            // A cell tombstone over an older value.
            return PartitionUpdate(table: id, key: testKey(key), rows: [
                Row(clustering: ModelSchema.clustering(rng.next(5)), liveness: LivenessInfo(timestamp: ts),
                    columns: [.simple(1, .tombstone(timestamp: ts, nowInSeconds: 1)), .simple(2, .live(timestamp: ts, value: [9]))])])
        default:
            return PartitionUpdate(table: id, key: testKey(key), rows: [
                testRow(rng.next(5), ts: ts, [(1, [UInt8(round), UInt8(key)]), (2, [UInt8(key)])]),
                testRow(rng.next(5) + 5, ts: ts, [(2, [UInt8(round)])])])
        }
    }

    func check(_ table: TableStore) throws {
        // Token boundaries cutting the ring at a few places.
        let tokens = (0..<40).map { testKey($0).token }.sorted()
        let ranges: [PartitionRange] = [.all,
                                        .tokens(after: tokens[5], upTo: tokens[30]),
                                        .tokens(from: tokens[12], inclusive: true, to: nil, inclusive: false),
                                        .tokens(from: tokens[0], inclusive: false, to: tokens[3], inclusive: true)]
        for now: Int32 in [104, 106] {
            for columns in [ColumnFilter.all, ColumnFilter([2]), ColumnFilter([1, 3])] {
                for range in ranges {
                    let want = try drain(table.scan(range, columns: columns, nowInSeconds: now))
                    let got = try drainLive { try table.forEachLiveRow(in: range, columns: columns, nowInSeconds: now, $0) }
                    #expect(got == want, "now \(now) columns \(columns) range \(range)")
                }
            }
            #expect(try !drain(table.scan(.all, nowInSeconds: now)).isEmpty)
        }
        // Stopping early: the visitor sees exactly as many rows as it accepted.
        for stopAfter in [1, 7, 23] {
            var seen = 0
            try table.forEachLiveRow(in: .all, nowInSeconds: 104) { _ in seen += 1; return seen < stopAfter }
            #expect(seen == stopAfter)
        }
    }

    @Test func overlappingSSTablesMatchScan() throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions())
        var rng = Rng(s: 0x9E37_79B9_7F4A_7C15)
        for round in 0..<5 {
            // Keys 0..<40 spread over the ring; each round writes about half of them, so
            // some partitions end in one SSTable and some in several.
            for key in 0..<40 where rng.next(2) == 0 || key == round {
                try table.apply(update(key, round: round, &rng))
            }
            try table.flush()
        }
        #expect(table.liveSSTables.count == 5)
        #expect(TableStore.disjointChain(table.snapshot().sstables, overlapping: .all) == nil)
        try check(table)
        // Memtable data too: some partitions also in the memtable, some only there.
        for key in [2, 17, 33, 41, 45] { try table.apply(update(key, round: 6, &rng)) }
        try check(table)
        try engine.shutdown()
    }
}
