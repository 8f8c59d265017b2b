import Foundation
import HyadesClient
import HyadesCore
import HyadesProtocol
import HyadesStorage
import HyadesTestSupport
import NIOCore
import Testing

/// Bulk import end to end, as `hyades load` does it: the real `hyades server` binary on
/// 127.0.0.47, a table created over CQL, an SSTable written locally with the node's column
/// ids, streamed to the node's storage_port, and read back over CQL.
@Suite struct StreamingProcessTests {
    static let host = "127.0.0.47"

    /// `hyades server` with both listeners on ephemeral ports, read back from its log.
    static func node(dataDir: String) throws -> HyadesServerProcess {
        try HyadesServerProcess(host: host, dataDir: dataDir, storagePort: 0)
    }

    static func cql(_ node: HyadesServerProcess) async throws -> TestClient {
        try await TestClient.connect(try SocketAddress(ipAddress: host, port: node.nativePort))
    }

    static func bigint(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    static func double(_ v: Double) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }

    /// The schema header an SSTable for the node's table carries, from TABLE_SCHEMA.
    static func header(_ s: StreamingTableSchema) -> SSTableSchemaHeader {
        SSTableSchemaHeader(keyspace: s.keyspace, table: s.table,
                            partitionKeyColumns: s.partitionKeyColumns.map { .init(name: $0.name, type: $0.type) },
                            clusteringColumns: s.clusteringColumns.map { .init(name: $0.name, type: $0.type, order: $0.descending ? .descending : .ascending) },
                            columns: s.valueColumns.map { .init(id: $0.id, name: $0.name, type: $0.type, kind: $0.kind == .static ? .static : .regular) })
    }

    /// Writes rows `ids` (ra = id / 10, designation = "Gaia DR3 <id>") as one SSTable in `directory`.
    static func writeSSTable(_ directory: String, schema s: StreamingTableSchema, ids: [Int64], header: SSTableSchemaHeader? = nil) throws {
        let id = { (name: String) in s.columns.first { $0.name == name }!.id }
        let fs = PosixFileSystem()
        try fs.createDirectory(directory)
        let w = try SSTableWriter(fileSystem: fs, directory: directory, generation: 1, options: TableOptions(),
                                  schema: header ?? Self.header(s), expectedPartitions: ids.count)
        let ts: Int64 = 1_700_000_000_000_000
        for v in ids.map({ DecoratedKey(key: bigint($0)) }).sorted() {
            let sourceID = v.key.withUnsafeBytes { Int64(bigEndian: $0.loadUnaligned(as: Int64.self)) }
            try w.beginPartition(PartitionHeader(key: v))
            try w.append(Row(clustering: [], liveness: LivenessInfo(timestamp: ts), columns: [
                .simple(id("ra"), .live(timestamp: ts, value: double(Double(sourceID) / 10))),
                .simple(id("designation"), .live(timestamp: ts, value: Array("Gaia DR3 \(sourceID)".utf8))),
            ].sorted { $0.column < $1.column }))
        }
        _ = try w.finish()
    }

