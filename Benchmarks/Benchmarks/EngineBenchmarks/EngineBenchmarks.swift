import Benchmark
import Foundation
import HyadesCore
import HyadesStorage

// package-benchmark suites: small, allocation-counted versions of the engine workloads
// (malloc counts are stable where wall time is not). The db_bench comparison at 1M rows
// is scripts/compare-rocksdb.sh.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput, .peakMemoryResident],
                                           maxDuration: .seconds(5), maxIterations: 20)

    Benchmark("memtable apply 10k rows") { benchmark in
        let dir = NSTemporaryDirectory() + "hyades-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let engine = try StorageEngine(commitLogDirectory: dir + "/cl", fileSystem: PosixFileSystem())
        let id = TableID(high: 9, low: 9)
        let table = try engine.openTable(id, directory: dir + "/t", options: TableOptions())
        let value = [UInt8](repeating: 7, count: 100)
        benchmark.startMeasurement()
        for i in 0..<10_000 {
            var k = [UInt8](repeating: 0, count: 16)
            k[0] = UInt8(truncatingIfNeeded: i >> 8); k[1] = UInt8(truncatingIfNeeded: i)
            let row = Row(clustering: [], liveness: LivenessInfo(timestamp: 1),
                          columns: [.simple(0, .live(timestamp: 1, value: value))])
            try table.apply(PartitionUpdate(table: id, key: DecoratedKey(key: k), rows: [row]))
        }
        benchmark.stopMeasurement()
        try engine.shutdown()
    }

    Benchmark("murmur3 token 16-byte key") { benchmark in
        let key = [UInt8](repeating: 0x5A, count: 16)
        for _ in benchmark.scaledIterations {
            blackHole(Murmur3Partitioner.token(key))
        }
    }
}
