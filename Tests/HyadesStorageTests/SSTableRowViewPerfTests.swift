import Foundation
import HyadesCore
@testable import HyadesStorage
import Testing

/// Throughput of the row-view read paths (db_bench's shapes: 16-byte keys, 100-byte
/// values, lz4; and a 40-double-column table projected to 3 columns). Prints timings,
/// asserts only correctness; opt-in:
/// HYADES_SSTABLE_PERF=1 swift test -c release --filter SSTableRowViewPerfTests
/// (HYADES_SSTABLE_PERF_ROWS=n for another size).
@Suite("SSTable row-view throughput", .serialized)
struct SSTableRowViewPerfTests {
    static var rows: Int { Int(ProcessInfo.processInfo.environment["HYADES_SSTABLE_PERF_ROWS"] ?? "") ?? 1_000_000 }

    static func keys(_ n: Int) -> [DecoratedKey] {
        var rng = SplitMix64(seed: 1)
        var keys = (0..<n).map { i -> DecoratedKey in
            var k = [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: UInt64(i).bigEndian) { for j in 0..<8 { k[j] = $0[j] } }
            withUnsafeBytes(of: rng.next()) { for j in 0..<8 { k[8 + j] = $0[j] } }
            return DecoratedKey(key: k)
        }
        keys.sort()
        return keys
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }

    @Test("db_bench shapes: scan and point reads", .enabled(if: ProcessInfo.processInfo.environment["HYADES_SSTABLE_PERF"] != nil))
    func dbBenchShapes() throws {
        let dir = try SSTablePosixTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = PosixFileSystem()
        let n = Self.rows
        let keys = Self.keys(n)
        let value = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var options = TableOptions()
        options.compression = .lz4
        let w = try SSTableWriter(fileSystem: fs, directory: dir, generation: 1, options: options, schema: nil, expectedPartitions: n)
        for k in keys {
            try w.beginPartition(PartitionHeader(key: k))
            try w.append(Row(clustering: [], liveness: LivenessInfo(timestamp: 1_700_000_000_000_000),
                             columns: [.simple(1, .live(timestamp: 1_700_000_000_000_000, value: value))]))
        }
        _ = try w.finish()
        let clock = ContinuousClock()
        for (name, cache) in [("no cache", nil as SSTableBlockCache?), ("16 MiB cache", SSTableBlockCache(capacityBytes: 16 << 20)),
                              ("1 GiB cache", SSTableBlockCache(capacityBytes: 1 << 30))] {
            let reader = try SSTableReader.open(fileSystem: fs, directory: dir, generation: 1, blockCache: cache)
            for pass in 0..<2 {
                var t = clock.now
                var count = 0, bytes = 0
                try reader.forEachRow(in: .all, columns: .all) { v in
                    count += 1
                    bytes &+= v.cells.count > 0 ? v.cells[0].value.count : 0
                    return true
                }
                let scan = Self.seconds(clock.now - t)
                #expect(count == n && bytes == n * 100)
                let lookups = min(n, 200_000)
                var found = 0
                t = clock.now
                for i in 0..<lookups {
                    let k = keys[(i &* 7919) % n]
                    let h = k.key.withUnsafeBytes { Murmur3.hash128($0) }
                    if try reader.readRow(k, hash: h, columns: .all, { v in bytes &+= v.cells.count }) { found += 1 }
                }
                let point = Self.seconds(clock.now - t)
                #expect(found == lookups)
                t = clock.now
                for i in 0..<lookups {
                    let k = keys[(i &* 7919) % n]
                    if let p = try reader.partition(k, slices: .all, columns: .all), try p.nextPartition() != nil, try p.nextRow() != nil {}
                }
                let iter = Self.seconds(clock.now - t)
                print(String(format: "[%@ pass %d] forEachRow %d rows: %.3f s = %.2f M rows/s; readRow: %.2f µs/read; iterator point read: %.2f µs/read",
                             name, pass, n, scan, Double(n) / scan / 1e6, point / Double(lookups) * 1e6, iter / Double(lookups) * 1e6))
            }
        }
    }

    @Test("projection: 3 of 40 double columns vs all 40", .enabled(if: ProcessInfo.processInfo.environment["HYADES_SSTABLE_PERF"] != nil))
    func projection() throws {
        let dir = try SSTablePosixTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = PosixFileSystem()
        let n = Self.rows / 4
        let keys = Self.keys(n)
        var options = TableOptions()
        options.compression = .lz4
        let w = try SSTableWriter(fileSystem: fs, directory: dir, generation: 1, options: options, schema: nil, expectedPartitions: n)
        var rng = SplitMix64(seed: 3)
        for k in keys {
            try w.beginPartition(PartitionHeader(key: k))
            var cols: [ColumnData] = []
            for c in 0..<40 {
                // Catalogue-like doubles: a few significant bits of noise per column.
                let d = Double(c) * 1.5 + Double(rng.next() % 100_000) / 1000
                cols.append(.simple(ColumnID(c), .live(timestamp: 1_700_000_000_000_000,
                                                       value: withUnsafeBytes(of: d.bitPattern.bigEndian) { Array($0) })))
            }
            try w.append(Row(clustering: [], liveness: LivenessInfo(timestamp: 1_700_000_000_000_000), columns: cols))
        }
        let reader = try w.finish()
        let clock = ContinuousClock()
        var best: [Double] = [.infinity, .infinity]
        for _ in 0..<3 {
            for (i, filter) in [ColumnFilter.all, ColumnFilter([2, 17, 31])].enumerated() {
                let t = clock.now
                var cells = 0
                var sum = 0.0
                try reader.forEachRow(in: .all, columns: filter) { v in
                    cells += v.cells.count
                    for c in v.cells {
                        sum += Double(bitPattern: UInt64(bigEndian: c.value.loadUnaligned(as: UInt64.self)))
                    }
                    return true
                }
                best[i] = min(best[i], Self.seconds(clock.now - t))
                #expect(cells == n * (i == 0 ? 40 : 3) && sum > 0)
            }
        }
        print(String(format: "projection over %d rows x 40 doubles: all %.3f s, 3 columns %.3f s, ratio %.1fx",
                     n, best[0], best[1], best[0] / best[1]))
    }
}
