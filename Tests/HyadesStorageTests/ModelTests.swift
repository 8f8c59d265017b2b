import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

/// A clock the test advances by hand (TTL expiry, gc_grace).
final class ManualClock: Sendable {
    let seconds = Atomic<Int32>(1_700_000_000)
    var now: Int32 { seconds.load(ordering: .relaxed) }
    func advance(_ by: Int32) { seconds.add(by, ordering: .relaxed) }
}

/// Random writes, overwrites, deletions of every kind, TTLs, static columns, collections,
/// flushes, compactions and restarts, checked against `Model` after every few operations
/// by point reads, slices and token-range scans with projections.
/// Replay one run with `HYADES_MODEL_SEED=<seed> swift test --filter ModelTests`.
@Suite struct ModelTests {
    static let ciSeeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]

    static var seeds: [UInt64] {
        if let s = ProcessInfo.processInfo.environment["HYADES_MODEL_SEED"], let v = UInt64(s) { return [v] }
        return ciSeeds
    }

    @Test(arguments: seeds)
    func engineMatchesModel(seed: UInt64) throws {
        print("model seed:", seed)
        var run = try ModelRun(seed: seed)
        try run.run(operations: 600)
    }
}

/// The same model run with flushes and compactions cut at shard boundaries that change
/// at runtime (as the ring does): reads and scans must not see a difference, and after a
/// major compaction every SSTable lies inside one shard of the current boundaries.
@Suite struct ShardedModelTests {
    @Test(arguments: ModelTests.seeds)
    func shardedEngineMatchesModel(seed: UInt64) throws {
        print("sharded model seed:", seed)
        var run = try ModelRun(seed: seed, sharded: true)
        try run.run(operations: 600)
    }
}

struct ModelRun {
    let seed: UInt64
    var rng: SeededRandom
    let fs = FaultInjectingFileSystem()
    let clock = ManualClock()
    var engine: StorageEngine
    var table: TableStore
    var model = Model()
    var op = 0
    var usedTimestamps = Set<Int64>()
    let tableOptions: TableOptions
    let keyCount: Int
    let gcGrace: Int32 = 2
    let sharded: Bool
    var background: Bool { seed > 4 }

    init(seed: UInt64, sharded: Bool = false) throws {
        self.seed = seed
        self.sharded = sharded
        rng = SeededRandom(seed: seed)
        var options = TableOptions()
        options.gcGraceSeconds = gcGrace
        options.chunkLengthBytes = 512
        // Seeds above 4 also flush and compact in the background, concurrently with the
        // operations and checks (what they return must not change).
        options.memtableLimitBytes = seed > 4 ? 16 << 10 : 1 << 30
        options.compression = [.none, .lz4, .snappy][Int(seed % 3)]
        if seed % 2 == 0 {
            options.compaction = .sizeTiered(minThreshold: 2 + Int(seed % 3), maxThreshold: 32)
        } else {
            options.compaction = .leveled(sstableSizeBytes: 2048, fanout: 2 + Int(seed % 3))
        }
        // Sharded: cut at every boundary, or only between pieces of a few KiB.
        options.flushShardMinBytes = [0, 0, 1024, 4096][Int(seed % 4)]
        tableOptions = options
        keyCount = 12 + Int(seed % 20)
        (engine, table) = try Self.open(fs: fs, clock: clock, options: options, background: seed > 4)
        if sharded { engine.setShardBoundaries(randomBoundaries()) }
    }

    /// 0 to 12 boundaries anywhere on the ring (the test keys' tokens are spread all over).
    mutating func randomBoundaries() -> ShardBoundaries {
        ShardBoundaries((0..<Int.random(in: 0...12, using: &rng)).map { _ in Token(Int64.random(in: Int64.min...Int64.max, using: &rng)) })
    }

