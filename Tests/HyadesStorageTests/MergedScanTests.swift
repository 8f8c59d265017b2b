import HyadesCore
import Testing
@testable import HyadesStorage

/// `forEachLiveRow` over SSTables that overlap each other (random keys: every flush spans
/// the ring) plus memtable data, the `MergedScan` path: partitions one SSTable holds
/// stream from its cursor, partitions several sources hold are merged. Compared row for
/// row with `scan` + `FilteredPartitionIterator` over random data — overwrites across
/// SSTables, deletions of every kind, TTLs, statics, collections, projections, ranges
/// starting and ending mid-table (paging resumes), and visitors that stop early.
@Suite struct MergedScanTests {
    let id = TableID(high: 7, low: 12)
    static let base: Int32 = 1_000

    struct Gen {
        var rng: SeededRandom
        var ts: Int64 = 0

        mutating func next(_ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }
        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        mutating func timestamp() -> Int64 {
            ts += 10
            // Sometimes an older write arrives later (out-of-order clocks).
            return next(5) == 0 ? ts - Int64(next(200)) : ts
        }

        /// A live cell, or one expiring at `base + 1...9` (dead for some of the checks).
        mutating func cell(_ ts: Int64, _ value: [UInt8], path: [UInt8] = []) -> Cell {
            next(4) == 0 ? .expiring(timestamp: ts, ttl: Int32(1 + next(9)), nowInSeconds: MergedScanTests.base, value: value, path: path)
                         : .live(timestamp: ts, value: value, path: path)
        }

        mutating func update(_ table: TableID, key: DecoratedKey) -> PartitionUpdate {
            var u = PartitionUpdate(table: table, key: key)
            let del = { (ts: Int64) in DeletionTime(markedForDeleteAt: ts, localDeletionTime: MergedScanTests.base) }
            switch next(100) {
            case 0..<45:
                // INSERTs of a few rows (big enough values that partitions span blocks).
                for ck in Set((0..<(1 + next(4))).map { _ in next(8) }).sorted() {
                    let ts = timestamp()
                    var row = Row(clustering: ModelSchema.clustering(ck))
                    row.liveness = next(6) == 0 ? LivenessInfo(timestamp: ts, ttl: 3, localExpirationTime: MergedScanTests.base + 3)
                                                : LivenessInfo(timestamp: ts)
                    if next(3) != 0 { row.columns.append(.simple(ModelSchema.v1, cell(ts, bytes(4)))) }
                    if next(3) != 0 { row.columns.append(.simple(ModelSchema.v2, cell(ts, bytes(next(90))))) }
                    if next(4) == 0 {
                        row.columns.append(.complex(ModelSchema.m, ComplexColumnData(
                            deletion: del(ts - 1), cells: [cell(ts, bytes(3), path: [UInt8(next(4))])])))
                    }
                    u.rows.append(row)
                }
                if next(4) == 0 { u.staticRow = Row(clustering: [], columns: [.simple(ModelSchema.s, cell(timestamp(), bytes(2)))]) }
            case 45..<60:
                // UPDATE: cells without a row marker (liveness through the cells only).
                let ts = timestamp()
                u.rows = [Row(clustering: ModelSchema.clustering(next(8)),
                              columns: [.simple(next(2) == 0 ? ModelSchema.v1 : ModelSchema.v2, cell(ts, bytes(5)))])]
            case 60..<66:
                u.staticRow = Row(clustering: [], columns: [.simple(ModelSchema.s, cell(timestamp(), bytes(2)))])
            case 66..<74:
                let ts = timestamp()
                u.rows = [Row(clustering: ModelSchema.clustering(next(8)), columns: [
                    next(2) == 0 ? .simple(ModelSchema.v1, .tombstone(timestamp: ts, nowInSeconds: MergedScanTests.base))
                                 : .complex(ModelSchema.m, ComplexColumnData(deletion: del(ts), cells: []))])]
            case 74..<84:
                u.rows = [Row(clustering: ModelSchema.clustering(next(8)), deletion: del(timestamp()))]
            case 84..<93:
                var a = next(8), b = next(8)
                if a > b { swap(&a, &b) }
                u.rangeTombstones = [RangeTombstone(start: ClusteringEncoding.lowerBound(ModelSchema.clustering(a), inclusive: next(2) == 0),
                                                    end: ClusteringEncoding.upperBound(ModelSchema.clustering(b), inclusive: next(2) == 0),
                                                    deletion: del(timestamp()))]
            default:
                u.partitionDeletion = del(timestamp())
            }
            return u
        }
    }

