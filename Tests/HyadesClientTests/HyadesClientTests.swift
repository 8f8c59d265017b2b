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
        let r = try await client.execute("SELECT k, v FROM ks.t")
        #expect(Set(r.compactMap { $0.int32(1) }) == [10, 20])
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
}
