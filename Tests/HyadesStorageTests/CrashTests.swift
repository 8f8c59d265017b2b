import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

/// Crash consistency on `FaultInjectingFileSystem`: every file operation after a random
/// point fails (the "power cut" lands anywhere, including inside a flush or compaction),
/// then the unsynced state is dropped and the node restarts.
@Suite struct CrashTests {
    static let table = TableID(high: 7, low: 7)

    static func open(_ fs: FaultInjectingFileSystem, sync: CommitLogSync, compaction: CompactionStrategyKind = .sizeTiered(minThreshold: 2, maxThreshold: 32),
                     background: Bool = false, shards: ShardBoundaries? = nil,
                     onFailure: @escaping @Sendable (any Error) -> Void = { _ in }) throws -> (StorageEngine, TableStore) {
        var options = StorageEngineOptions()
        options.commitLog = CommitLogOptions(sync: sync, segmentSizeBytes: 16 << 10)
        options.backgroundCompaction = background
        options.compactionThroughputBytesPerSecond = 0
        let engine = try StorageEngine(commitLogDirectory: "/node/commitlog", fileSystem: fs, options: options, onFailure: onFailure)
        // Sharded: every flush and compaction writes several SSTables in one MANIFEST edit.
        if let shards { engine.setShardBoundaries(shards) }
        var t = TableOptions()
        t.flushShardMinBytes = 0
        t.chunkLengthBytes = 1024
        t.compaction = compaction
        // With background work on, flushes start by themselves every few dozen writes.
        if background { t.memtableLimitBytes = 8 << 10 }
        let table = try engine.openTable(table, directory: "/node/data/t", options: t)
        try engine.replayCommitLog()
        return (engine, table)
    }

    static func update(_ i: Int, value: [UInt8]) -> PartitionUpdate {
        let key = DecoratedKey(key: Array("key-\(i)".utf8))
        return PartitionUpdate(table: table, key: key, rows: [Row(clustering: [], liveness: LivenessInfo(timestamp: Int64(i + 1)),
                                                                  columns: [.simple(1, .live(timestamp: Int64(i + 1), value: value))])])
    }

    static func value(_ i: Int) -> [UInt8] { Array("value-\(i)-".utf8) + [UInt8](repeating: UInt8(i & 0xFF), count: 40) }

    static func read(_ table: TableStore, _ i: Int) throws -> [UInt8]? {
        let it = try table.read(DecoratedKey(key: Array("key-\(i)".utf8)), nowInSeconds: 1)
        guard try it.nextPartition() != nil, let row = try it.nextRow(), case .simple(_, let cell)? = row.columns.first else { return nil }
        return cell.value
    }