    @Test func streamedSSTablesAreQueryableSurviveARestartAndAreNeverImportedTwice() async throws {
        let base = NSTemporaryDirectory() + "hyades-stream-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let data = base + "/node", out = base + "/out"
        let node = try Self.node(dataDir: data)
        try #require(node.nativePort > 0 && node.storagePort > 0, "server did not start: \(node.log.withLock { $0 })")
        let c = try await Self.cql(node)
        _ = try await c.query("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE gaia.source (source_id bigint PRIMARY KEY, dec double, ra double, designation text)")

        let schema = try await SSTableStreamer.tableSchema(keyspace: "gaia", table: "source", at: Self.host, port: node.storagePort)
        #expect(schema.partitionKeyColumns.map(\.name) == ["source_id"])
        #expect(Set(schema.valueColumns.map(\.name)) == ["dec", "ra", "designation"])
        let ids = (0..<500).map { Int64($0) * 7_919 + 4_295_806_720 }
        try Self.writeSSTable(out, schema: schema, ids: ids)

        let session = UUID()
        let files = try SSTableStreamer.sstableFiles(in: out)
        #expect(files.count == 4)
        let summary = try await SSTableStreamer.stream(files: files, keyspace: "gaia", table: "source", to: Self.host,
                                                       port: node.storagePort, sessionID: session)
        #expect(!summary.alreadyImported)
        #expect(summary.sstablesAdopted == 1)
        #expect(summary.partitionsAdopted == 500)
        #expect(summary.bytesSent > 0)

        // Size estimates (what compute splits are planned from) count the adopted SSTable.
        let estimates = try await c.rows("SELECT partitions_count FROM system.size_estimates WHERE keyspace_name = 'gaia'")
        // One row per primary range of the node (16 tokens), estimates rounded per range.
        let estimated = estimates.rows.reduce(Int64(0)) { $0 + ($1[0]?.int64 ?? 0) }
        #expect(abs(estimated - 500) <= 17, "\(estimated)")
        let all = try await c.rows("SELECT source_id, ra, designation FROM gaia.source")
        #expect(all.rows.count == 500)
        let one = try await c.rows("SELECT ra, designation, dec FROM gaia.source WHERE source_id = \(ids[42])")
        #expect(one.rows.count == 1)
        #expect(one.rows.first?[0].map { Array($0.readableBytesView) } == Self.double(Double(ids[42]) / 10))
        #expect(one.rows.first?[1]?.text == "Gaia DR3 \(ids[42])")
        #expect(one.rows.first?[2] == nil, "dec was never written")
        // Streamed files are adopted, not replayed: the staging directory is gone.
        let tableDir = try #require(try FileManager.default.contentsOfDirectory(atPath: data + "/gaia").first { $0.hasPrefix("source-") })
        #expect(!FileManager.default.fileExists(atPath: data + "/gaia/" + tableDir + "/staging/" + session.uuidString.lowercased()))
        // One row through the write path: the drain flushes it to an SSTable of the node's own.
        _ = try await c.query("INSERT INTO gaia.source (source_id, ra, designation) VALUES (-999, 1.5, 'written over CQL')")
        _ = try await c.query("CREATE TABLE gaia.copy (source_id bigint PRIMARY KEY, dec double, ra double, designation text)")
        await c.close()

        #expect(node.terminate() == 0)
        let restarted = try Self.node(dataDir: data)
        try #require(restarted.nativePort > 0, "server did not restart: \(restarted.log.withLock { $0 })")
        let c2 = try await Self.cql(restarted)
        #expect(try await c2.rows("SELECT source_id FROM gaia.source").rows.count == 501)

        // A re-run of the same session (an interrupted load started again) adds nothing.
        try Self.writeSSTable(base + "/again", schema: schema, ids: ids)
        let again = try await SSTableStreamer.stream(files: try SSTableStreamer.sstableFiles(in: base + "/again"), keyspace: "gaia",
                                                     table: "source", to: Self.host, port: restarted.storagePort, sessionID: session)
        #expect(again.alreadyImported)
        #expect(again.bytesSent == 0)
        #expect(try await c2.rows("SELECT source_id FROM gaia.source").rows.count == 501)

        // The node's own flushed SSTable carries a schema header, so it can be imported into
        // a table of the same definition (restoring a snapshot, nodetool import style).
        let dir = data + "/gaia/" + tableDir
        let dataFiles = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix("-Data.db") }
        let flushed = try #require(dataFiles.compactMap { name -> Int? in
            Int(name.dropFirst(3).prefix { $0.isNumber })
        }.max())
        try FileManager.default.createDirectory(atPath: base + "/snapshot", withIntermediateDirectories: true)
        for component in ["Data.db", "Index.db", "Filter.db", "Statistics.db"] {
            try FileManager.default.copyItem(atPath: dir + "/hy-\(flushed)-" + component, toPath: base + "/snapshot/hy-\(flushed)-" + component)
        }
        let restore = try runHyades(["sstable", "import", base + "/snapshot", "--keyspace", "gaia", "--table", "copy", "--port", String(restarted.nativePort),
                                    "--host", Self.host, "--storage-port", String(restarted.storagePort)])
        #expect(restore.status == 0, "\(restore.output)")
        let copied = try await c2.rows("SELECT source_id, designation FROM gaia.copy")
        #expect(copied.rows.count == 1)
        #expect(copied.rows.first?[0]?.int64 == -999)
        #expect(copied.rows.first?[1]?.text == "written over CQL")

        // An SSTable written for another schema is refused with the reason; nothing is adopted.
        var wrong = Self.header(schema)
        wrong.columns = wrong.columns.map { var c = $0; if c.name == "ra" { c.type = "float" }; return c }
        try Self.writeSSTable(base + "/wrong", schema: schema, ids: [1, 2, 3], header: wrong)
        let refusal = await #expect(throws: StreamingSessionError.self) {
            try await SSTableStreamer.stream(files: try SSTableStreamer.sstableFiles(in: base + "/wrong"), keyspace: "gaia",
                                             table: "source", to: Self.host, port: restarted.storagePort, sessionID: UUID())
        }
        #expect(refusal?.code == .rejected)
        #expect(refusal?.message.contains("column ra is float in the SSTable but double in the table") == true,
                "\(String(describing: refusal))")
        let unknown = await #expect(throws: StreamingSessionError.self) {
            try await SSTableStreamer.stream(files: try SSTableStreamer.sstableFiles(in: base + "/wrong"),
                                             keyspace: "gaia", table: "nope", to: Self.host, port: restarted.storagePort, sessionID: UUID())
        }
        #expect(unknown?.code == .unknownTable)
        #expect(try await c2.rows("SELECT source_id FROM gaia.source").rows.count == 501)

        // The operator's tool: `hyades sstable import DIR`, twice (the second adopts nothing).
        try Self.writeSSTable(base + "/cli", schema: schema, ids: (1...50).map { -Int64($0) })
        let args = ["sstable", "import", base + "/cli", "--keyspace", "gaia", "--table", "source", "--port", String(restarted.nativePort),
                    "--host", Self.host, "--storage-port", String(restarted.storagePort)]
        let first = try runHyades(args)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("imported 1 SSTables (50 partitions"), "\(first.output)")
        #expect(try await c2.rows("SELECT source_id FROM gaia.source").rows.count == 551)
        try Self.writeSSTable(base + "/cli2", schema: schema, ids: (1...50).map { -Int64($0) })
        try FileManager.default.removeItem(atPath: base + "/cli")
        try FileManager.default.moveItem(atPath: base + "/cli2", toPath: base + "/cli")
        let second = try runHyades(args)
        #expect(second.status == 0)
        #expect(second.output.contains("already imported"), "\(second.output)")
        let bad = try runHyades(["sstable", "import", base + "/wrong", "--keyspace", "gaia", "--table", "source", "--port", String(restarted.nativePort),
                                "--host", Self.host, "--storage-port", String(restarted.storagePort)])
        #expect(bad.status != 0)
        #expect(bad.output.contains("column ra is float in the SSTable but double in the table"), "\(bad.output)")
        #expect(try await c2.rows("SELECT source_id FROM gaia.source").rows.count == 551)
        await c2.close()
        #expect(restarted.terminate() == 0)
    }
}
