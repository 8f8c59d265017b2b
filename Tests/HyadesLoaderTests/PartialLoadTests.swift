#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HyadesClient
import HyadesTestSupport
import Testing

/// `hyades load` that stops part way, and `--atomic`, against a real `hyades server` on
/// 127.0.0.74: what the loader says was committed is what the table holds, re-running is
/// safe, and an atomic load adopts all of its SSTables or none.
@Suite(.serialized) struct PartialLoadTests {
    static let host = "127.0.0.74"

    /// `rows` rows `id,v` (ids from `first`) as CSV in `path`.
    static func csv(_ path: String, rows: Range<Int>) {
        var text = "id,v\n"
        text.reserveCapacity(rows.count * 24)
        for i in rows { text += "\(i),\(Double(i) / 8)\n" }
        LoaderFixtures.write(text, to: path)
    }

    /// gzips `path` (keeping it) and returns `path.gz`.
    static func gzip(_ path: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        p.arguments = ["-k", "-f", path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        return path + ".gz"
    }

    /// A copy of `gz` cut to `fraction` of its bytes (a download that stopped).
    static func truncated(_ gz: String, fraction: Double, to path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: gz))
        try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func count(_ client: HyadesClient) async throws -> Int64 {
        try await client.execute("SELECT count(*) FROM gaia.t").first?.int64(0) ?? -1
    }

    /// The number before `marker` in `text` ("12345 rows (3 SSTables) were already committed").
    static func number(before marker: String, in text: String) -> Int? {
        guard let r = text.range(of: marker) else { return nil }
        let head = text[..<r.lowerBound].reversed().drop { $0 == " " }.prefix { $0.isNumber }
        return Int(String(head.reversed()))
    }

    /// Files left in the table's staging directory (none after any load, failed or not).
    static func staged(_ node: LoaderNode) -> [String] {
        let data = node.server.dataDir
        guard let all = FileManager.default.enumerator(atPath: data)?.compactMap({ $0 as? String }) else { return [] }
        return all.filter { $0.contains("/staging/") }
    }

    func load(_ node: LoaderNode, _ inputs: [String], _ extra: [String] = []) throws -> (status: Int32, output: String) {
        try runHyades(["load", "-t", "gaia.t", "--host", node.host, "--port", String(node.nativePort),
                       "--storage-port", String(node.storagePort), "--memory", "1MiB", "--no-progress"] + extra + inputs)
    }

