import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

/// Reads and compactions that meet a corrupt SSTable: counted per node, table and file,
/// the first failure of each file reported once, and best_effort takes the SSTable out of
/// reads. The errors still reach the reader; the engine keeps running.
@Suite struct ReadFailureTests {
    let id = TableID(high: 5, low: 5)

    func open(_ fs: FaultInjectingFileSystem) throws -> (StorageEngine, TableStore) {
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions())
        try engine.replayCommitLog()
        return (engine, table)
    }

    func put(_ table: TableStore, _ i: Int) throws {
        try table.apply(PartitionUpdate(table: id, key: testKey(i), rows: [testRow(-1, ts: Int64(i + 1), [(1, [UInt8](repeating: 7, count: 100))])]))
    }

    @Test func corruptReadsAreCountedOncePerFileAndBestEffortTakesTheSSTableOut() throws {
        let fs = FaultInjectingFileSystem()
        var (engine, table) = try open(fs)
        for i in 0..<50 { try put(table, i) }
        try table.flush()
        for i in 50..<100 { try put(table, i) }
        try table.flush()
        try engine.shutdown()
        // One byte in the middle of the older SSTable's data flipped.
        let data = try fs.listDirectory("/t").filter { $0.hasSuffix("-Data.db") }
            .sorted { SSTableFormat.parseFileName($0)!.generation < SSTableFormat.parseFileName($1)!.generation }
        try #require(data.count == 2)
        let path = "/t/" + data[0]
        let f = try fs.openForReading(path)
        let at = f.size / 2
        let byte = try f.read(at: at, count: 1)[0]
        f.close()
        try fs.writeInPlace(path, at: at, [byte ^ 0x5A])
        (engine, table) = try open(fs)

        let firsts = Mutex<[String]>([])
        engine.readFailures.observe(first: { failure, _ in firsts.withLock { $0.append(failure.path) } }, change: {})
        engine.readFailures.policy = .ignore
        #expect(throws: SSTableCorruptionError.self) { _ = try drain(table.scan(.all, nowInSeconds: 1)) }
        #expect(throws: SSTableCorruptionError.self) {
            _ = try drainLive { try table.forEachLiveRow(in: .all, nowInSeconds: 1, $0) }
        }
        // A compaction meeting it fails too, counted, and does not stop the engine.
        #expect(throws: SSTableCorruptionError.self) { try table.compact(major: true) }
        #expect(engine.failure == nil)
        #expect(engine.readFailures.total == 3)
        #expect(engine.readFailures.byTable == [table.qualifiedName: 3])
        #expect(engine.readFailures.files.map(\.path) == [path])
        #expect(engine.readFailures.files.first?.reads == 3)
        #expect(firsts.withLock { $0 } == [path], "the first failure of a file is reported once")
        #expect(table.liveSSTables.count == 2)

        engine.readFailures.policy = .bestEffort
        #expect(throws: SSTableCorruptionError.self) { _ = try drain(table.scan(.all, nowInSeconds: 1)) }
        #expect(engine.readFailures.files.first?.outOfReads == true)
        #expect(table.liveSSTables.count == 1)
        let rest = try drain(table.scan(.all, nowInSeconds: 1))
        #expect(Set(rest.map(\.key)) == Set((50..<100).map(testKey)))
        #expect(try drainLive { try table.readLiveRows(testKey(70), nowInSeconds: 1, $0) }.count == 1)
        #expect(firsts.withLock { $0 }.count == 1)
        try engine.shutdown()
    }
}
