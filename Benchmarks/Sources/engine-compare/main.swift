import Foundation
import HyadesCore
import HyadesStorage

// The db_bench workloads of ../shared/BENCHMARKS.md on Hyades' engine, one table with a
// 16-byte blob partition key and one 100-byte blob column, commit log on (periodic).
// Prints `<workload> <ops/s> ...` lines that scripts/compare-rocksdb.sh turns into ratios.

var num = 1_000_000
var reads = 200_000
var dir = NSTemporaryDirectory() + "hyades-engine-compare"
var projectionRows = 200_000
/// Storage shard boundaries (ShardBoundaries): n tokens evenly over the ring, as a node's
/// vnode ranges would cut flushes and compactions. 0: unsharded.
var shardBoundaries = 0
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--num": num = Int(args.next()!)!
    case "--reads": reads = Int(args.next()!)!
    case "--dir": dir = args.next()!
    case "--projection-rows": projectionRows = Int(args.next()!)!
    case "--shard-boundaries": shardBoundaries = Int(args.next()!)!
    default: fatalError("unknown argument \(a)")
    }
}

func now() -> Double { Date().timeIntervalSince1970 }
func report(_ name: String, ops: Int, seconds: Double, _ extra: String = "") {
    print(String(format: "%@ %.0f ops/s  %d ops in %.3f s %@", name, Double(ops) / seconds, ops, seconds, extra))
}

try? FileManager.default.removeItem(atPath: dir)
let fs = PosixFileSystem()
var engineOptions = StorageEngineOptions()
engineOptions.commitLog.sync = .periodic(periodMs: 10_000)
engineOptions.compactionThroughputBytesPerSecond = 0
let engine = try StorageEngine(commitLogDirectory: dir + "/commitlog", fileSystem: fs, options: engineOptions)
if shardBoundaries > 0 {
    let step = UInt64.max / UInt64(shardBoundaries + 1)
    engine.setShardBoundaries(ShardBoundaries((1...shardBoundaries).map { Token(Int64(bitPattern: UInt64($0) &* step) ^ Int64.min) }))
}
let tableID = TableID(high: 1, low: 1)
var tableOptions = TableOptions()
tableOptions.compression = .lz4
let table = try engine.openTable(tableID, directory: dir + "/kv", options: tableOptions)
let w = Workload(num: num)
let valueColumn: ColumnID = 0
let nowSec = Int32(Date().timeIntervalSince1970)

// fillrandom: num writes of uniformly random keys (duplicates overwrite, as db_bench).
do {
    var rng = SplitMix64(seed: 1)
    let t0 = now()
    for i in 0..<num {
        let n = rng.below(num)
        let key = DecoratedKey(key: w.key(n))
        let ts = Int64(i + 1)
        let row = Row(clustering: [], liveness: LivenessInfo(timestamp: ts),
                      columns: [.simple(valueColumn, .live(timestamp: ts, value: w.value(n)))])
        try table.apply(PartitionUpdate(table: tableID, key: key, rows: [row]))
    }
    report("fillrandom", ops: num, seconds: now() - t0)
}

// readseq-overlapping: a full scan of the overlapping SSTables fillrandom left (each
// flush of random keys spans the ring), before the compaction: the visitor (a merge over
// per-SSTable cursors), the same in 5000-row pages each resumed after the last key (what
// the node's paged scans do), and the Row iterator merge.
do {
    try table.flush()
    let n = table.liveSSTables.count
    var rows = 0
    var t0 = now()
    try table.forEachLiveRow(in: .all, nowInSeconds: nowSec) { _ in rows += 1; return true }
    report("readseq-overlapping", ops: rows, seconds: now() - t0, "(\(n) sstables)")
    rows = 0
    t0 = now()
    var range = PartitionRange.all
    while true {
        var pageRows = 0
        var last: DecoratedKey?
        try table.forEachLiveRow(in: range, nowInSeconds: nowSec) { v in
            pageRows += 1
            if pageRows < 5000 { return true }
            last = v.decoratedKey()
            return false
        }
        rows += pageRows
        guard let k = last else { break }
        range = .after(k, upper: nil)
    }
    report("readseq-overlapping-paged", ops: rows, seconds: now() - t0, "(\(n) sstables)")
    rows = 0
    t0 = now()
    let it = try table.scan(.all, nowInSeconds: nowSec)
    while try it.nextPartition() != nil {
        while try it.nextRow() != nil { rows += 1 }
    }
    report("readseq-overlapping-iterator", ops: rows, seconds: now() - t0, "(\(n) sstables)")
}

