import Foundation
import HyadesCore
import Testing
@testable import HyadesStorage

/// `TableStore.importSSTables`: streamed SSTables adopted whole or not at all.
@Suite struct ImportTests {
    static let id = TableID(high: 11, low: 11)
    static let schema = SSTableSchemaHeader(keyspace: "gaia", table: "source",
                                            partitionKeyColumns: [.init(name: "source_id", type: "bigint")],
                                            columns: [.init(id: 1, name: "ra", type: "double"), .init(id: 2, name: "dec", type: "double")])
    static let session = UUID(uuidString: "6f1c1a52-3b0e-4a4e-9a55-0a4f3f0b7c01")!

    static func open(_ fs: FaultInjectingFileSystem) throws -> (StorageEngine, TableStore) {
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        let table = try engine.openTable(id, directory: "/t", options: TableOptions(), schema: schema)
        try engine.replayCommitLog()
        return (engine, table)
    }

    static func key(_ i: Int) -> DecoratedKey { DecoratedKey(key: Array("src-\(i)".utf8)) }
    static func value(_ i: Int) -> [UInt8] { withUnsafeBytes(of: Double(i).bitPattern.bigEndian) { Array($0) } }

    /// Writes SSTable `generation` holding keys `keys` into `directory`, as a loader would.
    static func writeSSTable(_ fs: FaultInjectingFileSystem, _ directory: String, generation: Int64, keys: Range<Int>,
                             schema: SSTableSchemaHeader = schema) throws {
        try fs.createDirectory(directory)
        let w = try SSTableWriter(fileSystem: fs, directory: directory, generation: generation, options: TableOptions(),
                                  schema: schema, expectedPartitions: keys.count)
        for i in keys.sorted(by: { key($0) < key($1) }) {
            try w.beginPartition(PartitionHeader(key: key(i)))
            try w.append(Row(clustering: [], liveness: LivenessInfo(timestamp: 1000),
                             columns: [.simple(1, .live(timestamp: 1000, value: value(i))),
                                       .simple(2, .live(timestamp: 1000, value: value(-i)))]))
        }
        _ = try w.finish()
    }

    static func readRA(_ table: TableStore, _ i: Int) throws -> [UInt8]? {
        let it = try table.read(key(i), nowInSeconds: 1)
        guard try it.nextPartition() != nil, let row = try it.nextRow(), case .simple(1, let cell)? = row.columns.first else { return nil }
        return cell.value
    }

    static func sstableFiles(_ fs: FaultInjectingFileSystem, _ dir: String) throws -> [String] {
        try fs.listDirectory(dir).filter { $0.hasPrefix("hy-") }.sorted()
    }

