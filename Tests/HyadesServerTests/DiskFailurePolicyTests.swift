import Foundation
import HyadesServer
import HyadesProtocol
import HyadesTestSupport
import NIOCore
import Testing

/// A read that meets a corrupt block in a flushed SSTable, through the real `hyades server`
/// on 127.0.0.72: the client gets an error naming the file and offset, the node logs it
/// once per file (error level, file, offset, keyspace.table), counts it in
/// `hyades status`, and `disk_failure_policy` decides what happens next.
@Suite(.serialized) struct DiskFailurePolicyTests {
    static let host = "127.0.0.72"

    /// A data directory holding gaia.src as one flushed SSTable (300 rows) whose data block
    /// has one byte flipped; returns it and the damaged Data.db's path.
    static func corruptNode(base: String) async throws -> (dataDir: String, dataFile: String) {
        let dataDir = base + "/node"
        let node = try HyadesServerProcess(host: host, dataDir: dataDir, storagePort: 0)
        try #require(node.nativePort > 0, "server did not start: \(node.log.value)")
        let c = try await TestClient.connect(try SocketAddress(ipAddress: host, port: node.nativePort))
        _ = try await c.query("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE gaia.src (id bigint PRIMARY KEY, name text)")
        let inserts = (0..<300).map { CQLRequest.query("INSERT INTO gaia.src (id, name) VALUES (\($0), 'source number \($0)')", CQLQueryParameters()) }
        _ = try await c.sendPipelined(inserts)
        await c.close()
        #expect(node.terminate() == 0)   // the drain flushes the memtable: one SSTable
        let files = FileManager.default.enumerator(atPath: dataDir)!.compactMap { $0 as? String }
            .filter { $0.hasPrefix("gaia/") && $0.hasSuffix("-Data.db") }
        try #require(files.count == 1, "expected one SSTable: \(files)")
        let dataFile = dataDir + "/" + files[0]
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dataFile)))
        bytes[bytes.count / 2] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: dataFile))
        return (dataDir, dataFile)
    }

    /// The damaged data under `policy`: a node started on a copy of it.
    static func start(_ source: String, policy: String, base: String) throws -> HyadesServerProcess {
        let dataDir = base + "/" + policy
        try FileManager.default.copyItem(atPath: source, toPath: dataDir)
        let config = base + "/\(policy).yaml"
        try "disk_failure_policy: \(policy)\n".write(toFile: config, atomically: true, encoding: .utf8)
        let node = try HyadesServerProcess(host: host, dataDir: dataDir, storagePort: 0, extraArguments: ["--config", config])
        try #require(node.nativePort > 0, "server did not start: \(node.log.value)")
        return node
    }

    static func client(_ node: HyadesServerProcess) async throws -> TestClient {
        try await TestClient.connect(try SocketAddress(ipAddress: host, port: node.nativePort))
    }

    static func corruptLogLines(_ node: HyadesServerProcess) -> [Substring] {
        node.log.value.split(separator: "\n").filter { $0.contains(" error hyades: [HyadesServer] corrupt SSTable: ") }
    }

    /// The damaged file as the node names it: its path inside that node's data directory.
    static func damagedPath(_ node: HyadesServerProcess, _ dataFile: String, _ source: String) -> String {
        node.dataDir + dataFile.dropFirst(source.count)
    }

    @Test func everyPolicyFailsTheReadLogsOnceCountsAndActs() async throws {
        let base = NSTemporaryDirectory() + "hyades-diskfail-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (source, dataFile) = try await Self.corruptNode(base: base)

        // sstable verify finds it offline, with file and offset.
        let verify = try runHyades(["sstable", "verify", dataFile])
        #expect(verify.status == 1)
        #expect(verify.output.contains("DAMAGED") && verify.output.contains(dataFile + " at offset "), "\(verify.output)")

        // ignore: the read fails every time; one log line; counted; still serving.
        do {
            let node = try Self.start(source, policy: "ignore", base: base)
            let path = Self.damagedPath(node, dataFile, source)
            let c = try await Self.client(node)
            for _ in 0..<2 {
                let e = try await c.error("SELECT * FROM gaia.src")
                #expect(e.code == 0x1300)   // READ_FAILURE, as Cassandra answers a failed replica read
                #expect(e.message.contains("corrupt SSTable \(path) at offset "), "\(e.message)")
            }
            #expect(Self.corruptLogLines(node).count == 1, "\(node.log.value)")
            #expect(Self.corruptLogLines(node).first.map { $0.contains(path) && $0.contains("gaia.src") && $0.contains("at offset") } == true)
            let status = try runHyades(["status", "--data-dir", node.dataDir])
            #expect(status.status == 0, "\(status.output)")
            #expect(status.output.contains("corrupt SSTable reads: 2") && status.output.contains("gaia.src: 2"), "\(status.output)")
            #expect(status.output.contains("\(path) at offset "), "\(status.output)")
            await c.close()
            #expect(node.terminate() == 0)
        }

        // best_effort: the first read fails, then the SSTable is out of reads (the table's
        // only SSTable: no rows) and the node keeps serving.
        do {
            let node = try Self.start(source, policy: "best_effort", base: base)
            let c = try await Self.client(node)
            let e = try await c.error("SELECT * FROM gaia.src")
            #expect(e.message.contains("corrupt SSTable"), "\(e.message)")
            let after = try await c.rows("SELECT * FROM gaia.src")
            #expect(after.rows.isEmpty)
            _ = try await c.query("INSERT INTO gaia.src (id, name) VALUES (1, 'again')")
            #expect(try await c.rows("SELECT * FROM gaia.src WHERE id = 1").rows.count == 1)
            #expect(Self.corruptLogLines(node).count == 1, "\(node.log.value)")
            #expect(node.log.value.contains("taken out of reads"))
            let status = try runHyades(["status", "--data-dir", node.dataDir])
            #expect(status.status == 0 && status.output.contains("out of reads") && status.output.contains("corrupt SSTable reads: 1"),
                    "\(status.output)")
            await c.close()
            #expect(node.terminate() == 0)
        }

        // stop: the read fails, then CQL and streaming stop; the process stays up, says why,
        // and drains on SIGTERM (exit 0).
        do {
            let node = try Self.start(source, policy: "stop", base: base)
            let c = try await Self.client(node)
            let e = try await c.error("SELECT * FROM gaia.src")
            #expect(e.message.contains("corrupt SSTable"), "\(e.message)")
            var closed = false
            for _ in 0..<500 where !closed {
                closed = node.log.value.contains("listeners closed and every connection ended")
                if !closed { usleep(10_000) }
            }
            #expect(closed, "\(node.log.value)")
            #expect(node.process.isRunning)
            #expect(node.log.value.contains("disk_failure_policy stop: no longer serving CQL"))
            await #expect(throws: (any Error).self) { _ = try await Self.client(node) }
            let status = try runHyades(["status", "--data-dir", node.dataDir])
            #expect(status.status == 1 && status.output.contains("not serving") && status.output.contains("corrupt SSTable reads: 1"),
                    "\(status.output)")
            #expect(node.terminate() == 0, "\(node.log.value)")
        }

        // die: the read fails, then the process exits non-zero.
        do {
            let node = try Self.start(source, policy: "die", base: base)
            let c = try await Self.client(node)
            let e = try await c.error("SELECT * FROM gaia.src")
            #expect(e.message.contains("corrupt SSTable"), "\(e.message)")
            for _ in 0..<1000 where node.process.isRunning { usleep(10_000) }
            #expect(!node.process.isRunning)
            #expect(node.terminate() == 1, "\(node.log.value)")
            #expect(Self.corruptLogLines(node).count == 1)
            let status = try runHyades(["status", "--data-dir", node.dataDir])
            #expect(status.status == 1 && status.output.contains("died"), "\(status.output)")
        }
    }
}

@Suite struct DiskFailurePolicyConfigTests {
    @Test func theFourPoliciesParseAndOthersAreRefused() throws {
        #expect(try ServerConfig.parse(yaml: "cluster_name: x\n").diskFailurePolicy == .stop)
        for p in ["stop", "die", "best_effort", "ignore"] {
            #expect(try ServerConfig.parse(yaml: "disk_failure_policy: \(p)\n").diskFailurePolicy.rawValue == p)
        }
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "disk_failure_policy: sometimes\n") }
    }
}
