import Foundation
import HyadesTestSupport
import Testing

/// A plain input file is parsed from memory mappings; if another process truncates it
/// during the load, the loader must stop with a clear message and status 1, not die with
/// "Bus error". Run as a user would: the real `hyades load` on a real file.
@Suite struct TruncatedInputTests {
    @Test func aFileTruncatedWhileLoadingStopsTheLoadWithAClearError() throws {
        let dir = NSTemporaryDirectory() + "hyades-truncated-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = dir + "/big.csv", schema = dir + "/schema.cql", rejects = dir + "/rejects.csv"
        try "CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\nCREATE TABLE gaia.t (source_id bigint PRIMARY KEY, ra double, dec double);\n"
            .write(toFile: schema, atomically: true, encoding: .utf8)
        // ~60 MB: a bad row near the start (its reject says the first block was parsed,
        // so the file is mapped), then rows enough to outlast the truncation by far.
        var text = "source_id,ra,dec\n1,2.5,3.5\nnot-a-number,1,1\n"
        let row = "123456789012345678,193.50817846782095,55.959784778923755\n"
        text += String(repeating: row, count: 1_000_000)
        try text.write(toFile: csv, atomically: true, encoding: .utf8)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: HyadesServerProcess.executable)
        p.arguments = ["load", "--dry-run", "--schema", schema, "--no-progress", "-t", "gaia.t", "--rejects", rejects, csv]
        let errors = Pipe()
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // The rejects file appears when the first block's rows are counted.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: rejects) && p.isRunning && Date() < deadline { usleep(1000) }
        #expect(p.isRunning, "the load ended before the file could be truncated")
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: csv))
        try h.truncate(atOffset: 1000)
        try h.close()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationReason == .exit, "stopped by a signal: \(stderr)")
        #expect(p.terminationStatus == 1)
        #expect(stderr.contains("an input file shrank while it was being read"), "\(stderr)")
    }
}
