import Foundation
import Testing
import HyadesCore
import HyadesStorage
import HyadesTestSupport

/// Runs the real `hyades` executable (built next to this test bundle) on SSTables the
/// engine wrote, the way an operator would.
@Suite struct SSTableToolTests {
    static var hyades: String { HyadesServerProcess.executable }

    static func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: hyades)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A table with `count` partitions flushed to one SSTable; returns its directory.
    static func writeTable(count: Int) throws -> String {
        let dir = NSTemporaryDirectory() + "hyades-tool-\(UUID().uuidString)"
        let engine = try StorageEngine(commitLogDirectory: dir + "/commitlog", fileSystem: PosixFileSystem())
        let id = TableID(high: 7, low: 7)
        let table = try engine.openTable(id, directory: dir + "/t", options: TableOptions())
        for i in 0..<count {
            let key = DecoratedKey(key: [0, 0, 0, UInt8(i)])
            let row = Row(clustering: [], liveness: LivenessInfo(timestamp: 1000 + Int64(i)),
                          columns: [.simple(0, .live(timestamp: 1000 + Int64(i), value: Array("v\(i)".utf8)))])
            try table.apply(PartitionUpdate(table: id, key: key, rows: [row]))
        }
        try table.flush()
        try engine.shutdown()
        return dir + "/t"
    }

    static func dataFile(in dir: String) throws -> String {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix("-Data.db") })
        return dir + "/" + name
    }

    @Test func dumpPrintsEveryPartitionAsJSON() throws {
        let dir = try Self.writeTable(count: 5)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Self.run(["sstable", "dump", try Self.dataFile(in: dir)])
        #expect(r.status == 0, "stderr: \(r.err)")
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8))
        let partitions = try #require(json as? [[String: Any]])
        #expect(partitions.count == 5)
        // Every partition carries its rows with the cell we wrote.
        #expect(r.out.contains("1003"))
    }

    @Test func verifyPassesHealthyAndFailsOnAFlippedBit() throws {
        let dir = try Self.writeTable(count: 50)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ok = try Self.run(["sstable", "verify", dir])
        #expect(ok.status == 0, "stderr: \(ok.err) stdout: \(ok.out)")
        // Each file's token range and partition count (which storage shard it covers).
        #expect(ok.out.contains(": OK, tokens ") && ok.out.contains(", 50 partitions"), "\(ok.out)")

        let data = try Self.dataFile(in: dir)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: data))
        let offset = bytes.count / 2
        bytes[offset] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: data))

        let bad = try Self.run(["sstable", "verify", dir])
        #expect(bad.status != 0)
        // The operator is told which file is damaged.
        #expect((bad.out + bad.err).contains("Data.db"))
    }

    @Test func dumpOfANonSSTableIsAClearError() throws {
        let r = try Self.run(["sstable", "dump", "/etc/hostname"])
        #expect(r.status != 0)
        #expect(r.err.contains("not an SSTable file"))
    }
}