    /// After a major compaction with nothing running beside it, every SSTable holds one
    /// shard's keys.
    func checkAligned() {
        guard sharded, !background else { return }
        let b = engine.shardBoundaries
        for r in table.liveSSTables where !b.isAligned(minToken: r.statistics.minToken, maxToken: r.statistics.maxToken) {
            Issue.record("seed \(seed) op \(op): SSTable \(r.generation) spans shards (\(r.statistics.minToken)...\(r.statistics.maxToken)) of \(b.tokens)")
        }
    }

    static func open(fs: FaultInjectingFileSystem, clock: ManualClock, options: TableOptions, background: Bool) throws -> (StorageEngine, TableStore) {
        var engineOptions = StorageEngineOptions()
        engineOptions.backgroundCompaction = background
        engineOptions.compactionThroughputBytesPerSecond = 0
        engineOptions.nowInSeconds = { clock.now }
        let engine = try StorageEngine(commitLogDirectory: "/data/commitlog", fileSystem: fs, options: engineOptions)
        let table = try engine.openTable(ModelSchema.table, directory: "/data/t", options: options)
        try engine.replayCommitLog()
        return (engine, table)
    }

    var now: Int32 { clock.now }

    mutating func timestamp() -> Int64 {
        op += 1
        var ts = Int64(now) * 1_000_000 + Int64(op) * 16
        // Sometimes a write from the recent past (out-of-order clocks): still unique, and
        // always younger than gc_grace, so a correctly purged tombstone cannot matter.
        if Int.random(in: 0..<5, using: &rng) == 0 { ts -= Int64.random(in: 1...4000, using: &rng) }
        while usedTimestamps.contains(ts) { ts += 1 }
        usedTimestamps.insert(ts)
        return ts
    }

    mutating func randomKey() -> DecoratedKey { ModelSchema.key(Int.random(in: 0..<keyCount, using: &rng)) }
    mutating func randomCK() -> Int { Int.random(in: 0..<10, using: &rng) }

    mutating func ttl() -> Int32 { Int.random(in: 0..<4, using: &rng) == 0 ? Int32.random(in: 1...8, using: &rng) : 0 }