// compact: flush what is left in the memtable and merge everything into one run.
do {
    let t0 = now()
    try table.flush()
    try table.compact(major: true)
    report("compact", ops: 1, seconds: now() - t0, "(\(table.liveSSTables.count) sstables after)")
}

// readrandom: point reads of random keys from the same key space (~63% exist).
do {
    var rng = SplitMix64(seed: 2)
    var found = 0
    let t0 = now()
    for _ in 0..<reads {
        let key = DecoratedKey(key: w.key(rng.below(num)))
        try table.readLiveRows(key, nowInSeconds: nowSec) { v in
            if !v.isStatic { found += 1 }
            return true
        }
    }
    report("readrandom", ops: reads, seconds: now() - t0, "(\(found) of \(reads) found)")
}

// readseq: a full scan of every row in ring order.
do {
    var rows = 0
    var bytes = 0
    let t0 = now()
    try table.forEachLiveRow(in: .all, nowInSeconds: nowSec) { v in
        rows += 1
        if let c = v.columns.first { bytes += v.cells[Int(c.firstCell)].value.count }
        return true
    }
    report("readseq", ops: rows, seconds: now() - t0, "(\(bytes) value bytes)")
}

// Not db_bench shapes, for our own tracking: the same full scan through the Row iterator
// API, and through the visitor while the memtable also holds some of the keys (1% of the
// writes again, the hybrid path).
do {
    var rows = 0
    let t0 = now()
    let it = try table.scan(.all, nowInSeconds: nowSec)
    while try it.nextPartition() != nil {
        while try it.nextRow() != nil { rows += 1 }
    }
    report("readseq-iterator", ops: rows, seconds: now() - t0)
    var rng = SplitMix64(seed: 4)
    for i in 0..<(num / 100) {
        let n = rng.below(num)
        let ts = Int64(num + i + 1)
        let row = Row(clustering: [], liveness: LivenessInfo(timestamp: ts),
                      columns: [.simple(valueColumn, .live(timestamp: ts, value: w.value(n)))])
        try table.apply(PartitionUpdate(table: tableID, key: DecoratedKey(key: w.key(n)), rows: [row]))
    }
    rows = 0
    let t1 = now()
    try table.forEachLiveRow(in: .all, nowInSeconds: nowSec) { _ in rows += 1; return true }
    report("readseq-with-memtable", ops: rows, seconds: now() - t1)
}

// projection: 40 double columns; a scan of 3 of them against a scan of all 40.
do {
    let wideID = TableID(high: 1, low: 2)
    let wide = try engine.openTable(wideID, directory: dir + "/wide", options: tableOptions)
    var rng = SplitMix64(seed: 3)
    for i in 0..<projectionRows {
        var cols: [ColumnData] = []
        cols.reserveCapacity(40)
        for c in 0..<40 {
            var d = Double(rng.next() % 1_000_000) / 7.0
            let bits = withUnsafeBytes(of: &d) { $0.load(as: UInt64.self) }.bigEndian
            cols.append(.simple(ColumnID(c), .live(timestamp: 1, value: withUnsafeBytes(of: bits) { Array($0) })))
        }
        let row = Row(clustering: [], liveness: LivenessInfo(timestamp: 1), columns: cols)
        try wide.apply(PartitionUpdate(table: wideID, key: DecoratedKey(key: w.key(i)), rows: [row]))
    }
    try wide.flush()
    try wide.compact(major: true)
    func scanAll(_ filter: ColumnFilter) throws -> (Double, Int) {
        let t0 = now()
        var cells = 0
        try wide.forEachLiveRow(in: .all, columns: filter, nowInSeconds: nowSec) { v in
            cells += v.columns.count
            return true
        }
        return (now() - t0, cells)
    }
    _ = try scanAll(.all) // warm the page cache
    let (tAll, cAll) = try scanAll(.all)
    let (t3, c3) = try scanAll(ColumnFilter([3, 17, 31]))
    report("projection40", ops: projectionRows, seconds: tAll, "(\(cAll) cells)")
    report("projection3", ops: projectionRows, seconds: t3, "(\(c3) cells)")
    print(String(format: "projection speedup 3-of-40 vs 40: %.2fx", tAll / t3))
}

try engine.shutdown()
