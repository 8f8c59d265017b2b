import Foundation
import HyadesCore
import Testing
@testable import HyadesStorage

/// The benchmark's shape (16-byte keys, one 100-byte blob, commit log on), run only with
/// HYADES_PERF=1 (`swift test -c release`); prints rates, asserts only correctness.
@Suite struct TableStorePerfTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HYADES_PERF"] != nil))
    func benchmarkShape() throws {
        let n = Int(ProcessInfo.processInfo.environment["HYADES_PERF_ROWS"] ?? "") ?? 1_000_000
        let dir = NSTemporaryDirectory() + "hyades-perf-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = PosixFileSystem()
        let engine = try StorageEngine(commitLogDirectory: dir + "/commitlog", fileSystem: fs)
        let id = TableID(high: 1, low: 1)
        var topts = TableOptions()
        if let m = ProcessInfo.processInfo.environment["HYADES_PERF_MEMTABLE_MB"], let mb = Int(m) { topts.memtableLimitBytes = mb << 20 }
        let table = try engine.openTable(id, directory: dir + "/t", options: topts)
        try engine.replayCommitLog()
        var rng = SeededRandom(seed: 42)
        let value = [UInt8](repeating: 0xAB, count: 100)
        var keys: [[UInt8]] = []
        keys.reserveCapacity(n)
        for _ in 0..<n {
            var k = [UInt8](repeating: 0, count: 16)
            for j in 0..<16 { k[j] = UInt8.random(in: 0...255, using: &rng) }
            keys.append(k)
        }
        var start = Date()
        for (i, k) in keys.enumerated() {
            let ts = Int64(i + 1)
            try table.apply(PartitionUpdate(table: id, key: DecoratedKey(key: k), rows: [
                Row(clustering: [], liveness: LivenessInfo(timestamp: ts), columns: [.simple(1, .live(timestamp: ts, value: value))])]))
        }
        print("fillrandom: \(Int(Double(n) / Date().timeIntervalSince(start))) writes/s")
        start = Date()
        try table.flush()
        print("flush: \(Date().timeIntervalSince(start)) s")
        start = Date()
        try table.compact(major: true)
        print("compact: \(Date().timeIntervalSince(start)) s, sstables \(table.liveSSTables.count)")
        start = Date()
        let reads = min(n, 200_000)
        for i in 0..<reads {
            let it = try table.read(DecoratedKey(key: keys[(i &* 7919) % n]), nowInSeconds: 1)
            #expect(try it.nextPartition() != nil)
            _ = try it.nextRow()
        }
        print("readrandom: \(Int(Double(reads) / Date().timeIntervalSince(start))) reads/s")
        start = Date()
        let sst = table.liveSSTables[0]
        for i in 0..<reads where table.liveSSTables.count == 1 {
            let it = try sst.partition(DecoratedKey(key: keys[(i &* 7919) % n]), slices: .all, columns: .all)!
            _ = try it.nextPartition()
            _ = try it.nextRow()
        }
        print("raw sstable reads: \(Int(Double(reads) / Date().timeIntervalSince(start))) reads/s")
        start = Date()
        var count = 0
        let it = try table.scan(.all, nowInSeconds: 1)
        while try it.nextPartition() != nil { while try it.nextRow() != nil { count += 1 } }
        print("readseq: \(Int(Double(count) / Date().timeIntervalSince(start))) rows/s")
        #expect(count == Set(keys).count)
        try engine.shutdown()
    }
}