    @Test func aTruncatedGzipSaysWhatWasCommittedAndARerunCompletes() async throws {
        let node = try LoaderNode(host: Self.host)
        defer { node.stop() }
        try #require(node.nativePort > 0 && node.storagePort > 0, "server did not start: \(node.log.value)")
        let client = try await HyadesClient.connect(contactPoints: ["\(node.host):\(node.nativePort)"])
        _ = try await client.execute("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await client.execute("CREATE TABLE gaia.t (id bigint PRIMARY KEY, v double)")
        let dir = LoaderFixtures.tempDir("partial")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.csv(dir + "/t.csv", rows: 0..<120_000)
        let gz = try Self.gzip(dir + "/t.csv")
        let cut = try Self.truncated(gz, fraction: 0.6, to: dir + "/cut.csv.gz")

        let stopped = try load(node, [cut])
        #expect(stopped.status != 0, "\(stopped.output)")
        let committed = try #require(Self.number(before: " rows (", in: stopped.output), "\(stopped.output)")
        #expect(stopped.output.contains("were already committed"), "\(stopped.output)")
        #expect(stopped.output.contains("Re-running the same load is safe"), "\(stopped.output)")
        #expect(committed > 0 && committed < 120_000, "\(stopped.output)")
        #expect(try await Self.count(client) == Int64(committed))
        #expect(Self.staged(node).isEmpty)

        // The whole file, once more: every row once.
        let rerun = try load(node, [gz])
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(try await Self.count(client) == 120_000)
        await client.close()
    }

    @Test func aNodeKilledMidLoadThenRestartedAndTheLoadRerun() async throws {
        let dataDir = NSTemporaryDirectory() + "hyades-node-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let first = try HyadesServerProcess(host: Self.host, dataDir: dataDir, storagePort: 0)
        try #require(first.nativePort > 0 && first.storagePort > 0, "server did not start: \(first.log.value)")
        let ports = (first.nativePort, first.storagePort)
        do {
            let client = try await HyadesClient.connect(contactPoints: ["\(Self.host):\(ports.0)"])
            _ = try await client.execute("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
            _ = try await client.execute("CREATE TABLE gaia.t (id bigint PRIMARY KEY, v double)")
            await client.close()
        }
        let dir = LoaderFixtures.tempDir("killed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Enough SSTables (~45 at 1 MiB) that the load is still running when the first is
        // adopted, even on a fast machine: the kill must land mid-load.
        let total = 400_000
        Self.csv(dir + "/t.csv", rows: 0..<total)
        let args = ["load", "-t", "gaia.t", "--host", Self.host, "--port", String(ports.0), "--storage-port", String(ports.1),
                    "--memory", "1MiB", "--no-progress", "--threads", "1", dir + "/t.csv"]
        let loader = Process()
        loader.executableURL = URL(fileURLWithPath: HyadesServerProcess.executable)
        loader.arguments = args
        let pipe = Pipe()
        loader.standardOutput = pipe
        loader.standardError = pipe
        try loader.run()
        // Once the node has adopted an SSTable (compaction merges them, so their files are few),
        // it dies (SIGKILL) under the load.
        let adopted = { () -> Int in
            (FileManager.default.enumerator(atPath: dataDir)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasPrefix("gaia/") && !$0.contains("/staging/") && $0.hasSuffix("-Data.db") }.count
        }
        // The loader is paused while the node is killed, so the node dies mid-load however
        // fast the load runs (it has ~30 SSTables).
        for _ in 0..<3000 where adopted() < 1 && loader.isRunning { usleep(1_000) }
        kill(loader.processIdentifier, SIGSTOP)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        kill(loader.processIdentifier, SIGCONT)
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        loader.waitUntilExit()
        #expect(loader.terminationStatus != 0, "\(output)")
        let committed = try #require(Self.number(before: " rows (", in: output), "\(output)")
        #expect(output.contains("were already committed") && output.contains("Re-running the same load is safe"), "\(output)")

        // Back on the same data and ports: at least what the loader counted is there (an
        // SSTable adopted just before the kill may not have had its answer), then a re-run.
        let second = try HyadesServerProcess(host: Self.host, dataDir: dataDir, nativePort: ports.0, storagePort: ports.1)
        defer { second.terminate() }
        try #require(second.nativePort == ports.0 && second.storagePort == ports.1, "restart failed: \(second.log.value)")
        let client = try await HyadesClient.connect(contactPoints: ["\(Self.host):\(ports.0)"])
        let after = try await Self.count(client)
        #expect(after >= Int64(committed) && after < Int64(total), "count \(after), loader said \(committed)")
        let rerun = try runHyades(args)
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(try await Self.count(client) == Int64(total))
        await client.close()
    }

    @Test func anAtomicLoadAdoptsEverythingOrNothing() async throws {
        let node = try LoaderNode(host: Self.host)
        defer { node.stop() }
        try #require(node.nativePort > 0 && node.storagePort > 0, "server did not start: \(node.log.value)")
        let client = try await HyadesClient.connect(contactPoints: ["\(node.host):\(node.nativePort)"])
        _ = try await client.execute("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await client.execute("CREATE TABLE gaia.t (id bigint PRIMARY KEY, v double)")
        let dir = LoaderFixtures.tempDir("atomic")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        Self.csv(dir + "/a.csv", rows: 0..<60_000)
        Self.csv(dir + "/b.csv", rows: 60_000..<120_000)
        let cut = try Self.truncated(try Self.gzip(dir + "/b.csv"), fraction: 0.5, to: dir + "/b-cut.csv.gz")

        // a.csv's SSTables are staged, then b's input breaks: nothing is adopted.
        let failed = try load(node, [dir + "/a.csv", cut], ["--atomic"])
        #expect(failed.status != 0, "\(failed.output)")
        #expect(failed.output.contains("--atomic: nothing was adopted"), "\(failed.output)")
        let staged = try #require(Self.number(before: " SSTables (", in: failed.output), "\(failed.output)")
        #expect(staged > 0, "something was staged before the failure: \(failed.output)")
        #expect(try await Self.count(client) == 0)
        #expect(Self.staged(node).isEmpty, "staged files left: \(Self.staged(node))")

        // Without the broken file: all rows, in one step.
        let ok = try load(node, [dir + "/a.csv", dir + "/b.csv"], ["--atomic", "--timestamp", "1700000000000000"])
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.output.contains("adopted in one step on 1 node"), "\(ok.output)")
        #expect(try await Self.count(client) == 120_000)
        #expect(Self.staged(node).isEmpty)

        // The same atomic load again: the node had adopted it, nothing is adopted twice.
        let again = try load(node, [dir + "/a.csv", dir + "/b.csv"], ["--atomic", "--timestamp", "1700000000000000"])
        #expect(again.status == 0, "\(again.output)")
        #expect(try await Self.count(client) == 120_000)
        #expect(Self.staged(node).isEmpty)
        await client.close()
    }
}
