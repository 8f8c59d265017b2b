import Foundation
import HyadesProtocol
import HyadesServer
import HyadesStorage
import NIOCore
import Testing

@Suite struct NodeFailureTests {
    /// A failed fsync stops the engine (disk_failure_policy: stop): the write is not
    /// acknowledged, and the service's run() ends with NodeStopped, which makes
    /// `hyades server` exit non-zero.
    @Test func fsyncFailureStopsTheNodeWithAnError() async throws {
        let dir = NSTemporaryDirectory() + "hyades-fail-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fs = FaultInjectingFileSystem()
        var config = ServerConfig()
        config.dataFileDirectories = [dir]
        config.commitlogDirectory = dir + "/commitlog"
        config.commitlogSync = "batch"
        config.rpcAddress = "127.0.0.3"
        config.nativeTransportPort = 0
        config.numTokens = 2
        let service = try NodeService(config: config, fileSystem: fs)
        let run = Task { try await service.run() }
        var address: SocketAddress?
        for _ in 0..<5000 {
            if let a = service.server.localAddress { address = a; break }
            try await Task.sleep(for: .milliseconds(1))
        }
        let bound = try #require(address)
        let c = try await TestClient.connect(bound)
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY)")
        fs.injectFault(.sync, errno: EIO)
        let r = try await c.send(.query("INSERT INTO ks.t (k) VALUES (1)", CQLQueryParameters()))
        guard case .error(let e) = r else { Issue.record("write acknowledged after a failed fsync: \(r)"); return }
        #expect(e.code == 0x0000)
        await c.close()
        await #expect(throws: NodeStopped.self) { try await run.value }
    }
}
