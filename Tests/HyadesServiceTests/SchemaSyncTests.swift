import Foundation
import HyadesCore
import HyadesService
import Testing

/// Whole schemas between nodes (`SchemaManager+Sync.swift`): the newer one wins, the older
/// is ignored, tables it lacks keep their files, and the timestamp survives a restart.
@Suite struct SchemaSyncTests {
    @Test func theNewerSchemaWinsAndNothingIsDeleted() throws {
        let a = try TestNode(), b = try TestNode()
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try a.run("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        try a.run("INSERT INTO ks.t (k, v) VALUES (1, 2)")
        #expect(a.schema.schemaTimestamp > 0 && b.schema.schemaTimestamp == 0)

        // b adopts a's schema: same tables (same ids), same version; the data of a is a's.
        let (ts, bytes) = a.schema.syncSnapshot
        #expect(try b.schema.adopt(bytes, timestamp: ts, from: "a"))
        #expect(b.schema.snapshot == a.schema.snapshot)
        #expect(b.schema.schemaVersion == a.schema.schemaVersion)
        #expect(b.schema.schemaTimestamp == ts)
        try b.run("INSERT INTO ks.t (k, v) VALUES (5, 6)")
        // The same schema again, or an older one: ignored.
        #expect(try !b.schema.adopt(bytes, timestamp: ts, from: "a"))
        #expect(try !b.schema.adopt(bytes, timestamp: ts - 1, from: "a"))

        // a drops the table later: b takes the drop but keeps the table's files.
        let t = try #require(b.schema.table(keyspace: "ks", name: "t"))
        try b.schema.tableStore(t.id)!.flush()
        try a.run("DROP TABLE ks.t")
        let (ts2, bytes2) = a.schema.syncSnapshot
        #expect(ts2 > ts)
        #expect(try b.schema.adopt(bytes2, timestamp: ts2, from: "a"))
        #expect(b.schema.table(keyspace: "ks", name: "t") == nil)
        #expect(b.schema.tableStore(t.id) == nil)
        #expect(try !FileManager.default.contentsOfDirectory(atPath: b.schema.directory(of: t)).isEmpty)

        // A local change afterwards is newer than anything adopted, and survives a restart.
        try b.run("CREATE TABLE ks.u (k int PRIMARY KEY)")
        let local = b.schema.schemaTimestamp
        #expect(local > ts2)
        try b.restart()
        #expect(b.schema.schemaTimestamp == local)
        #expect(b.schema.table(keyspace: "ks", name: "u") != nil)
        // A damaged snapshot is an error naming where it came from, and changes nothing.
        var broken = bytes2
        broken[broken.count / 2] ^= 0xFF
        #expect(throws: (any Error).self) { try b.schema.adopt(broken, timestamp: local + 10, from: "peer x") }
        #expect(b.schema.table(keyspace: "ks", name: "u") != nil)
    }
}
