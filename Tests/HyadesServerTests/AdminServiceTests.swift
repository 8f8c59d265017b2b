import Foundation
import HyadesCore
import HyadesProtocol
import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesServer

/// What `hyades nodetool` asks of a node (docs/formats/admin.md), on a real node in this
/// process: flush turns memtable rows into an SSTable, compact merges SSTables, tablestats
/// reports what the engine holds, names that do not exist are refused with Cassandra's
/// wording, and a malformed frame is answered ERROR 1 and closes the connection.
@Suite struct AdminServiceTests {
    static func stats(_ admin: AdminService, _ name: String) async throws -> AdminTableStats {
        guard case .tableStats(let tables) = await admin.handle(.tableStats([name])) else {
            Issue.record("tablestats \(name) failed")
            throw CancellationError()
        }
        return try #require(tables.first)
    }

    @Test func flushCompactAndTableStatsFollowTheEngine() async throws {
        let running = try await RunningNode()
        defer { running.remove() }
        let client = try await running.client()
        _ = try await client.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await client.query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
        let admin = AdminService(node: running.node, logger: .init(label: "test"))
        for round in 0..<2 {
            for k in 0..<10 { _ = try await client.query("INSERT INTO ks.t (k, v) VALUES (\(round * 10 + k), 'x')") }
            let before = try await Self.stats(admin, "ks.t")
            #expect(before["sstable_count"] == Int64(round))
            #expect(before["partitions_estimate"] == Int64(round * 10 + 10))
            #expect((before["memtable_data_bytes"] ?? 0) > 0)
            #expect(await admin.handle(.flush(keyspace: "ks", tables: ["t"])) == .done)
            let after = try await Self.stats(admin, "ks.t")
            #expect(after["sstable_count"] == Int64(round + 1))
            #expect(after["memtable_data_bytes"] == 0)
            #expect((after["space_used_live"] ?? 0) > 0)
            // Partition sizes from the SSTables' histograms; every partition here is alike.
            let (least, mean, most) = (after["partition_min_bytes"] ?? 0, after["partition_mean_bytes"] ?? 0,
                                       after["partition_max_bytes"] ?? 0)
            #expect(least > 0 && least <= mean && mean <= most && most < 1000, "\(least) \(mean) \(most)")
            #expect((after["bloom_filter_bytes"] ?? 0) > 0)
            #expect(after["leveled"] == 0 && after["pending_flushes"] == 0)
        }
        #expect(await admin.handle(.compact(keyspace: nil, tables: [])) == .done)
        let compacted = try await Self.stats(admin, "ks")
        // A major compaction writes one SSTable per storage shard holding data (the node's
        // own tokens cut the ring while it is alone: docs/architecture.md, storage shards).
        let shards = Self.shards(of: Array(0..<20), boundaries: running.node.identity.tokens)
        #expect(compacted["sstable_count"] == Int64(shards) && shards > 1)
        #expect(compacted["partitions_estimate"] == 20)
        #expect(try await client.rows("SELECT k FROM ks.t").rows.count == 20)
        // Gossip is not running in this node: nothing to list.
        #expect(await admin.handle(.gossipInfo) == .gossipInfo([]))
        await client.close()
        try await running.stop()
    }

    @Test func leveledTablesShowTheirLevels() async throws {
        let running = try await RunningNode()
        defer { running.remove() }
        let client = try await running.client()
        _ = try await client.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await client.query("CREATE TABLE ks.l (k int PRIMARY KEY) WITH compaction = {'class': 'LeveledCompactionStrategy'}")
        let admin = AdminService(node: running.node, logger: .init(label: "test"))
        for k in 0..<3 {
            _ = try await client.query("INSERT INTO ks.l (k) VALUES (\(k))")
            #expect(await admin.handle(.flush(keyspace: "ks", tables: ["l"])) == .done)
        }
        let flushed = try await Self.stats(admin, "ks.l")
        #expect(flushed["leveled"] == 1 && flushed["sstables_in_level_0"] == 3 && flushed["sstables_in_level_1"] == nil)
        #expect(await admin.handle(.compact(keyspace: "ks", tables: ["l"])) == .done)
        let compacted = try await Self.stats(admin, "ks.l")
        let shards = Self.shards(of: [0, 1, 2], boundaries: running.node.identity.tokens)
        #expect(compacted["sstables_in_level_0"] == 0 && compacted["sstables_in_level_1"] == Int64(shards))
        #expect(compacted["partitions_estimate"] == 3)
        await client.close()
        try await running.stop()
    }

    /// How many shards (token ranges `(b[i-1], b[i]]`) the int keys fall into.
    static func shards(of keys: [Int32], boundaries: [Token]) -> Int {
        Set(keys.map { k -> Int in
            let t = Murmur3Partitioner.token(withUnsafeBytes(of: k.bigEndian, Array.init))
            return boundaries.filter { $0 < t }.count
        }).count
    }

    @Test func unknownNamesAreRefusedWithCassandrasWording() async throws {
        let running = try await RunningNode()
        defer { running.remove() }
        let client = try await running.client()
        _ = try await client.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await client.query("CREATE TABLE ks.t (k int PRIMARY KEY)")
        let admin = AdminService(node: running.node, logger: .init(label: "test"))
        let unknownTable = AdminFormat.errorUnknownTable
        #expect(await admin.handle(.flush(keyspace: "nope", tables: [])) == .error(code: unknownTable, message: "Keyspace [nope] does not exist."))
        #expect(await admin.handle(.compact(keyspace: "ks", tables: ["t", "u"])) == .error(code: unknownTable, message: "Unknown keyspace/cf pair (ks.u)"))
        #expect(await admin.handle(.tableStats(["nope.t"])) == .error(code: unknownTable, message: "Unknown keyspace: nope"))
        #expect(await admin.handle(.tableStats(["ks.b", "ks.a", "ks.t"])) == .error(code: unknownTable, message: "Unknown tables: [a, b] in keyspace: ks"))
        // The system keyspaces are virtual: nothing to flush, no tables to show.
        #expect(await admin.handle(.flush(keyspace: "system", tables: [])) == .done)
        #expect(await admin.handle(.tableStats(["system"])) == .tableStats([]))
        await client.close()
        try await running.stop()
    }

    @Test func aMalformedFrameIsAnsweredAndTheConnectionClosed() async throws {
        let running = try await RunningNode()
        defer { running.remove() }
        let admin = AdminService(node: running.node, logger: .init(label: "test"))
        let channel = EmbeddedChannel(handler: AdminInboundHandler(service: admin, logger: .init(label: "test")))
        var frame = AdminCodec.encode(AdminRequest.gossipInfo)
        frame[frame.count - 1] ^= 1   // checksum
        try channel.writeInbound(ByteBuffer(bytes: frame))
        let out = try #require(try channel.readOutbound(as: ByteBuffer.self))
        let (type, payload, _) = try #require(try AdminCodec.decodeFrame(Array(out.readableBytesView)[...]))
        guard case .error(let code, let message) = try AdminCodec.decodeResponse(type: type, payload: payload) else {
            Issue.record("not an ERROR")
            return
        }
        #expect(code == AdminFormat.errorProtocol)
        #expect(message.contains("checksum"))
        #expect(!channel.isActive)
        try await running.stop()
    }
}
