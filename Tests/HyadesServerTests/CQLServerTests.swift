import Foundation
import HyadesCore
import HyadesProtocol
import HyadesServer
import NIOCore
import NIOPosix
import Testing

@Suite struct CQLServerTests {
    @Test func optionsAndStartup() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await TestClient(host: n.address.ipAddress!, port: n.address.port!)
        let supported = try await c.send(.options)
        guard case .supported(let options) = supported else { Issue.record("got \(supported)"); return }
        #expect(options["CQL_VERSION"] == ["3.4.7"])
        #expect(options["COMPRESSION"]?.contains("lz4") == true)
        // A query before STARTUP is refused.
        let early = try await c.send(.query("SELECT * FROM system.local", CQLQueryParameters()))
        guard case .error(let e) = early else { Issue.record("got \(early)"); return }
        #expect(e.code == 0x000A)
        let ready = try await c.send(.startup(["CQL_VERSION": "3.0.0"]))
        #expect(ready == .ready)
        let local = try await c.rows("SELECT cluster_name FROM system.local")
        #expect(local.rows.first?.first??.text == "Test Cluster")
        await c.close()
        try await n.stop()
    }

    @Test func unsupportedVersionIsAnsweredWithCassandrasText() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let received = try await RawExchange.send([0x42, 0, 0, 0, 5, 0, 0, 0, 0], to: n.address)
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.contains("Invalid or unsupported protocol version (66); supported versions are (4/v4)"))
        try await n.stop()
    }

    @Test func ddlWritesReadsAndSchemaEvents() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let listener = try await n.client()
        #expect(try await listener.send(.register(["SCHEMA_CHANGE"])) == .ready)
        let c = try await n.client(compression: "lz4")
        let created = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        #expect(created == .schemaChange(CQLSchemaChange(.created, .keyspace("ks"))))
        #expect(try await c.query("USE ks") == .setKeyspace("ks"))
        let table = try await c.query("CREATE TABLE t (k int PRIMARY KEY, v text)")
        #expect(table == .schemaChange(CQLSchemaChange(.created, .table(keyspace: "ks", name: "t"))))
        #expect(try await c.query("INSERT INTO t (k, v) VALUES (1, 'one')") == .void)
        _ = try await c.query("INSERT INTO t (k, v) VALUES (?, ?)", CQLQueryParameters(values: [int32Value(2), textValue("two")]))
        let r = try await c.rows("SELECT k, v FROM t WHERE k = 2")
        #expect(r.rows.count == 1)
        #expect(r.rows.first?[0]?.int32 == 2)
        #expect(r.rows.first?[1]?.text == "two")
        // USE pipelined with a query: the query runs in the new keyspace.
        let fresh = try await n.client()
        let pipelined = try await fresh.sendPipelined([.query("USE ks", CQLQueryParameters()),
                                                       .query("SELECT v FROM t WHERE k = 1", CQLQueryParameters())])
        #expect(pipelined[0] == .result(.setKeyspace("ks")))
        guard case .result(.rows(let afterUse)) = pipelined[1] else { Issue.record("got \(pipelined[1])"); return }
        #expect(try afterUse.decodedRows().first?[0]?.text == "one")
        await fresh.close()
        // Both DDL statements were pushed to the registered connection (on stream -1).
        _ = try await listener.send(.options)   // a round trip after the events were sent
        let events = try await listener.events()
        #expect(events.contains(.schemaChange(CQLSchemaChange(.created, .keyspace("ks")))))
        #expect(events.contains(.schemaChange(CQLSchemaChange(.created, .table(keyspace: "ks", name: "t")))))
        await c.close(); await listener.close()
        try await n.stop()
    }

    @Test func errorsKeepTheirCodes() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await n.client()
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        #expect(try await c.error("SELEKT * FROM x").code == 0x2000)
        let exists = try await c.error("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        #expect(exists.kind == .alreadyExists(keyspace: "ks", table: ""))
        #expect(try await c.error("SELECT * FROM ks.nope").code == 0x2200)
        let unknown = try await c.send(.execute(id: [1, 2, 3], CQLQueryParameters()))
        guard case .error(let e) = unknown else { Issue.record("got \(unknown)"); return }
        #expect(e.kind == .unprepared(id: [1, 2, 3]))
        await c.close()
        try await n.stop()
    }

    @Test func preparedStatementsAndPaging() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await n.client()
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (p int, c int, v text, PRIMARY KEY (p, c))")
        let r = try await c.send(.prepare("INSERT INTO ks.t (p, c, v) VALUES (?, ?, ?)"))
        guard case .result(.prepared(let insert)) = r else { Issue.record("got \(r)"); return }
        #expect(insert.metadata.columns.map(\.name) == ["p", "c", "v"])
        #expect(insert.metadata.partitionKeyIndexes == [0])
        for i in 0..<25 {
            let res = try await c.send(.execute(id: insert.id, CQLQueryParameters(values: [int32Value(Int32(i % 3)), int32Value(Int32(i)), textValue("v\(i)")])))
            #expect(res == .result(.void))
        }
        let s = try await c.send(.prepare("SELECT c, v FROM ks.t WHERE p = ?"))
        guard case .result(.prepared(let select)) = s else { Issue.record("got \(s)"); return }
        #expect(select.resultMetadata.columns?.map(\.name) == ["c", "v"])
        let one = try await c.send(.execute(id: select.id, CQLQueryParameters(values: [int32Value(1)])))
        guard case .result(.rows(let rows)) = one else { Issue.record("got \(one)"); return }
        #expect(try rows.decodedRows().map { $0[0]!.int32! } == [1, 4, 7, 10, 13, 16, 19, 22])

        // Paging through the whole table, 10 rows at a time.
        var seen: [Int32] = []
        var state: ByteBuffer?
        var pages = 0
        repeat {
            let page = try await c.rows("SELECT c FROM ks.t", CQLQueryParameters(pageSize: 10, pagingState: state))
            seen += page.rows.map { $0[0]!.int32! }
            state = page.paging
            pages += 1
        } while state != nil && pages < 10
        #expect(seen.sorted() == Array(0..<25))
        #expect(pages >= 3)

        // A batch of prepared and text children.
        let batch = CQLBatch(kind: .unlogged, statements: [
            .init(.prepared(id: insert.id), values: [int32Value(9), int32Value(1), textValue("b1")]),
            .init(.query("INSERT INTO ks.t (p, c, v) VALUES (9, 2, 'b2')")),
        ])
        #expect(try await c.send(.batch(batch)) == .result(.void))
        #expect(try await c.rows("SELECT v FROM ks.t WHERE p = 9").rows.map { $0[0]!.text } == ["b1", "b2"])
        await c.close()
        try await n.stop()
    }

    @Test func tokensAndHostIDArePersistedAndDataSurvivesRestart() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await n.client()
        let local = try await c.rows("SELECT tokens, host_id FROM system.local")
        let tokens = Set(local.rows.first?[0]?.textCollection ?? [])
        #expect(tokens == Set(n.node.identity.tokens.map { String($0.value) }))
        #expect(tokens.count == 4)
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
        _ = try await c.query("INSERT INTO ks.t (k, v) VALUES (7, 'seven')")
        let token = try await c.rows("SELECT token(k) FROM ks.t WHERE k = 7")
        #expect(token.rows.first?[0]?.int64 == Murmur3Partitioner.token([0, 0, 0, 7]).value)
        await c.close()
        try await n.stop()

        let again = try await RunningNode(directory: n.directory)
        #expect(again.node.identity == n.node.identity)
        let c2 = try await again.client()
        #expect(try await c2.rows("SELECT v FROM ks.t WHERE k = 7").rows.first?[0]?.text == "seven")
        await c2.close()
        try await again.stop()
    }
}

/// Sends raw bytes and returns everything received until the server closes.
enum RawExchange {
    final class Collect: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var bytes: [UInt8] = []
        let done: EventLoopPromise<[UInt8]>
        init(done: EventLoopPromise<[UInt8]>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            bytes += unwrapInboundIn(data).readableBytesView
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(bytes) }
    }

    static func send(_ bytes: [UInt8], to address: SocketAddress) async throws -> [UInt8] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: [UInt8].self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Collect(done: done)) }
            }
            .connect(to: address).get()
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
        return try await done.futureResult.get()
    }
}