    /// Seeds above 12 also flush and compact in the background, so the cut lands in
    /// concurrent work too.
    @Test(arguments: Array(UInt64(1)...UInt64(18)))
    func batchSyncLosesNothingAcknowledged(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let fs = FaultInjectingFileSystem()
        // Every third seed cuts flushes and compactions at shard boundaries.
        let shards = seed % 3 == 1 ? ShardBoundaries((0..<5).map { _ in Token(Int64.random(in: Int64.min...Int64.max, using: &rng)) }) : nil
        var (engine, table) = try Self.open(fs, sync: .batch, compaction: seed % 2 == 0 ? .sizeTiered(minThreshold: 2, maxThreshold: 32) : .leveled(sstableSizeBytes: 4096, fanout: 2),
                                            background: seed > 12, shards: shards)
        var acked: [Int] = []
        var next = 0
        // A first round without faults so compactions have inputs, then the cut.
        for round in 0..<2 {
            if round == 1 { fs.injectFault(.all, afterOperations: Int.random(in: 0..<400, using: &rng)) }
            do {
                for _ in 0..<120 {
                    let i = next
                    next += 1
                    try table.apply(Self.update(i, value: Self.value(i)))
                    acked.append(i)
                    switch Int.random(in: 0..<30, using: &rng) {
                    case 0, 1: try table.flush()
                    case 2: try table.compact(major: false)
                    case 3: try table.compact(major: true)
                    default: break
                    }
                }
            } catch {
                #expect(round == 1, "no fault was injected yet: \(error)")
                #expect(engine.isStopped || error is FileSystemError || error is CommitLogError)
                break
            }
        }
        // Power cut: let background work run into the faults and stop first.
        try? engine.shutdown()
        fs.clearFaults()
        fs.simulateCrash(seed: seed, garbling: seed % 3 == 0)
        (engine, table) = try Self.open(fs, sync: .batch, shards: shards)
        for i in acked {
            #expect(try Self.read(table, i) == Self.value(i), "seed \(seed): acknowledged write \(i) lost")
        }
        // The whole table scans cleanly (no half-written SSTable is live).
        var partitions = 0
        let it = try table.scan(.all, nowInSeconds: 1)
        while try it.nextPartition() != nil { partitions += 1 }
        #expect(partitions >= acked.count && partitions <= next)
        // And it keeps working after the restart.
        try table.flush()
        try table.compact(major: true)
        for i in acked.suffix(5) { #expect(try Self.read(table, i) == Self.value(i)) }
        try engine.shutdown()
    }

    @Test func periodicSyncLosesAtMostTheUnsyncedWindow() throws {
        let fs = FaultInjectingFileSystem()
        var (engine, table) = try Self.open(fs, sync: .periodic(periodMs: 3_600_000))
        for i in 0..<50 { try table.apply(Self.update(i, value: Self.value(i))) }
        try table.flush()
        for i in 50..<100 { try table.apply(Self.update(i, value: Self.value(i))) }
        try engine.syncCommitLog()
        for i in 100..<150 { try table.apply(Self.update(i, value: Self.value(i))) }
        fs.crash()
        try? engine.shutdown()
        (engine, table) = try Self.open(fs, sync: .periodic(periodMs: 3_600_000))
        for i in 0..<100 { #expect(try Self.read(table, i) == Self.value(i), "write \(i) was synced") }
        // Writes after the last sync may be lost, but never come back corrupted.
        for i in 100..<150 {
            let v = try Self.read(table, i)
            #expect(v == nil || v == Self.value(i))
        }
        try engine.shutdown()
    }

    @Test func flippedBitInSSTableIsAnErrorNeverData() throws {
        let fs = FaultInjectingFileSystem()
        var (engine, table) = try Self.open(fs, sync: .batch)
        for i in 0..<200 { try table.apply(Self.update(i, value: Self.value(i))) }
        try table.flush()
        try engine.shutdown()
        let data = try fs.listDirectory("/node/data/t").first { $0.hasSuffix("Data.db") }!
        let size = fs.contents("/node/data/t/" + data)!.count
        try fs.flipBit(path: "/node/data/t/" + data, offset: size / 2, bit: 3)
        (engine, table) = try Self.open(fs, sync: .batch)
        var failed = false
        var wrong = 0
        do {
            let it = try table.scan(.all, nowInSeconds: 1)
            while let (key, _) = try it.nextPartition() {
                while let row = try it.nextRow() {
                    let i = Int(String(decoding: key.key.dropFirst(4), as: UTF8.self))!
                    if case .simple(_, let cell)? = row.columns.first, cell.value != Self.value(i) { wrong += 1 }
                }
            }
        } catch {
            failed = true
            #expect(String(describing: error).contains(data), "the error names the file: \(error)")
        }
        #expect(failed, "a flipped bit must be reported")
        #expect(wrong == 0, "corrupt data must never be returned")
        try engine.shutdown()
    }

    @Test func failedFsyncStopsTheEngineForGood() throws {
        let fs = FaultInjectingFileSystem()
        let reported = Mutex<[String]>([])
        let (engine, table) = try Self.open(fs, sync: .batch, onFailure: { e in reported.withLock { $0.append(String(describing: e)) } })
        try table.apply(Self.update(0, value: Self.value(0)))
        fs.injectFault(.sync, once: true)
        #expect(throws: (any Error).self) { try table.apply(Self.update(1, value: Self.value(1))) }
        #expect(engine.isStopped)
        // Never retried: later writes fail with the stopped error even though the disk
        // would now accept them.
        #expect(throws: StorageEngineError.self) { try table.apply(Self.update(2, value: Self.value(2))) }
        #expect(throws: StorageEngineError.self) { try table.flush() }
        #expect(reported.withLock { $0.count } == 1)
    }

    @Test func failedFsyncDuringFlushStopsTheEngine() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs, sync: .periodic(periodMs: 3_600_000))
        for i in 0..<20 { try table.apply(Self.update(i, value: Self.value(i))) }
        fs.injectFault(.sync, once: true, matching: { $0.contains("/data/") })
        #expect(throws: (any Error).self) { try table.flush() }
        #expect(engine.isStopped)
        #expect(throws: StorageEngineError.self) { try table.apply(Self.update(99, value: Self.value(99))) }
        // The memtable's data is still readable: nothing was dropped from memory.
        #expect(try Self.read(table, 3) == Self.value(3))
    }
}
