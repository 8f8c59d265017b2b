import Foundation
import HyadesCore
import HyadesProtocol
import NIOCore
import Testing

/// Runs the real `hyades server` executable on 127.0.0.2 with a temporary data directory,
/// as an operator would, and talks to it over a socket.
@Suite struct ServerProcessTests {
    static var hyades: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hyades").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return dir.appendingPathComponent("hyades").path
    }

    final class ServerProcess: @unchecked Sendable {
        let process = Process()
        let stderr = LogBuffer()
        var port = 0

        init(dataDir: String) throws {
            process.executableURL = URL(fileURLWithPath: ServerProcessTests.hyades)
            process.arguments = ["server", "--listen-address", "127.0.0.2", "--native-port", "0", "--data-dir", dataDir]
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            let log = stderr
            pipe.fileHandleForReading.readabilityHandler = { h in
                let d = h.availableData
                log.withLock { $0 += String(decoding: d, as: UTF8.self) }
            }
            try process.run()
            // Wait for the listener's log line ("listening on [IPv4]127.0.0.2/127.0.0.2:PORT").
            for _ in 0..<3000 {
                let text = stderr.withLock { $0 }
                if let r = text.range(of: "127.0.0.2:") {
                    let digits = text[r.upperBound...].prefix { $0.isNumber }
                    port = Int(digits) ?? 0
                    break
                }
                guard process.isRunning else { break }
                usleep(10_000)
            }
        }

        func terminate() -> Int32 {
            process.terminate()   // SIGTERM
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    @Test func sigtermDrainsAndRestartKeepsData() async throws {
        let dir = NSTemporaryDirectory() + "hyades-proc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try ServerProcess(dataDir: dir)
        try #require(first.port > 0, "server did not start: \(first.stderr.withLock { $0 })")
        let c = try await TestClient.connect(try SocketAddress(ipAddress: "127.0.0.2", port: first.port))
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
        for i in 0..<20 {
            _ = try await c.query("INSERT INTO ks.t (k, v) VALUES (?, ?)", CQLQueryParameters(values: [int32Value(Int32(i)), textValue("v\(i)")]))
        }
        await c.close()
        #expect(first.terminate() == 0)
        #expect(first.stderr.withLock { $0 }.contains("drained"))

        let second = try ServerProcess(dataDir: dir)
        try #require(second.port > 0, "server did not restart: \(second.stderr.withLock { $0 })")
        let c2 = try await TestClient.connect(try SocketAddress(ipAddress: "127.0.0.2", port: second.port))
        let rows = try await c2.rows("SELECT k, v FROM ks.t")
        #expect(rows.rows.count == 20)
        #expect(Set(rows.rows.map { $0[1]!.text }) == Set((0..<20).map { "v\($0)" }))
        await c2.close()
        #expect(second.terminate() == 0)
    }

    @Test func badConfigurationExitsWithAClearMessage() throws {
        let dir = NSTemporaryDirectory() + "hyades-proc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let conf = dir + "/bad.yaml"
        try "native_transport_port: many\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.hyades)
        p.arguments = ["server", "--config", conf]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(text.contains("native_transport_port must be"))
    }
}

/// Text appended from the pipe's reader thread, read by the test.
final class LogBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func withLock<R>(_ body: (inout String) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&text)
    }
}
