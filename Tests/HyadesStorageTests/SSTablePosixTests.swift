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

    /// Leaves a small SSTable with a schema header for trying `hyades sstable dump/verify`:
    /// HYADES_SSTABLE_FIXTURE_DIR=/tmp/x swift test --filter SSTablePosixTests
    @Test("fixture for the CLI", .enabled(if: ProcessInfo.processInfo.environment["HYADES_SSTABLE_FIXTURE_DIR"] != nil))
    func cliFixture() throws {
        let dir = ProcessInfo.processInfo.environment["HYADES_SSTABLE_FIXTURE_DIR"]!
        let fs = PosixFileSystem()
        try fs.createDirectory(dir)
        let schema = SSTableSchemaHeader(keyspace: "gaia", table: "source", partitionKeyColumns: [.init(name: "healpix", type: "bigint")],
                                         clusteringColumns: [.init(name: "source_id", type: "bigint", order: .descending)],
                                         columns: [.init(id: 0, name: "ra", type: "double"), .init(id: 1, name: "designation", type: "text"),
                                                   .init(id: 2, name: "flags", type: "set<int>")])
        func bigint(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
        func double(_ v: Double) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
        let w = try SSTableWriter(fileSystem: fs, directory: dir, generation: 1, options: TableOptions(), schema: schema, expectedPartitions: 3)
        let keys = [Int64(1), 2, 3].map { DecoratedKey(key: bigint($0)) }.sorted()
        for (i, k) in keys.enumerated() {
            try w.beginPartition(PartitionHeader(key: k))
            for sid in [Int64(30), 20, 10] {
                let c = try ClusteringEncoding.encode([bigint(sid + Int64(i))], types: [.bigint], descending: [true])
                let flag = try CellPath.setElement(withUnsafeBytes(of: Int32(7).bigEndian) { Array($0) }, elementType: .int)
                try w.append(Row(clustering: c, liveness: LivenessInfo(timestamp: 100),
                                 columns: [.simple(0, .live(timestamp: 100, value: double(45.5 + Double(sid)))),
                                           .simple(1, .live(timestamp: 100, value: Array("Gaia DR3 \(sid)".utf8))),
                                           .complex(2, ComplexColumnData(cells: [.live(timestamp: 100, value: [], path: flag)]))]))
            }
        }
        _ = try w.finish()
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
        // The whole table fits this cache: the first pass warms it, the second hits.
        let cached = try SSTableReader.open(fileSystem: fs, directory: dir, generation: 1,
                                            blockCache: SSTableBlockCache(capacityBytes: 1 << 30))
        for pass in 0..<2 {
            t = clock.now
            for i in 0..<lookups {
                let k = keys[(i &* 7919) % n]
                if let p = try cached.partition(k, slices: .all, columns: .all), try p.nextPartition() != nil, try p.nextRow() != nil {}
            }
            print("point reads \(lookups) with a 1 GiB cache, pass \(pass): \(clock.now - t)")
        }
        t = clock.now
        var found = 0
        for i in 0..<lookups {
            let k = keys[(i &* 7919) % n]
            if let p = try reader.partition(k, slices: .all, columns: .all), try p.nextPartition() != nil, try p.nextRow() != nil { found += 1 }
        }
        print("point reads \(lookups): \(clock.now - t)")
        t = clock.now
        var hits = 0
        for i in 0..<lookups where reader.mayContain(keys[(i &* 7919) % n]) { hits += 1 }
        print("  of which bloom filter: \(clock.now - t)")
        t = clock.now
        for i in 0..<lookups where try reader.index.find(keys[(i &* 7919) % n].byteComparable) != nil { hits += 1 }
        print("  of which index: \(clock.now - t)")
        t = clock.now
        for i in 0..<lookups {
            let e = try reader.index.find(keys[(i &* 7919) % n].byteComparable)!
            _ = try reader.readBlock(at: e.blockOffset, columns: .all)
        }
        print("  index + block decode: \(clock.now - t)")

        // A wide catalogue-like table: 100 double columns; a projected scan of 2 of them.
        let wideRows = n / 10
        let w2 = try SSTableWriter(fileSystem: fs, directory: dir, generation: 2, options: TableOptions(), schema: nil, expectedPartitions: wideRows)
        for k in keys.prefix(wideRows) {
            try w2.beginPartition(PartitionHeader(key: k))
            var cols: [ColumnData] = []
            for c in 0..<100 {
                let v = withUnsafeBytes(of: (Double(c) * 1.5 + Double(k.token.value % 1000)).bitPattern.bigEndian) { Array($0) }
                cols.append(.simple(ColumnID(c), .live(timestamp: 1_700_000_000_000_000, value: v)))
            }
            try w2.append(Row(clustering: [], liveness: LivenessInfo(timestamp: 1_700_000_000_000_000), columns: cols))
        }
        let wide = try w2.finish()
        for filter in [ColumnFilter.all, ColumnFilter([3, 77])] {
            t = clock.now
            let it = wide.scan(.all, slices: .all, columns: filter)
            var cells = 0
            while try it.nextPartition() != nil { while let r = try it.nextRow() { cells += r.columns.count } }
            print("scan \(wideRows) rows x 100 columns, \(filter.columns.map { "\($0.count)" } ?? "all") columns: \(clock.now - t) (\(cells) cells)")
        }
        #expect(found == lookups)
    }
}
