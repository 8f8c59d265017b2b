import Foundation
import HyadesClient
import HyadesProtocol
import HyadesStorage
import HyadesTestSupport
import NIOCore
import Testing

/// Atomic loads at the protocol level, through the real `hyades server` on 127.0.0.76:
/// STAGE keeps sessions beyond their connection without adopting them, ADOPT_LOAD adopts
/// all of a load's sessions at once, ABORT_LOAD and a node restart discard them.
@Suite struct StagedLoadProcessTests {
    static let host = "127.0.0.76"

    /// Streams the SSTable in `directory` (generation 1) as one session and STAGEs it.
    static func stage(_ directory: String, port: Int, loadID: UUID) throws -> StreamSummary {
        let names = ["Data.db", "Index.db", "Filter.db", "Statistics.db"].map { "hy-1-" + $0 }
        let session = try SSTableUploadSession(fileNames: names, keyspace: "gaia", table: "source", to: host, port: port,
                                               sessionID: UUID())
        for n in names {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + n)))
            try bytes.withUnsafeBytes { try session.append($0) }
            try session.endFile()
        }
        return try session.stage(loadID: loadID)
    }

    @Test func stagedSessionsWaitForAdoptLoadAndDoNotOutliveAbortOrARestart() async throws {
        let base = NSTemporaryDirectory() + "hyades-staged-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let data = base + "/node"
        var node = try HyadesServerProcess(host: Self.host, dataDir: data, storagePort: 0)
        try #require(node.nativePort > 0 && node.storagePort > 0, "server did not start: \(node.log.value)")
        var c = try await TestClient.connect(try SocketAddress(ipAddress: Self.host, port: node.nativePort))
        _ = try await c.query("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE gaia.source (source_id bigint PRIMARY KEY, dec double, ra double, designation text)")
        let schema = try await SSTableStreamer.tableSchema(keyspace: "gaia", table: "source", at: Self.host, port: node.storagePort)
        try StreamingProcessTests.writeSSTable(base + "/a", schema: schema, ids: (0..<300).map { Int64($0) })
        try StreamingProcessTests.writeSSTable(base + "/b", schema: schema, ids: (300..<500).map { Int64($0) })
        let tableDir = try #require(try FileManager.default.contentsOfDirectory(atPath: data + "/gaia").first { $0.hasPrefix("source-") })
        let staging = data + "/gaia/" + tableDir + "/staging"
        func stagedLoads() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).sorted() }

        // Two sessions of one load: staged (verified, counted), nothing visible yet.
        let load = UUID()
        let a = try Self.stage(base + "/a", port: node.storagePort, loadID: load)
        let b = try Self.stage(base + "/b", port: node.storagePort, loadID: load)
        #expect(a.sstablesAdopted == 1 && a.partitionsAdopted == 300 && b.partitionsAdopted == 200)
        #expect(stagedLoads() == ["load-" + load.uuidString.lowercased()])
        #expect(try await c.rows("SELECT source_id FROM gaia.source").rows.isEmpty)

        // ADOPT_LOAD: both at once; the staged files are gone; a second ADOPT_LOAD is "already".
        let adopted = try StagedLoad.adopt(loadID: load, keyspace: "gaia", table: "source", host: Self.host, port: node.storagePort)
        #expect(adopted == .committed(sstables: 2, partitions: 500, bytes: adopted.bytes))
        #expect(try await c.rows("SELECT source_id FROM gaia.source").rows.count == 500)
        #expect(stagedLoads().isEmpty)
        #expect(try StagedLoad.adopt(loadID: load, keyspace: "gaia", table: "source", host: Self.host, port: node.storagePort)
                == .alreadyImported)

        // ABORT_LOAD discards a staged load.
        let aborted = UUID()
        _ = try Self.stage(base + "/a", port: node.storagePort, loadID: aborted)
        #expect(stagedLoads().count == 1)
        try StagedLoad.abort(loadID: aborted, keyspace: "gaia", table: "source", host: Self.host, port: node.storagePort)
        #expect(stagedLoads().isEmpty)

        // A restart discards one too: ADOPT_LOAD then finds nothing and says so.
        let orphan = UUID()
        _ = try Self.stage(base + "/b", port: node.storagePort, loadID: orphan)
        #expect(stagedLoads().count == 1)
        await c.close()
        #expect(node.terminate() == 0)
        node = try HyadesServerProcess(host: Self.host, dataDir: data, storagePort: 0)
        try #require(node.nativePort > 0 && node.storagePort > 0, "server did not restart: \(node.log.value)")
        #expect(stagedLoads().isEmpty)
        #expect(throws: StreamingSessionError.self) {
            try StagedLoad.adopt(loadID: orphan, keyspace: "gaia", table: "source", host: Self.host, port: node.storagePort)
        }
        c = try await TestClient.connect(try SocketAddress(ipAddress: Self.host, port: node.nativePort))
        #expect(try await c.rows("SELECT source_id FROM gaia.source").rows.count == 500)
        await c.close()
        #expect(node.terminate() == 0)
    }
}

extension StagedLoad.Outcome {
    var bytes: Int64 {
        if case .committed(_, _, let b) = self { return b }
        return -1
    }
}
