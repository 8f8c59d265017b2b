import Foundation
import HyadesCore
import HyadesProtocol
import HyadesTestSupport
import NIOCore
import Testing

/// Runs the real `hyades server` executable on 127.0.0.2 with a temporary data directory,
/// as an operator would, and talks to it over a socket.
@Suite struct ServerProcessTests {
    @Test func sigtermDrainsAndRestartKeepsData() async throws {
        let dir = NSTemporaryDirectory() + "hyades-proc-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try HyadesServerProcess(host: "127.0.0.2", dataDir: dir)
        try #require(first.nativePort > 0, "server did not start: \(first.log.withLock { $0 })")
        let c = try await TestClient.connect(try SocketAddress(ipAddress: "127.0.0.2", port: first.nativePort))
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
        for i in 0..<20 {
            _ = try await c.query("INSERT INTO ks.t (k, v) VALUES (?, ?)", CQLQueryParameters(values: [int32Value(Int32(i)), textValue("v\(i)")]))
        }
        await c.close()
        #expect(first.terminate() == 0)
        #expect(first.log.withLock { $0 }.contains("drained"))

        let second = try HyadesServerProcess(host: "127.0.0.2", dataDir: dir)
        try #require(second.nativePort > 0, "server did not restart: \(second.log.withLock { $0 })")
        let c2 = try await TestClient.connect(try SocketAddress(ipAddress: "127.0.0.2", port: second.nativePort))
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
        p.executableURL = URL(fileURLWithPath: HyadesServerProcess.executable)
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
