import Foundation
import HyadesCore
import HyadesProtocol
import HyadesServer
import NIOCore
import Testing

/// Prepared statements across schema changes, seen by a raw-frame client that sets
/// SKIP_METADATA on every EXECUTE as the Java driver (and so the Spark Cassandra
/// Connector) does: it decodes rows with the metadata PREPARE returned, so a statement
/// whose columns changed must answer UNPREPARED, never rows of another shape.
@Suite struct PreparedEvictionTests {
    static let skip = CQLQueryParameters(values: [int32Value(1)], skipMetadata: true)

    func prepare(_ c: TestClient, _ cql: String) async throws -> CQLPrepared {
        let r = try await c.send(.prepare(cql))
        guard case .result(.prepared(let p)) = r else { throw UnexpectedResponse(response: r) }
        return p
    }

    /// EXECUTE with SKIP_METADATA: the row's values (nil = null) or the error.
    func execute(_ c: TestClient, _ id: [UInt8]) async throws -> Result<[ByteBuffer?], CQLErrorMessage> {
        let r = try await c.send(.execute(id: id, Self.skip))
        switch r {
        case .result(.rows(let rows)):
            #expect(rows.metadata.columns == nil)   // skipped as asked
            return .success(try rows.decodedRows().first ?? [])
        case .error(let e): return .failure(e)
        default: throw UnexpectedResponse(response: r)
        }
    }

    func isUnprepared(_ r: Result<[ByteBuffer?], CQLErrorMessage>, _ id: [UInt8]) -> Bool {
        if case .failure(let e) = r, e.kind == .unprepared(id: id) { return true }
        return false
    }

    @Test func alterTableEvictsAndRepreparingGivesTheNewColumns() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await n.client()
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY, a int, b text)")
        _ = try await c.query("INSERT INTO ks.t (k, a, b) VALUES (1, 10, 'x')")
        let p = try await prepare(c, "SELECT * FROM ks.t WHERE k = ?")
        #expect(p.resultMetadata.columns?.map(\.name) == ["k", "a", "b"])
        let before = try await execute(c, p.id).get()
        #expect(before.count == 3 && before[2]?.text == "x")

        _ = try await c.query("ALTER TABLE ks.t ADD aa int")
        _ = try await c.query("UPDATE ks.t SET aa = 5 WHERE k = 1")
        // The old id no longer runs: decoding 4 values with 3 columns of metadata would
        // hand the client aa's bytes as b.
        #expect(isUnprepared(try await execute(c, p.id), p.id))
        let again = try await prepare(c, "SELECT * FROM ks.t WHERE k = ?")
        #expect(again.id == p.id)   // Cassandra's id: a digest of keyspace and text
        #expect(again.resultMetadata.columns?.map(\.name) == ["k", "a", "aa", "b"])
        let after = try await execute(c, again.id).get()
        #expect(after.count == 4 && after[2]?.int32 == 5 && after[3]?.text == "x")
        await c.close()
        try await n.stop()
    }

    @Test func onlyChangesThatCanAlterColumnsEvict() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await n.client()
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE KEYSPACE other WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        _ = try await c.query("CREATE TABLE ks.u (k int PRIMARY KEY, v int)")
        _ = try await c.query("INSERT INTO ks.t (k, v) VALUES (1, 2)")
        let t = try await prepare(c, "SELECT * FROM ks.t WHERE k = ?")
        let insert = try await prepare(c, "INSERT INTO ks.t (k, v) VALUES (?, 3)")

        // Unrelated changes keep it: another table, another keyspace, a new type, replication.
        _ = try await c.query("CREATE TABLE ks.w (k int PRIMARY KEY)")
        _ = try await c.query("ALTER TABLE ks.u ADD x int")
        _ = try await c.query("DROP KEYSPACE other")
        _ = try await c.query("CREATE TYPE ks.point (x int, y int)")
        _ = try await c.query("ALTER KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        #expect(try await execute(c, t.id).get().count == 2)

        // Table options that change nothing a statement does keep it (as Cassandra's
        // changeAffectsPreparedStatements); the default TTL does not.
        _ = try await c.query("ALTER TABLE ks.t WITH comment = 'c'")
        #expect(try await execute(c, t.id).get().count == 2)
        _ = try await c.query("ALTER TABLE ks.t WITH default_time_to_live = 100")
        #expect(isUnprepared(try await execute(c, t.id), t.id))
        _ = try await prepare(c, "SELECT * FROM ks.t WHERE k = ?")
        // Dropping the table evicts every statement on it.
        _ = try await c.query("DROP TABLE ks.t")
        #expect(isUnprepared(try await execute(c, t.id), t.id))
        let insertAfterDrop = try await c.send(.execute(id: insert.id, CQLQueryParameters(values: [int32Value(1)])))
        guard case .error(let e) = insertAfterDrop else { Issue.record("got \(insertAfterDrop)"); return }
        #expect(e.kind == .unprepared(id: insert.id))
        // Re-preparing against the dropped table is the client's error.
        let gone = try await c.send(.prepare("SELECT * FROM ks.t WHERE k = ?"))
        guard case .error(let missing) = gone else { Issue.record("got \(gone)"); return }
        #expect(missing.code == 0x2200)

        // A keyspace dropped takes its statements.
        let u = try await prepare(c, "SELECT * FROM ks.u WHERE k = ?")
        _ = try await c.query("DROP KEYSPACE ks")
        #expect(isUnprepared(try await execute(c, u.id), u.id))
        await c.close()
        try await n.stop()
    }
}
