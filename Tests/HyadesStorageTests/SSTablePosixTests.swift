import Foundation
import HyadesCore
@testable import HyadesStorage
import Testing

@Suite("SSTable on PosixFileSystem")
struct SSTablePosixTests {
    typealias S = SSTableTestSupport

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hyades-sstable-\(UUID().uuidString)").path
        try PosixFileSystem().createDirectory(dir)
        return dir
    }

    @Test("write, reopen through mmap, read back and verify")
    func posixRoundTrip() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = PosixFileSystem()
        let partitions = S.randomPartitions(seed: 17, count: 50, maxRows: 20)
        let w = try SSTableWriter(fileSystem: fs, directory: dir, generation: 4, options: TableOptions(), schema: nil,
                                  expectedPartitions: partitions.count)
        for p in partitions {
            try w.beginPartition(p.header)
            for r in p.rows { try w.append(r) }
        }
        _ = try w.finish()
        let reader = try SSTableReader.open(fileSystem: fs, directory: dir, generation: 4)
        #expect(try S.drain(reader.scan(.all, slices: .all, columns: .all)) == partitions)
        #expect(reader.verify() == [])
        #expect(try SSTableReader.generations(in: dir, fileSystem: fs) == [4])
    }

    /// Throughput on 1M rows of 16-byte keys and 100-byte values (the RocksDB comparison
    /// of BENCHMARKS.md). Prints timings, asserts only correctness; opt-in because it is
    /// slow in debug builds: HYADES_SSTABLE_PERF=1 swift test -c release --filter SSTablePosixTests
    @Test("throughput on 1M rows", .enabled(if: ProcessInfo.processInfo.environment["HYADES_SSTABLE_PERF"] != nil))
    func throughput() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = PosixFileSystem()
        let n = Int(ProcessInfo.processInfo.environment["HYADES_SSTABLE_PERF_ROWS"] ?? "") ?? 1_000_000
        var rng = SplitMix64(seed: 1)
        var keys = (0..<n).map { i -> DecoratedKey in
            var k = [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: UInt64(i).bigEndian) { for j in 0..<8 { k[j] = $0[j] } }
            withUnsafeBytes(of: rng.next()) { for j in 0..<8 { k[8 + j] = $0[j] } }
            return DecoratedKey(key: k)
        }
        keys.sort()
        let value = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let clock = ContinuousClock()
        var t = clock.now
        let w = try SSTableWriter(fileSystem: fs, directory: dir, generation: 1, options: TableOptions(), schema: nil, expectedPartitions: n)
        for k in keys {
            try w.beginPartition(PartitionHeader(key: k))
            try w.append(Row(clustering: [], liveness: LivenessInfo(timestamp: 1_700_000_000_000_000),
                             columns: [.simple(1, .live(timestamp: 1_700_000_000_000_000, value: value))]))
        }
        let reader = try w.finish()
        print("write \(n) rows: \(clock.now - t), \(reader.onDiskSizeBytes) bytes on disk")

        t = clock.now
        let it = reader.scan(.all, slices: .all, columns: .all)
        var rows = 0
        while try it.nextPartition() != nil { while try it.nextRow() != nil { rows += 1 } }
        print("scan \(rows) rows: \(clock.now - t)")
        #expect(rows == n)

        let lookups = min(n, 200_000)
        t = clock.now
        var found = 0
        for i in 0..<lookups {
            let k = keys[(i &* 7919) % n]
            if let p = try reader.partition(k, slices: .all, columns: .all), try p.nextPartition() != nil, try p.nextRow() != nil { found += 1 }
        }
        print("point reads \(lookups): \(clock.now - t)")
        #expect(found == lookups)
    }
}
