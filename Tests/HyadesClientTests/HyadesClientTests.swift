import Foundation
import HyadesClient
import HyadesCore
import HyadesProtocol
import NIOCore
import Testing

/// HyadesClient against the real `hyades server` binary.
@Suite(.serialized) struct HyadesClientTests {
    static let keyspaceDDL = "CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"

    /// Starts a server, runs `body` with a connected client, and cleans up.
    func withServer(compression: CQLCompression? = nil,
                    _ body: (ServerProcess, HyadesClient) async throws -> Void) async throws {
        let server = try ServerProcess()
        defer { server.terminate(); server.removeData() }
        try #require(server.port > 0, "server did not start: \(server.log.withLock { $0 })")
        let client = try await HyadesClient.connect(contactPoints: [server.contactPoint], compression: compression)
        do {
            try await body(server, client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }

    @Test func ddlPreparedInsertAndSelect() async throws {
        try await withServer { _, client in
            let created = try await client.execute(Self.keyspaceDDL)
            #expect(created.schemaChange != nil)
            _ = try await client.execute("CREATE TABLE ks.stars (source_id bigint PRIMARY KEY, ra double, name text)")
            let insert = try await client.prepare("INSERT INTO ks.stars (source_id, ra, name) VALUES (?, ?, ?)")
            #expect(insert.bindColumns.map(\.name) == ["source_id", "ra", "name"])
            #expect(insert.partitionKeyIndexes == [0])
            for i in 0..<5 {
                _ = try await client.execute(insert, [.bigint(Int64(i)), .double(Double(i) * 1.5), .text("star \(i)")])
            }
            let select = try await client.prepare("SELECT source_id, ra, name FROM ks.stars WHERE source_id = ?")
            let result = try await client.execute(select, [.bigint(3)])
            #expect(result.count == 1)
            #expect(result.columns.map(\.name) == ["source_id", "ra", "name"])
            #expect(result.columns.map(\.type) == [.bigint, .double, .text])
            #expect(result.columns.first?.keyspace == "ks")
            #expect(result.columns.first?.table == "stars")
            let row = try #require(result.first)
            #expect(row.int64(0) == 3)
            #expect(row.double("ra") == 4.5)
            #expect(row.string("name") == "star 3")
            #expect(row.value(2) == .text("star 3"))
            #expect(row.formatted(2) == "'star 3'" || row.formatted(2) == "star 3")
            #expect(row.formatted(0) == "3")
            // Simple statement with bound values, and the prepared cache.
            let simple = try await client.execute("SELECT name FROM ks.stars WHERE source_id = ?", [.bigint(4)])
            #expect(simple.first?.string(0) == "star 4")
            #expect(try await client.prepare("INSERT INTO ks.stars (source_id, ra, name) VALUES (?, ?, ?)") == insert)
            // USE switches unqualified names.
            try await client.use("ks")
            #expect(client.keyspace == "ks")
            let all = try await client.execute("SELECT source_id FROM stars")
            #expect(Set(all.compactMap { $0.int64(0) }) == Set(0..<5))
        }
    }

    @Test func pagingThroughTenThousandRows() async throws {
        try await withServer { _, client in
            _ = try await client.execute(Self.keyspaceDDL)
            _ = try await client.execute("CREATE TABLE ks.t (p int, c int, v text, PRIMARY KEY (p, c))")
            let insert = try await client.prepare("INSERT INTO ks.t (p, c, v) VALUES (?, ?, ?)")
            // Pipelined: all requests in flight together, over the futures API.
            var futures: [EventLoopFuture<ResultSet>] = []
            for i in 0..<10_000 {
                futures.append(client.executeFuture(insert, [.int(Int32(i % 7)), .int(Int32(i)), .text("v\(i)")]))
            }
            for f in futures { _ = try await f.get() }
            var pages = 0
            for try await page in client.pages("SELECT p, c, v FROM ks.t", options: CQLStatementOptions(pageSize: 1000)) {
                pages += 1
                #expect(page.count <= 1000)
            }
            #expect(pages >= 10)
            var seen = Set<Int32>()
            for try await row in client.rows("SELECT p, c, v FROM ks.t", options: CQLStatementOptions(pageSize: 999)) {
                let c = try #require(row.int32(1))
                #expect(row.string(2) == "v\(c)")
                seen.insert(c)
            }
            #expect(seen.count == 10_000)
        }
    }

    @Test func serverErrorsCarryCassandrasCodes() async throws {
        try await withServer { _, client in
            do {
                _ = try await client.execute("SELEKT * FROM nowhere")
                Issue.record("a syntax error was accepted")
            } catch let e as CQLClientError {
                #expect(e.code == 0x2000)
                #expect(!e.message.isEmpty)
            }
            _ = try await client.execute(Self.keyspaceDDL)
            do {
                _ = try await client.execute("SELECT * FROM ks.no_such_table")
                Issue.record("an unknown table was accepted")
            } catch let e as CQLClientError {
                #expect(e.code == 0x2200)
                #expect(e.message.contains("no_such_table"))
            }
            do {
                _ = try await client.prepare("SELECT * FROM ks.missing WHERE k = ?")
                Issue.record("preparing against an unknown table was accepted")
            } catch let e as CQLClientError {
                #expect(e.code == 0x2200)
            }
        }
    }

    @Test(arguments: [CQLCompression.lz4, .snappy])
    func compressedConnection(_ compression: CQLCompression) async throws {
        try await withServer(compression: compression) { server, client in
            _ = try await client.execute(Self.keyspaceDDL)
            _ = try await client.execute("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
            let long = String(repeating: "compressible ", count: 500)
            _ = try await client.execute("INSERT INTO ks.t (k, v) VALUES (?, ?)", [.int(1), .text(long)])
            let r = try await client.execute("SELECT v FROM ks.t WHERE k = 1")
            #expect(r.first?.string(0) == long)
            let c = try await CQLConnection.connect(host: server.host, port: server.port,
                                                    configuration: CQLConnectionConfiguration(compression: compression))
            #expect(c.compression == compression)
            await c.close()
        }
    }

    @Test func reprepareAfterServerRestart() async throws {
        let first = try ServerProcess()
        defer { first.removeData() }
        try #require(first.port > 0, "server did not start: \(first.log.withLock { $0 })")
        let client = try await HyadesClient.connect(contactPoints: [first.contactPoint])
        _ = try await client.execute(Self.keyspaceDDL)
        _ = try await client.execute("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        let insert = try await client.prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)")
        _ = try await client.execute(insert, [.int(1), .int(10)])
        try await client.use("ks")
        #expect(first.terminate() == 0)

        // Same address, port and data: the node has forgotten its prepared statements.
        let second = try ServerProcess(host: first.host, dataDir: first.dataDir, port: first.port)
        defer { second.terminate() }
        try #require(second.port == first.port, "server did not restart: \(second.log.withLock { $0 })")
        // The pool reconnects in the background; until then requests fail fast.
        var done = false
        for _ in 0..<500 where !done {
            do {
                _ = try await client.execute(insert, [.int(2), .int(20)])
                done = true
            } catch let e as CQLClientError {
                guard e.code == nil else { throw e }   // a server error would be the bug under test
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        #expect(done)
        // Unqualified: the reconnected connection USEd the client's keyspace again.
        let r = try await client.execute("SELECT k, v FROM t")
        #expect(Set(r.compactMap { $0.int32(1) }) == [10, 20])
        #expect(client.keyspace == "ks")
        await client.close()
    }

    @Test func tokenAwareRoutingMatchesTheNodesToken() async throws {
        try await withServer { server, client in
            _ = try await client.execute(Self.keyspaceDDL)
            _ = try await client.execute("CREATE TABLE ks.t (k bigint PRIMARY KEY, v int)")
            _ = try await client.execute("CREATE TABLE ks.c (a int, b text, v int, PRIMARY KEY ((a, b)))")
            #expect(!client.ring.isEmpty)
            let insert = try await client.prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)")
            let composite = try await client.prepare("INSERT INTO ks.c (a, b, v) VALUES (?, ?, ?)")
            #expect(composite.partitionKeyIndexes == [0, 1])
            for k: Int64 in [0, 1, 42, -7, 1 << 40] {
                let values: [CQLValue] = [.bigint(k), .int(1)]
                _ = try await client.execute(insert, values)
                let r = try await client.execute("SELECT token(k) FROM ks.t WHERE k = ?", [.bigint(k)])
                #expect(insert.token(values)?.value == r.first?.int64(0))
                #expect(client.routedHost(insert, values) == server.contactPoint)
            }
            let values: [CQLValue] = [.int(5), .text("five"), .int(1)]
            _ = try await client.execute(composite, values)
            let r = try await client.execute("SELECT token(a, b) FROM ks.c WHERE a = 5 AND b = 'five'")
            #expect(composite.token(values)?.value == r.first?.int64(0))
        }
    }

    @Test func schemaChangeEventsReachTheCallback() async throws {
        let server = try ServerProcess()
        defer { server.terminate(); server.removeData() }
        try #require(server.port > 0, "server did not start: \(server.log.withLock { $0 })")
        let seen = EventLog()
        var config = HyadesClientConfiguration(contactPoints: [server.contactPoint])
        config.connection.onEvent = { seen.append($0) }
        let client = try await HyadesClient.connect(config)
        try await client.register(events: ["SCHEMA_CHANGE"])
        _ = try await client.execute(Self.keyspaceDDL)
        _ = try await client.execute("CREATE TABLE ks.evt (k int PRIMARY KEY)")
        // Events are pushed asynchronously: wait for them (no timing is asserted).
        for _ in 0..<500 where seen.count < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
        let events = seen.all
        #expect(events.contains(.schemaChange(CQLSchemaChange(.created, .keyspace("ks")))))
        #expect(events.contains(.schemaChange(CQLSchemaChange(.created, .table(keyspace: "ks", name: "evt")))))
        await client.close()
    }

    @Test func collectionsAndTuplesDecode() async throws {
        try await withServer { _, client in
            _ = try await client.execute(Self.keyspaceDDL)
            _ = try await client.execute("CREATE TABLE ks.c (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, t frozen<tuple<int, text>>, n int)")
            _ = try await client.execute("INSERT INTO ks.c (k, l, s, m, t) VALUES (1, [3, 1, 2], {'b', 'a'}, {'x': 1, 'y': 2}, (7, 'seven'))")
            let row = try #require(try await client.execute("SELECT l, s, m, t, n FROM ks.c WHERE k = 1").first)
            #expect(row.value(0) == .list([.int(3), .int(1), .int(2)]))
            #expect(row.value(1) == .set([.text("a"), .text("b")]))
            #expect(row.value(2) == .map(keys: [.text("x"), .text("y")], values: [.int(1), .int(2)]))
            #expect(row.value(3) == .tuple([.int(7), .text("seven")]))
            #expect(row.value(4) == .null)
            #expect(row.isNull(4))
            #expect(row.formatted(4) == nil)
            #expect(row.formatted(0) == "[3, 1, 2]")
            #expect(row.formatted(2) == "{'x': 1, 'y': 2}")
        }
    }

    @Test func batchesOfPreparedAndSimpleStatements() async throws {
        try await withServer { _, client in
            _ = try await client.execute(Self.keyspaceDDL)
            _ = try await client.execute("CREATE TABLE ks.b (p int, c int, v text, PRIMARY KEY (p, c))")
            let insert = try await client.prepare("INSERT INTO ks.b (p, c, v) VALUES (?, ?, ?)")
            _ = try await client.batch([
                .prepared(insert, [.int(1), .int(1), .text("one")]),
                .prepared(insert, [.int(1), .int(2), .text("two")]),
                .query("INSERT INTO ks.b (p, c, v) VALUES (1, 3, 'three')"),
            ], kind: .unlogged)
            let rows = try await client.execute("SELECT c, v FROM ks.b WHERE p = 1")
            #expect(rows.map { $0.string(1) ?? "" } == ["one", "two", "three"])
            do {
                _ = try await client.batch([.query("INSERT INTO ks.nowhere (p) VALUES (1)")])
                Issue.record("a batch into an unknown table was accepted")
            } catch let e as CQLClientError {
                #expect(e.code == 0x2200)
            }
        }
    }

    /// Whether all threads of `pid` reached the stopped state ('T' in /proc/PID/task/*/stat).
    static func waitUntilStopped(_ pid: Int32) async -> Bool {
        for _ in 0..<500 {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            let states = tasks.compactMap { tid -> Character? in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return nil }
                return stat[stat.index(close, offsetBy: 2)]
            }
            if !states.isEmpty && states.allSatisfy({ $0 == "T" || $0 == "t" }) { return true }
            try? await Task.sleep(nanoseconds: 2_000_000)
        }
        return false
    }

    @Test func aStalledNodeTimesOutAndTheConnectionRecovers() async throws {
        try await withServer { server, client in
            _ = try await client.execute(Self.keyspaceDDL)
            _ = try await client.execute("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
            // SIGSTOP freezes the real server: requests get no answer until SIGCONT.
            kill(server.process.processIdentifier, SIGSTOP)
            // Whatever happens below, never leave a stopped server behind (SIGTERM would wait forever).
            defer { kill(server.process.processIdentifier, SIGCONT) }
            // kill() only queues the stop: wait until the kernel reports every thread stopped.
            try #require(await Self.waitUntilStopped(server.process.processIdentifier), "the server did not stop")
            do {
                _ = try await client.execute("INSERT INTO ks.t (k, v) VALUES (1, 1)",
                                             options: CQLStatementOptions(timeout: .milliseconds(200)))
                Issue.record("a frozen node answered")
            } catch let e as CQLClientError {
                guard case .timeout = e else { Issue.record("expected a timeout, got \(e)"); return }
            }
            kill(server.process.processIdentifier, SIGCONT)
            // The late answer to the timed-out request arrives on its (reserved) stream
            // and must not be taken for this request's.
            let r = try await client.execute("SELECT v FROM ks.t WHERE k = 1")
            #expect(r.columns.map(\.name) == ["v"])
            _ = try await client.execute("INSERT INTO ks.t (k, v) VALUES (2, 2)")
            #expect(try await client.execute("SELECT v FROM ks.t WHERE k = 2").first?.int32(0) == 2)
        }
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [CQLEvent] = []
    func append(_ e: CQLEvent) { lock.lock(); events.append(e); lock.unlock() }
    var all: [CQLEvent] { lock.lock(); defer { lock.unlock() }; return events }
    var count: Int { all.count }
}
