import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

@Suite struct TableStoreTests {
    let id = TableID(high: 3, low: 3)

    func open(_ fs: FaultInjectingFileSystem, _ t: TableOptions = TableOptions(), background: Bool = false) throws -> (StorageEngine, TableStore) {
        var options = StorageEngineOptions()
        options.backgroundCompaction = background
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: t)
        try engine.replayCommitLog()
        return (engine, table)
    }

    func put(_ table: TableStore, _ i: Int) throws {
        try table.apply(PartitionUpdate(table: id, key: testKey(i), rows: [testRow(-1, ts: Int64(i + 1), [(1, [UInt8](repeating: 7, count: 100))])]))
    }

    @Test func manifestRoundTripsAndRejectsDamage() throws {
        let m = Manifest(table: id, flushedPosition: CommitLogPosition(segmentID: 3, offset: 99), nextGeneration: 12,
                         sstables: [.init(generation: 4, level: 0), .init(generation: 9, level: 2)])
        let bytes = m.serialized()
        #expect(try Manifest.deserialize(bytes, path: "M") == m)
        for offset in [0, 5, 13, bytes.count - 1] {
            var bad = bytes
            bad[offset] ^= 0x10
            #expect(throws: ManifestError.self) { try Manifest.deserialize(bad, path: "M") }
        }
        #expect(throws: ManifestError.self) { try Manifest.deserialize(Array(bytes.dropLast(3)), path: "M") }
    }

    @Test func flushesInTheBackgroundAtHalfTheMemtableLimit() throws {
        var t = TableOptions()
        t.memtableLimitBytes = 64 << 10
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try open(fs, t)
        for i in 0..<2000 { try put(table, i) }
        // Writers never wait below the limit, and the memtable never grows far past it.
        #expect(table.memtableBytes <= t.memtableLimitBytes + 4096)
        table.close()
        #expect(!table.liveSSTables.isEmpty)
        try engine.shutdown()
        let (engine2, table2) = try open(fs, t)
        for i in stride(from: 0, to: 2000, by: 97) { #expect(try drain(table2.read(testKey(i), nowInSeconds: 1)).count == 1) }
        try engine2.shutdown()
    }

    @Test func leftoverFilesAreRemovedAndTruncateIsDurable() throws {
        let fs = FaultInjectingFileSystem()
        var (engine, table) = try open(fs)
        for i in 0..<10 { try put(table, i) }
        try table.flush()
        try engine.shutdown()
        // A half-written flush output that no MANIFEST names.
        let stray = try fs.createForWriting("/t/hy-77-Data.db")
        try stray.append([1, 2, 3])
        try stray.close()
        (engine, table) = try open(fs)
        #expect(!fs.fileExists("/t/hy-77-Data.db"))
        #expect(try drain(table.scan(.all, nowInSeconds: 1)).count == 10)
        try put(table, 50)
        try table.truncate()
        #expect(try drain(table.scan(.all, nowInSeconds: 1)).isEmpty)
        #expect(try fs.listDirectory("/t").allSatisfy { !$0.hasPrefix("hy-") })
        try engine.shutdown()
        (engine, table) = try open(fs)
        #expect(try drain(table.scan(.all, nowInSeconds: 1)).isEmpty, "truncated data must not come back from the commit log")
        try engine.shutdown()
    }

    @Test func leveledKeepsLevelsNonOverlapping() throws {
        var t = TableOptions()
        t.compaction = .leveled(sstableSizeBytes: 4096, fanout: 2)
        t.chunkLengthBytes = 1024
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try open(fs, t)
        var n = 0
        for _ in 0..<12 {
            for _ in 0..<40 { try put(table, n); n += 1 }
            try table.flush()
            try table.compact(major: false)
        }
        let levels = table.liveSSTableLevels
        #expect(levels.values.contains { $0 >= 2 }, "data reached level 2: \(levels)")
        let readers = table.liveSSTables
        for level in Set(levels.values) where level > 0 {
            let ranges = readers.filter { levels[$0.generation] == level }
                .map { ($0.statistics.firstKey, $0.statistics.lastKey) }
                .sorted { ByteOrder.compare($0.0, $1.0) < 0 }
            for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(ByteOrder.compare(a.1, b.0) < 0, "level \(level) overlaps") }
        }
        #expect(try drain(table.scan(.all, nowInSeconds: 1)).count == n)
        try engine.shutdown()
    }
}

@Suite struct TableStoreConcurrencyTests {
    let id = TableID(high: 4, low: 4)

    /// Writers on two threads while flushes and compactions run (background and forced):
    /// every acknowledged write is readable afterwards, and after a restart.
    @Test func concurrentWritesFlushesAndCompactionsLoseNothing() throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.compactionThroughputBytesPerSecond = 0
        var t = TableOptions()
        t.memtableLimitBytes = 32 << 10
        t.compaction = .sizeTiered(minThreshold: 2, maxThreshold: 8)
        var engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        var table = try engine.openTable(id, directory: "/t", options: t)
        try engine.replayCommitLog()
        let group = DispatchGroup()
        let errors = Mutex<[String]>([])
        let store = table, id = self.id
        for w in 0..<2 {
            group.enter()
            Thread {
                do {
                    for i in 0..<1500 {
                        let k = w * 100_000 + i
                        try store.apply(PartitionUpdate(table: id, key: testKey(k), rows: [testRow(-1, ts: Int64(k + 1), [(1, [UInt8(truncatingIfNeeded: k)])])]))
                    }
                } catch { errors.withLock { $0.append("\(error)") } }
                group.leave()
            }.start()
        }
        for _ in 0..<5 {
            try table.flush()
            try table.compact(major: false)
        }
        group.wait()
        #expect(errors.withLock { $0 }.isEmpty)
        func check(_ table: TableStore) throws {
            var seen = 0
            let it = try table.scan(.all, nowInSeconds: 1)
            while try it.nextPartition() != nil { if try it.nextRow() != nil { seen += 1 } }
            #expect(seen == 3000)
            for k in [0, 777, 1499, 100_000, 100_777, 101_499] {
                #expect(try drain(table.read(testKey(k), nowInSeconds: 1)).first?.rows.first?.columns == [.simple(1, .live(timestamp: Int64(k + 1), value: [UInt8(truncatingIfNeeded: k)]))])
            }
        }
        try check(table)
        try engine.shutdown()
        engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        table = try engine.openTable(id, directory: "/t", options: t)
        try engine.replayCommitLog()
        try check(table)
        try engine.shutdown()
    }
}

@Suite struct TableStoreLimitTests {
    @Test func oversizedMutationIsRefusedWithoutStoppingTheEngine() throws {
        let fs = FaultInjectingFileSystem()
        var options = StorageEngineOptions()
        options.commitLog = CommitLogOptions(segmentSizeBytes: 64 << 10)
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let id = TableID(high: 5, low: 5)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions())
        try engine.replayCommitLog()
        let huge = PartitionUpdate(table: id, key: testKey(1), rows: [testRow(-1, ts: 1, [(1, [UInt8](repeating: 1, count: 100 << 10))])])
        #expect(throws: CommitLogError.self) { try table.apply(huge) }
        #expect(!engine.isStopped)
        try table.apply(PartitionUpdate(table: id, key: testKey(2), rows: [testRow(-1, ts: 1, [(1, [2])])]))
        #expect(try drain(table.read(testKey(2), nowInSeconds: 1)).count == 1)
        #expect(try drain(table.read(testKey(1), nowInSeconds: 1)).isEmpty)
        try engine.shutdown()
    }
}
