import Foundation
import HyadesClient
import Testing

/// `hyades stress write` then `read`, as an operator runs them, against a real server.
@Suite struct StressCommandTests {
    /// Runs `hyades stress ARGS` to completion; returns exit status and stdout + stderr.
    func stress(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        p.arguments = ["stress"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    /// The number on the summary line starting with `label`.
    func figure(_ label: String, in text: String) -> Int? {
        decimal(label, in: text).flatMap { Int(exactly: $0) }
    }

    func decimal(_ label: String, in text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(label) }) else { return nil }
        return Double(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
            .split(separator: " ").first ?? "")
    }

    @Test func writeThenReadReportsTheOperationsAndTheRowsAreThere() async throws {
        let server = try ServerProcess()
        defer { server.terminate(); server.removeData() }
        try #require(server.port > 0, "server did not start: \(server.log.withLock { $0 })")
        let common = ["--host", server.host, "--port", String(server.port), "--threads", "16", "--keys", "1500"]

        let (writeStatus, write) = try stress(["write", "--count", "1500"] + common)
        #expect(writeStatus == 0, "\(write)")
        #expect(write.contains("Running WRITE with 16 threads for 1500 iterations"))
        #expect(write.contains("Results:"))
        #expect(figure("Total operations", in: write) == 1500)
        #expect(figure("Total errors", in: write) == 0)

        let (readStatus, read) = try stress(["read", "--count", "600", "--compression", "lz4"] + common)
        #expect(readStatus == 0, "\(read)")
        #expect(figure("Total operations", in: read) == 600)
        #expect(figure("Total rows", in: read) == 600)
        #expect(figure("Reads not found", in: read) == 0)
        #expect(decimal("Latency 99th percentile", in: read) != nil)

        let (scanStatus, scan) = try stress(["scan", "--ranges", "8", "--page-size", "100"] + common)
        #expect(scanStatus == 0, "\(scan)")
        #expect(figure("Total rows", in: scan) == 1500)

        // The rows really are in the table: every key 0..<1500, five 34-byte columns.
        let client = try await HyadesClient.connect(contactPoints: [server.contactPoint])
        var keys = Set<UInt64>()
        for try await row in client.rows("SELECT key, c0, c4 FROM keyspace1.standard1") {
            let key = try #require(row.blob(0))
            keys.insert(key.reduce(0) { $0 << 8 | UInt64($1) })
            #expect(row.blob(1)?.count == 34)
            #expect(row.blob(2)?.count == 34)
        }
        await client.close()
        #expect(keys == Set(0..<1500))
    }

    /// `--rate` measures from each operation's intended start: when the node stalls, every
    /// operation due during the stall counts the wait, not only the few in flight
    /// (coordinated omission, as cassandra-stress's fixed rate counts it).
    @Test func aPacedRunCountsAStallForEveryOperationDueDuringIt() throws {
        let server = try ServerProcess()
        defer { server.terminate(); server.removeData() }
        try #require(server.port > 0, "server did not start: \(server.log.withLock { $0 })")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        // 1000 op/s for 3 s with 4 requests in flight at most.
        p.arguments = ["stress", "write", "--rate", "1000", "--duration", "3", "--threads", "4", "--interval", "0.5",
                       "--host", server.host, "--port", String(server.port)]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        // Once the run has started (its header is printed), the node stops for 0.4 s.
        var text = ""
        while !text.contains("total ops") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        kill(server.process.processIdentifier, SIGSTOP)
        usleep(400_000)
        kill(server.process.processIdentifier, SIGCONT)
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(figure("Total errors", in: text) == 0)
        // At least the 300 operations due in the stall's first 0.3 s waited 0.1 s or more:
        // 10% or more of at most ~3000. Measured from when they were sent instead, only the
        // 4 in flight would have.
        let p95 = try #require(decimal("Latency 95th percentile", in: text), "\(text)")
        #expect(p95 >= 100, "\(text)")
    }

    @Test func badArgumentsAreRefusedClearly() throws {
        let (status, text) = try stress(["fly", "--count", "1"])
        #expect(status != 0)
        #expect(text.contains("unknown workload 'fly'"))
        let (s2, t2) = try stress(["read", "--count", "1", "--host", "127.0.0.1", "--port", "1"])
        #expect(s2 != 0)
        #expect(t2.contains("hyades stress:"))
    }
}