    @Test func adoptsEverySSTableKeepsThemAcrossRestartAndAnswersAlreadyImported() throws {
        let fs = FaultInjectingFileSystem()
        var (engine, table) = try Self.open(fs)
        try table.apply(PartitionUpdate(table: Self.id, key: Self.key(999), rows: [
            Row(clustering: [], liveness: LivenessInfo(timestamp: 5), columns: [.simple(1, .live(timestamp: 5, value: Self.value(999)))])]))
        // The table's generation 1 is taken: the imported SSTables are renamed and restamped.
        try table.flush()
        try Self.writeSSTable(fs, "/staging/a", generation: 1, keys: 0..<50)
        try Self.writeSSTable(fs, "/staging/a", generation: 2, keys: 50..<120)

        let result = try table.importSSTables(from: "/staging/a", sessionID: Self.session)
        #expect(!result.alreadyImported)
        #expect(result.generations.count == 2)
        #expect(result.partitionCount == 120)
        #expect(result.rowCount == 120)
        #expect(try Self.sstableFiles(fs, "/staging/a").isEmpty, "the files were moved, not copied")
        #expect(result.generations == [2, 3])
        #expect(table.liveSSTables.count == 3)
        for g in result.generations { #expect(try SSTableReader.open(fileSystem: fs, directory: "/t", generation: g).verify().isEmpty) }
        for i in [0, 49, 50, 119] { #expect(try Self.readRA(table, i) == Self.value(i)) }
        #expect(try Self.readRA(table, 999) == Self.value(999), "the memtable's data is untouched")
        #expect(table.hasImported(sessionID: Self.session))

        try engine.shutdown()
        (engine, table) = try Self.open(fs)
        for i in [0, 77, 119, 999] { #expect(try Self.readRA(table, i) == Self.value(i)) }
        #expect(table.hasImported(sessionID: Self.session))
        // The same session again (a re-run): nothing adopted twice, the files stay where they are.
        try Self.writeSSTable(fs, "/staging/b", generation: 1, keys: 0..<50)
        let again = try table.importSSTables(from: "/staging/b", sessionID: Self.session)
        #expect(again.alreadyImported)
        #expect(table.liveSSTables.count == 3)
        #expect(try Self.sstableFiles(fs, "/staging/b").count == 4)
        // Imported SSTables take part in compaction like flushed ones.
        try table.flush()
        try table.compact(major: true)
        #expect(table.liveSSTables.count == 1)
        for i in [0, 77, 119, 999] { #expect(try Self.readRA(table, i) == Self.value(i)) }
        try engine.shutdown()
    }

    @Test func aCorruptFileIsRejectedAndNothingIsAdopted() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        try Self.writeSSTable(fs, "/staging/s", generation: 1, keys: 0..<40)
        try Self.writeSSTable(fs, "/staging/s", generation: 2, keys: 40..<80)
        let data = "/staging/s/hy-2-Data.db"
        try fs.flipBit(path: data, offset: Int(try fs.fileSize(data)) - 10, bit: 3)
        let error = #expect(throws: SSTableImportError.self) {
            try table.importSSTables(from: "/staging/s", sessionID: Self.session)
        }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains("hy-2-Data.db") == true, "\(String(describing: error))")
        #expect(table.liveSSTables.isEmpty)
        #expect(!table.hasImported(sessionID: Self.session))
        #expect(try Self.readRA(table, 1) == nil, "the healthy SSTable of the session was not adopted either")
        #expect(try Self.sstableFiles(fs, "/staging/s").count == 8, "rejected files stay where they were")
        #expect(try Self.sstableFiles(fs, "/t").isEmpty)
        try engine.shutdown()
    }

    /// Rewrites the first block's first directory entry to announce one more raw byte,
    /// with every checksum recomputed: damage no CRC32C can see (a forged file).
    static func forgeFirstBlock(_ fs: FaultInjectingFileSystem, _ path: String) throws {
        var d = fs.contents(path)!
        let block = SSTableFormat.fileHeaderSize
        let segments = Int(d[block + 12]) | Int(d[block + 13]) << 8
        let headerSize = SSTableFormat.blockHeaderFixedSize + segments * SSTableFormat.directoryEntrySize
        let rawLength = block + SSTableFormat.blockHeaderFixedSize + 8
        var n = UInt32(d[rawLength]) | UInt32(d[rawLength + 1]) << 8 | UInt32(d[rawLength + 2]) << 16 | UInt32(d[rawLength + 3]) << 24
        n += 1
        for i in 0..<4 { d[rawLength + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))) }
        let crc = CRC32C.checksum(Array(d[block..<(block + headerSize)]))
        for i in 0..<4 { d[block + headerSize + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try fs.writeInPlace(path, at: Int64(block), Array(d[block..<(block + headerSize + 4)]))
    }

    @Test func checksumsAlwaysAndTheBlockContentsWithExtendedVerify() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        try Self.writeSSTable(fs, "/staging/f", generation: 1, keys: 0..<40)
        try Self.forgeFirstBlock(fs, "/staging/f/hy-1-Data.db")
        // Every checksum holds: only the extended verify (decompress and walk) sees it.
        let error = #expect(throws: SSTableImportError.self) {
            try table.importSSTables(from: "/staging/f", sessionID: Self.session, extendedVerify: true)
        }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains("hy-1-Data.db") == true, "\(String(describing: error))")
        #expect(error?.description.contains("does not decompress") == true, "\(String(describing: error))")
        #expect(table.liveSSTables.isEmpty)
        // Checksums only (the default) adopts it; reading the forged block is then an
        // error naming the damage, not a crash or wrong data.
        _ = try table.importSSTables(from: "/staging/f", sessionID: Self.session)
        #expect(table.liveSSTables.count == 1)
        let readError = #expect(throws: SSTableCorruptionError.self) { try Self.readRA(table, 7) }
        #expect(readError?.description.contains("does not decompress") == true, "\(String(describing: readError))")
        try engine.shutdown()
    }

    @Test func aFlippedBitIsCaughtWithoutTheExtendedVerify() throws {
        // The default verify reads no segment's contents, but every segment's CRC32C.
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        try Self.writeSSTable(fs, "/staging/b", generation: 1, keys: 0..<40)
        let data = "/staging/b/hy-1-Data.db"
        try fs.flipBit(path: data, offset: SSTableFormat.fileHeaderSize + 200, bit: 0)
        let error = #expect(throws: SSTableImportError.self) { try table.importSSTables(from: "/staging/b") }
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains("checksum mismatch") == true, "\(String(describing: error))")
        #expect(table.liveSSTables.isEmpty)
        try engine.shutdown()
    }

    @Test func rowCountFromStatisticsOnlyWhenExact() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        #expect(table.liveRowCountFromStatistics() == 0)
        try Self.writeSSTable(fs, "/staging/a", generation: 1, keys: 0..<40)
        try Self.writeSSTable(fs, "/staging/a", generation: 2, keys: 40..<100)
        _ = try table.importSSTables(from: "/staging/a")
        // Keys 0..<40 and 40..<100 sort into interleaved ranges: overlapping SSTables.
        #expect(table.liveRowCountFromStatistics() == nil)
        try table.compact(major: true)
        #expect(table.liveRowCountFromStatistics() == 100)
        // The same rows again: overlapping, so not countable from statistics.
        try Self.writeSSTable(fs, "/staging/b", generation: 1, keys: 0..<100)
        _ = try table.importSSTables(from: "/staging/b")
        #expect(table.liveRowCountFromStatistics() == nil)
        try table.compact(major: true)
        #expect(table.liveRowCountFromStatistics() == 100)
        // Anything in the memtable, then a tombstone in an SSTable.
        try table.apply(PartitionUpdate(table: Self.id, key: Self.key(5), rows: [
            Row(clustering: [], liveness: LivenessInfo(timestamp: 2000), columns: [.simple(1, .tombstone(timestamp: 2000, nowInSeconds: Int32(Date().timeIntervalSince1970)))])]))
        #expect(table.liveRowCountFromStatistics() == nil)
        try table.flush()
        try table.compact(major: true)
        #expect(table.liveRowCountFromStatistics() == nil)
        try engine.shutdown()
    }

    @Test func aSchemaMismatchNamesTheFileAndTheColumn() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        var other = Self.schema
        other.columns[1].type = "text"
        try Self.writeSSTable(fs, "/staging/m", generation: 3, keys: 0..<5, schema: other)
        let error = #expect(throws: SSTableImportError.self) { try table.importSSTables(from: "/staging/m") }
        #expect(error?.kind == .schemaMismatch)
        #expect(error?.description.contains("hy-3-Statistics.db") == true)
        #expect(error?.description.contains("column dec is text in the SSTable but double in the table") == true,
                "\(String(describing: error))")
        #expect(table.liveSSTables.isEmpty)

        var renamedKey = Self.schema
        renamedKey.partitionKeyColumns = [.init(name: "id", type: "bigint")]
        let e2 = #expect(throws: SSTableImportError.self) {
            try table.importSSTables(from: "/staging/m", expectedSchema: renamedKey)
        }
        #expect(e2?.description.contains("partition key") == true)
        try engine.shutdown()
    }

    @Test func incompleteOrMissingSSTablesAreRefused() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        try fs.createDirectory("/staging/empty")
        let e1 = #expect(throws: SSTableImportError.self) { try table.importSSTables(from: "/staging/empty") }
        #expect(e1?.description.contains("no SSTables") == true)
        try Self.writeSSTable(fs, "/staging/p", generation: 4, keys: 0..<5)
        try fs.removeFile("/staging/p/hy-4-Filter.db")
        let e2 = #expect(throws: SSTableImportError.self) { try table.importSSTables(from: "/staging/p") }
        #expect(e2?.description.contains("missing Filter.db") == true, "\(String(describing: e2))")
        #expect(table.liveSSTables.isEmpty)
        try engine.shutdown()
    }

    @Test func aFailedRenameGivesTheFilesBackUnchanged() throws {
        let fs = FaultInjectingFileSystem()
        let (engine, table) = try Self.open(fs)
        try table.apply(PartitionUpdate(table: Self.id, key: Self.key(1000), rows: [
            Row(clustering: [], liveness: LivenessInfo(timestamp: 5), columns: [.simple(1, .live(timestamp: 5, value: Self.value(1000)))])]))
        try table.flush()
        try Self.writeSSTable(fs, "/staging/r", generation: 1, keys: 0..<10)
        try Self.writeSSTable(fs, "/staging/r", generation: 2, keys: 10..<20)
        let before = try Self.sstableFiles(fs, "/staging/r").map { fs.contents("/staging/r/" + $0)! }
        // The sixth rename (second SSTable's Index.db) fails once.
        fs.injectFault(.rename, errno: EXDEV, afterOperations: 5, once: true)
        #expect(throws: FileSystemError.self) { try table.importSSTables(from: "/staging/r", sessionID: Self.session) }
        #expect(try Self.sstableFiles(fs, "/staging/r").map { fs.contents("/staging/r/" + $0)! } == before,
                "every file is back, byte for byte")
        #expect(table.liveSSTables.count == 1)
        #expect(!table.hasImported(sessionID: Self.session))
        let result = try table.importSSTables(from: "/staging/r", sessionID: Self.session)
        #expect(result.partitionCount == 20)
        #expect(try Self.readRA(table, 15) == Self.value(15))
        try engine.shutdown()
    }

    /// A power cut at every point of an import: after the restart either every row of the
    /// session is readable and the session is recorded, or none is and it is not; no
    /// unlisted SSTable file stays in the table directory.
    @Test func aCrashAnywhereInAnImportAdoptsAllOrNothing() throws {
        var sawNone = false, sawAll = false
        for cut in 0..<400 {
            let fs = FaultInjectingFileSystem()
            let (engine, table) = try Self.open(fs)
            try table.apply(PartitionUpdate(table: Self.id, key: Self.key(1000), rows: [
                Row(clustering: [], liveness: LivenessInfo(timestamp: 5), columns: [.simple(1, .live(timestamp: 5, value: Self.value(1000)))])]))
            try table.flush()
            try Self.writeSSTable(fs, "/staging/c", generation: 1, keys: 0..<30)
            try Self.writeSSTable(fs, "/staging/c", generation: 2, keys: 30..<60)
            fs.injectFault(.all, afterOperations: cut)
            var succeeded = false
            do {
                _ = try table.importSSTables(from: "/staging/c", sessionID: Self.session)
                succeeded = true
            } catch {}
            try? engine.shutdown()
            fs.clearFaults()
            fs.simulateCrash(seed: UInt64(cut))
            let (engine2, table2) = try Self.open(fs)
            #expect(try Self.readRA(table2, 1000) == Self.value(1000), "cut \(cut): the flushed SSTable survives")
            let present = try (0..<60).filter { try Self.readRA(table2, $0) != nil }.count
            #expect(present == 0 || present == 60, "cut \(cut): \(present) of 60 rows adopted")
            #expect(table2.hasImported(sessionID: Self.session) == (present == 60), "cut \(cut)")
            for r in table2.liveSSTables { #expect(r.verify().isEmpty, "cut \(cut): generation \(r.generation) damaged") }
            let listed = Set(table2.liveSSTables.map(\.generation))
            for name in try Self.sstableFiles(fs, "/t") {
                #expect(listed.contains(SSTableFormat.parseFileName(name)!.generation), "cut \(cut): leftover \(name)")
            }
            if present == 0 { sawNone = true } else { sawAll = true }
            try engine2.shutdown()
            if succeeded { #expect(present == 60, "an import that returned is durable"); break }
        }
        #expect(sawNone && sawAll)
    }

    @Test func manifestRecordsImportedSessionsAndStaysVersion1WithoutThem() throws {
        let plain = Manifest(table: Self.id, nextGeneration: 3, sstables: [.init(generation: 2, level: 0)])
        let bytes = plain.serialized()
        #expect(bytes[4] == 1 && bytes[5] == 0, "no sessions: still version 1")
        #expect(try Manifest.deserialize(bytes, path: "M") == plain)
        var withSessions = plain
        withSessions.importedSessions = [Self.session, UUID()]
        let v2 = withSessions.serialized()
        #expect(v2[4] == 2)
        #expect(try Manifest.deserialize(v2, path: "M") == withSessions)
        var bad = v2
        bad[v2.count - 6] ^= 1
        #expect(throws: ManifestError.self) { try Manifest.deserialize(bad, path: "M") }
        #expect(throws: ManifestError.self) { try Manifest.deserialize(Array(v2.dropLast(5)), path: "M") }
    }
}