    /// One flat list of (key, static?, row) in visiting order.
    typealias Flat = [(key: DecoratedKey, isStatic: Bool, row: Row)]

    static func flatten(_ results: [ReadResult]) -> Flat {
        var out: Flat = []
        for r in results {
            if let s = r.staticRow { out.append((r.key, true, s)) }
            for row in r.rows { out.append((r.key, false, row)) }
        }
        return out
    }

    static func same(_ a: Flat, _ b: Flat) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.isStatic == $1.isStatic && $0.row == $1.row }
    }

    func check(_ table: TableStore, keys: [DecoratedKey], gen: inout Gen) throws {
        let sorted = keys.sorted()
        var ranges: [PartitionRange] = [.all]
        for _ in 0..<4 {
            // Paging resumes: strictly after a key, to the end or to a token.
            let from = sorted[gen.next(sorted.count)]
            let to = sorted[gen.next(sorted.count)]
            ranges.append(.after(from, upper: gen.next(2) == 0 ? nil : PartitionRange.tokens(after: to.token, upTo: to.token).upper))
            ranges.append(.tokens(after: from.token, upTo: to.token))
        }
        ranges.append(.tokens(from: sorted[3].token, inclusive: true, to: sorted[sorted.count - 4].token, inclusive: false))
        for now in [Self.base, Self.base + 4, Self.base + 20] {
            for columns in [ColumnFilter.all, ColumnFilter([ModelSchema.v2]), ColumnFilter([ModelSchema.v1, ModelSchema.s]),
                            ColumnFilter([ModelSchema.m]),
                            // Every column named (SELECT a, b, c, ...): a projection that drops nothing.
                            ColumnFilter([ModelSchema.v1, ModelSchema.v2, ModelSchema.s, ModelSchema.m])] {
                for range in ranges {
                    let want = try drain(table.scan(range, columns: columns, nowInSeconds: now))
                    let got = try drainLive { try table.forEachLiveRow(in: range, columns: columns, nowInSeconds: now, $0) }
                    #expect(got == want, "now \(now) columns \(columns) range \(range)")
                }
            }
            // Stopping early: exactly the first n rows, then nothing more.
            let all = Self.flatten(try drain(table.scan(.all, nowInSeconds: now)))
            #expect(all.count > 50)
            for stopAfter in [1, 2, 7, 23, all.count / 2, all.count - 1] {
                var got: Flat = []
                try table.forEachLiveRow(in: .all, nowInSeconds: now) { v in
                    got.append((v.decoratedKey(), v.isStatic, v.row()))
                    return got.count < stopAfter
                }
                #expect(Self.same(got, Array(all.prefix(stopAfter))), "now \(now) stop after \(stopAfter)")
            }
        }
    }

    /// Key-value rows (no clustering) overwritten across SSTables: the merge's in-place
    /// fast path. Timestamps from a tiny range so ties are common and the tie-breaks
    /// (tombstone, expiring, deletion time, value) decide; markers present, absent or
    /// expiring; cells live, expiring or deleted.
    @Test(arguments: [UInt64(5), 6, 7])
    func overwrittenKeyValueRowsMatchScan(seed: UInt64) throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        var tableOptions = TableOptions()
        tableOptions.chunkLengthBytes = 512
        let table = try engine.openTable(id, directory: "/t", options: tableOptions)
        var gen = Gen(rng: SeededRandom(seed: seed))
        let keys = (0..<150).map { testKey($0) }
        func write(_ key: DecoratedKey) throws {
            let ts = Int64(1 + gen.next(4))
            var row = Row(clustering: [])
            switch gen.next(4) {
            case 0: row.liveness = .empty
            case 1: row.liveness = LivenessInfo(timestamp: ts, ttl: 2, localExpirationTime: Self.base + Int32(gen.next(8)))
            default: row.liveness = LivenessInfo(timestamp: ts)
            }
            for column in [ModelSchema.v1, ModelSchema.v2, ModelSchema.s] where gen.next(3) != 0 {
                let cts = gen.next(3) == 0 ? ts + 1 : ts
                let value = [UInt8(gen.next(3))]
                switch gen.next(6) {
                case 0: row.columns.append(.simple(column, .tombstone(timestamp: cts, nowInSeconds: Self.base + Int32(gen.next(3)))))
                case 1: row.columns.append(.simple(column, .expiring(timestamp: cts, ttl: Int32(1 + gen.next(3)),
                                                                      nowInSeconds: Self.base + Int32(gen.next(4)), value: value)))
                default: row.columns.append(.simple(column, .live(timestamp: cts, value: value)))
                }
            }
            if row.liveness.isEmpty && row.columns.isEmpty { row.liveness = LivenessInfo(timestamp: ts) }
            try table.apply(PartitionUpdate(table: id, key: key, rows: [row]))
        }
        for _ in 0..<4 {
            for k in keys where gen.next(2) == 0 { try write(k) }
            try table.flush()
        }
        #expect(TableStore.disjointChain(table.snapshot().sstables, overlapping: .all) == nil)
        try check(table, keys: keys, gen: &gen)
        for k in keys where gen.next(8) == 0 { try write(k) }
        try check(table, keys: keys, gen: &gen)
        try engine.shutdown()
    }

    /// Nothing flushed yet: every row in the memtables (the live one and one being
    /// flushed is not needed: one memtable, with overwrites and deletions in it).
    @Test(arguments: [UInt64(8), 9])
    func memtableOnlyMatchesScan(seed: UInt64) throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions())
        var gen = Gen(rng: SeededRandom(seed: seed))
        let keys = (0..<80).map { testKey($0) }
        for _ in 0..<3 {
            for k in keys where gen.next(2) == 0 { try table.apply(gen.update(id, key: k)) }
        }
        #expect(table.liveSSTables.isEmpty)
        try check(table, keys: keys, gen: &gen)
        try engine.shutdown()
    }

    /// Nothing flushed, more partitions than one memtable batch and one tree leaf hold
    /// (the scan cursor copies 64 partitions per lock, leaves split at 64): batches
    /// resume after the last key copied, across leaves, and values too big for the
    /// batch's first arena make it grow mid-batch.
    @Test func memtableOnlyAcrossBatchesMatchesScan() throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions())
        var gen = Gen(rng: SeededRandom(seed: 11))
        let keys = (0..<400).map { testKey($0) }
        for k in keys { try table.apply(gen.update(id, key: k)) }
        for k in keys where gen.next(3) == 0 { try table.apply(gen.update(id, key: k)) }
        for k in keys where gen.next(10) == 0 {
            let row = Row(clustering: ModelSchema.clustering(gen.next(8)), liveness: LivenessInfo(timestamp: gen.timestamp()),
                          columns: [.simple(ModelSchema.v2, .live(timestamp: gen.timestamp(), value: gen.bytes(6000)))])
            try table.apply(PartitionUpdate(table: id, key: k, rows: [row]))
        }
        #expect(table.liveSSTables.isEmpty)
        try check(table, keys: keys, gen: &gen)
        try engine.shutdown()
    }

    @Test(arguments: [(UInt64(1), CompressionAlgorithm.lz4), (2, .none), (3, .snappy), (4, .lz4)])
    func overlappingSSTablesAndMemtableMatchScan(seed: UInt64, compression: CompressionAlgorithm) throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        var tableOptions = TableOptions()
        tableOptions.compression = compression
        // Small blocks: a block holds a few partitions, and bigger partitions span blocks.
        tableOptions.chunkLengthBytes = 256
        let table = try engine.openTable(id, directory: "/t", options: tableOptions)
        var gen = Gen(rng: SeededRandom(seed: seed))
        let keys = (0..<80).map { testKey($0) }
        for round in 0..<5 {
            // Each round writes about a third of the keys: some partitions end in one
            // SSTable, some in several; a few are written twice in a round.
            for k in keys where gen.next(3) == 0 { try table.apply(gen.update(id, key: k)) }
            for _ in 0..<5 { try table.apply(gen.update(id, key: keys[gen.next(keys.count)])) }
            try table.flush()
            if round == 1 { try check(table, keys: keys, gen: &gen) }
        }
        #expect(table.liveSSTables.count == 5)
        #expect(TableStore.disjointChain(table.snapshot().sstables, overlapping: .all) == nil)
        try check(table, keys: keys, gen: &gen)
        // Memtable data too: partitions also in SSTables, and some only in the memtable.
        for k in keys where gen.next(6) == 0 { try table.apply(gen.update(id, key: k)) }
        // Several updates each, so memtable-only partitions carry deletions over rows too.
        for _ in 0..<4 {
            for i in 80..<100 where gen.next(2) == 0 { try table.apply(gen.update(id, key: testKey(i))) }
        }
        try check(table, keys: keys, gen: &gen)
        try engine.shutdown()
    }
}