    mutating func cell(_ ts: Int64, _ value: [UInt8], path: [UInt8] = []) -> Cell {
        let t = ttl()
        return t > 0 ? .expiring(timestamp: ts, ttl: t, nowInSeconds: now, value: value, path: path)
                     : .live(timestamp: ts, value: value, path: path)
    }

    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }

    mutating func randomUpdate() -> PartitionUpdate {
        let key = randomKey()
        var u = PartitionUpdate(table: ModelSchema.table, key: key)
        let kind = Int.random(in: 0..<100, using: &rng)
        switch kind {
        case 0..<40: // INSERT: row marker + cells (+ maybe static, collection)
            let ts = timestamp()
            let t = ttl()
            var row = Row(clustering: ModelSchema.clustering(randomCK()))
            row.liveness = t > 0 ? LivenessInfo(timestamp: ts, ttl: t, localExpirationTime: now + t) : LivenessInfo(timestamp: ts)
            if Bool.random(using: &rng) { row.columns.append(.simple(ModelSchema.v1, cell(ts, bytes(4)))) }
            if Bool.random(using: &rng) { row.columns.append(.simple(ModelSchema.v2, cell(ts, bytes(Int.random(in: 0...24, using: &rng))))) }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                // `m = {...}`: the collection deletion just before the new elements.
                var cells: [Cell] = []
                for p in Set((0..<Int.random(in: 1...3, using: &rng)).map { _ in UInt8.random(in: 0..<6, using: &rng) }).sorted() {
                    cells.append(cell(ts, bytes(3), path: [p]))
                }
                row.columns.append(.complex(ModelSchema.m, ComplexColumnData(
                    deletion: DeletionTime(markedForDeleteAt: ts - 1, localDeletionTime: now), cells: cells)))
            }
            u.rows = [row]
            if Int.random(in: 0..<4, using: &rng) == 0 {
                u.staticRow = Row(clustering: [], columns: [.simple(ModelSchema.s, cell(ts, bytes(2)))])
            }
        case 40..<60: // UPDATE: cells only, maybe several rows, collection element adds
            let ts = timestamp()
            var cks = Set<Int>()
            for _ in 0..<Int.random(in: 1...3, using: &rng) { cks.insert(randomCK()) }
            for ck in cks.sorted() {
                var row = Row(clustering: ModelSchema.clustering(ck))
                if Bool.random(using: &rng) { row.columns.append(.simple(ModelSchema.v1, cell(ts, bytes(4)))) }
                if Bool.random(using: &rng) {
                    row.columns.append(.complex(ModelSchema.m, ComplexColumnData(cells: [cell(ts, bytes(2), path: [UInt8.random(in: 0..<6, using: &rng)])])))
                }
                if row.columns.isEmpty { row.columns.append(.simple(ModelSchema.v2, cell(ts, bytes(5)))) }
                u.rows.append(row)
            }
        case 60..<68: // static only
            u.staticRow = Row(clustering: [], columns: [.simple(ModelSchema.s, cell(timestamp(), bytes(2)))])
        case 68..<78: // cell deletions (simple, collection element, whole collection)
            let ts = timestamp()
            var row = Row(clustering: ModelSchema.clustering(randomCK()))
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: row.columns = [.simple(ModelSchema.v1, .tombstone(timestamp: ts, nowInSeconds: now))]
            case 1: row.columns = [.complex(ModelSchema.m, ComplexColumnData(cells: [.tombstone(timestamp: ts, nowInSeconds: now, path: [UInt8.random(in: 0..<6, using: &rng)])]))]
            default: row.columns = [.complex(ModelSchema.m, ComplexColumnData(deletion: DeletionTime(markedForDeleteAt: ts, localDeletionTime: now), cells: []))]
            }
            u.rows = [row]
        case 78..<88: // row deletion
            u.rows = [Row(clustering: ModelSchema.clustering(randomCK()), deletion: DeletionTime(markedForDeleteAt: timestamp(), localDeletionTime: now))]
        case 88..<96: // range deletion
            var a = randomCK(), b = randomCK()
            if a > b { swap(&a, &b) }
            let start = ClusteringEncoding.lowerBound(ModelSchema.clustering(a), inclusive: Bool.random(using: &rng))
            let end = ClusteringEncoding.upperBound(ModelSchema.clustering(b), inclusive: Bool.random(using: &rng))
            u.rangeTombstones = [RangeTombstone(start: start, end: end, deletion: DeletionTime(markedForDeleteAt: timestamp(), localDeletionTime: now))]
        default: // partition deletion
            u.partitionDeletion = DeletionTime(markedForDeleteAt: timestamp(), localDeletionTime: now)
        }
        return u
    }

    mutating func randomSlices() -> Slices {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0, 1: return .all
        case 2:
            var a = randomCK(), b = randomCK()
            if a > b { swap(&a, &b) }
            return Slices([ClusteringSlice(start: ClusteringEncoding.lowerBound(ModelSchema.clustering(a), inclusive: Bool.random(using: &rng)),
                                           end: ClusteringEncoding.upperBound(ModelSchema.clustering(b), inclusive: Bool.random(using: &rng)))])
        default:
            let a = Int.random(in: 0..<4, using: &rng), b = Int.random(in: 5..<10, using: &rng)
            return Slices([ClusteringSlice(start: ModelSchema.clustering(a), end: ModelSchema.clustering(a) + [0x41]),
                           ClusteringSlice(start: ModelSchema.clustering(b), end: ClusteringEncoding.top)])
        }
    }

    mutating func randomColumns() -> ColumnFilter {
        [ColumnFilter.all, ColumnFilter([1]), ColumnFilter([2, 4]), ColumnFilter([3]), ColumnFilter([1, 3, 4]),
         ColumnFilter([1, 2, 3, 4])][Int.random(in: 0..<6, using: &rng)]
    }

    func expected(_ keys: [DecoratedKey], slices: Slices, columns: ColumnFilter) -> [ReadResult] {
        keys.sorted().compactMap { k in
            model.read(k, slices: slices, columns: columns, now: now).map { ReadResult(key: k, staticRow: $0.staticRow, rows: $0.rows) }
        }
    }

    mutating func check() throws {
        for _ in 0..<3 {
            let key = randomKey(), slices = randomSlices(), columns = randomColumns()
            if ProcessInfo.processInfo.environment["HYADES_MODEL_TRACE"] != nil { print("read", key.key.last!, slices, columns) }
            let got = try drain(table.read(key, slices: slices, columns: columns, nowInSeconds: now))
            let want = expected([key], slices: slices, columns: columns)
            if got != want { Issue.record("seed \(seed) op \(op): read \(key.key.last!) \(slices) \(columns)\n got \(got)\n want \(want)"); throw ModelMismatch() }
            let live = try drainLive { try table.readLiveRows(key, slices: slices, columns: columns, nowInSeconds: now, $0) }
            if live != want { Issue.record("seed \(seed) op \(op): readLiveRows \(key.key.last!) \(slices) \(columns)\n got \(live)\n want \(want)"); throw ModelMismatch() }
        }
        let slices = randomSlices(), columns = randomColumns()
        var range = PartitionRange.all
        var keys = Array(model.partitions.keys)
        if Bool.random(using: &rng) {
            var a = Token(Int64.random(in: Int64.min / 2...Int64.max / 2, using: &rng))
            var b = Token(Int64.random(in: Int64.min / 2...Int64.max / 2, using: &rng))
            if b < a { swap(&a, &b) }
            range = .tokens(after: a, upTo: b)
            keys = keys.filter { $0.token > a && $0.token <= b }
        }
        if ProcessInfo.processInfo.environment["HYADES_MODEL_TRACE"] != nil { print("scan", range, slices, columns) }
        let got = try drain(table.scan(range, slices: slices, columns: columns, nowInSeconds: now))
        let want = expected(keys, slices: slices, columns: columns)
        if got != want { Issue.record("seed \(seed) op \(op): scan \(range) \(slices) \(columns)\n got \(got)\n want \(want)"); throw ModelMismatch() }
        let live = try drainLive { try table.forEachLiveRow(in: range, slices: slices, columns: columns, nowInSeconds: now, $0) }
        if live != want { Issue.record("seed \(seed) op \(op): forEachLiveRow \(range) \(slices) \(columns)\n got \(live)\n want \(want)"); throw ModelMismatch() }
    }

    mutating func run(operations: Int) throws {
        for i in 0..<operations {
            let r = Int.random(in: 0..<100, using: &rng)
            if ProcessInfo.processInfo.environment["HYADES_MODEL_TRACE"] != nil { print("op", i, r) }
            switch r {
            case 0..<80:
                let u = randomUpdate()
                try table.apply(u)
                model.apply(u)
            case 80..<86:
                try table.flush()
                try check()
            case 86..<90: try table.compact(major: false)
            case 90..<92:
                // Flushed and major-compacted: one SSTable and an empty memtable, so the
                // next check reads through the single-source fast paths.
                try table.flush()
                try table.compact(major: true)
                checkAligned()
                try check()
            case 92..<96:
                // Sharded runs sometimes move the boundaries instead (a ring change).
                if sharded && Int.random(in: 0..<3, using: &rng) == 0 {
                    engine.setShardBoundaries(randomBoundaries())
                } else {
                    clock.advance(Int32.random(in: 1...5, using: &rng))
                }
            case 96:
                // TRUNCATE: everything before it is gone, whatever its timestamps.
                try table.truncate()
                model = Model()
            default:
                // Restart: the memtable comes back from the commit log.
                let boundaries = engine.shardBoundaries
                try engine.shutdown()
                (engine, table) = try Self.open(fs: fs, clock: clock, options: tableOptions, background: seed > 4)
                engine.setShardBoundaries(boundaries)
            }
            if i % 5 == 4 { try check() }
        }
        try table.flush()
        try table.compact(major: true)
        checkAligned()
        clock.advance(10)
        try check()
        try engine.shutdown()
    }
}

struct ModelMismatch: Error {}
