import Foundation
import HyadesCore
import HyadesCQL
import Testing
@testable import HyadesService

/// Schemas merged object by object (`SchemaClock`): concurrent DDL on two nodes keeps both
/// nodes' objects, the later version of one object wins everywhere, drops win over older
/// versions and lose to later re-creations, and the merge is the same in both directions.
@Suite struct SchemaMergeTests {
    /// Pushes `from`'s schema to `to` as SCHEMA_PUSH does; returns whether `from` is behind.
    @discardableResult
    func push(_ from: TestNode, to: TestNode) throws -> Bool {
        let (ts, clock, bytes) = from.schema.syncParts
        return try to.schema.merge(bytes, clock: clock, timestamp: ts, from: "peer").peerIsBehind
    }

    func exchange(_ a: TestNode, _ b: TestNode) throws {
        if try push(a, to: b) { try push(b, to: a) }
        if try push(b, to: a) { try push(a, to: b) }
    }

    @Test func tablesCreatedConcurrentlyOnTwoNodesBothSurvive() throws {
        let a = try TestNode(), b = try TestNode()
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try push(a, to: b)
        // Neither has seen the other's table yet.
        try a.run("CREATE TABLE ks.x (k int PRIMARY KEY)")
        try b.run("CREATE TABLE ks.y (k int PRIMARY KEY, v text)")
        try a.run("INSERT INTO ks.x (k) VALUES (1)")
        try exchange(a, b)
        for n in [a, b] {
            #expect(n.schema.table(keyspace: "ks", name: "x") != nil)
            #expect(n.schema.table(keyspace: "ks", name: "y") != nil)
        }
        #expect(a.schema.snapshot == b.schema.snapshot)
        #expect(a.schema.schemaVersion == b.schema.schemaVersion)
        #expect(try a.rows("SELECT k FROM ks.x").rowCount == 1)   // a's table kept its data
    }

    @Test func theSameTableCreatedTwiceEndsAsOneTableEverywhere() throws {
        let a = try TestNode(), b = try TestNode()
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try push(a, to: b)
        try a.run("CREATE TABLE ks.t (k int PRIMARY KEY, a int)")
        Thread.sleep(forTimeInterval: 0.002)
        try b.run("CREATE TABLE ks.t (k int PRIMARY KEY, b text)")   // later: wins
        try exchange(a, b)
        let ta = try #require(a.schema.table(keyspace: "ks", name: "t"))
        let tb = try #require(b.schema.table(keyspace: "ks", name: "t"))
        #expect(ta == tb && ta.columns.contains { $0.name == "b" })
    }

    @Test func dropsWinOverOlderVersionsAndLoseToLaterOnes() throws {
        let a = try TestNode(), b = try TestNode()
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try a.run("CREATE TABLE ks.gone (k int PRIMARY KEY)")
        try a.run("CREATE TABLE ks.back (k int PRIMARY KEY)")
        try push(a, to: b)
        try a.run("DROP TABLE ks.gone")
        try a.run("DROP TABLE ks.back")
        try b.run("CREATE TABLE ks.other (k int PRIMARY KEY)")
        Thread.sleep(forTimeInterval: 0.002)
        // b re-creates `back` after a dropped it: the re-creation is later and stays.
        try b.run("DROP TABLE ks.back")
        try b.run("CREATE TABLE ks.back (k int PRIMARY KEY, v int)")
        try exchange(a, b)
        for n in [a, b] {
            #expect(n.schema.table(keyspace: "ks", name: "gone") == nil)
            #expect(n.schema.table(keyspace: "ks", name: "other") != nil)
            #expect(n.schema.table(keyspace: "ks", name: "back")?.columns.contains { $0.name == "v" } == true)
        }
        #expect(a.schema.snapshot == b.schema.snapshot)
    }

    @Test func aDroppedKeyspaceTakesItsOlderTablesWithIt() throws {
        let a = try TestNode(), b = try TestNode()
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try a.run("CREATE TABLE ks.t (k int PRIMARY KEY)")
        try push(a, to: b)
        try b.run("DROP KEYSPACE ks")
        try exchange(a, b)
        #expect(a.schema.keyspace(named: "ks") == nil && b.schema.keyspace(named: "ks") == nil)
        // Created again later, with a new table only.
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try a.run("CREATE TABLE ks.n (k int PRIMARY KEY)")
        try exchange(a, b)
        #expect(b.schema.keyspace(named: "ks")?.tables.keys.sorted() == ["n"])
    }

    @Test func theClockSurvivesARestartAndOldSchemasGetOne() throws {
        let a = try TestNode()
        try a.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try a.run("CREATE TABLE ks.t (k int PRIMARY KEY)")
        let clock = a.schema.schemaClock
        #expect(clock.live["t:ks.t"] != nil && clock.live["k:ks"] != nil)
        try a.restart()
        #expect(a.schema.schemaClock == clock)
        // No clock file (a schema from before clocks): every object as of the schema's time.
        try FileManager.default.removeItem(atPath: a.root + "/data/schema-clock.txt")
        try a.restart()
        #expect(a.schema.schemaClock.live["t:ks.t"] == a.schema.schemaTimestamp)
    }

    @Test func mergeIsTheSameInBothDirections() {
        let ks1 = KeyspaceMetadata(name: "ks", replication: .simple(replicationFactor: 1))
        var ks2 = ks1
        ks2.replication = .simple(replicationFactor: 3)
        let a = InMemorySchema([ks1]), b = InMemorySchema([ks2])
        let ca = SchemaClock(live: ["k:ks": 5]), cb = SchemaClock(live: ["k:ks": 5])   // a tie
        let (ab, cab) = SchemaClock.merge(a, ca, b, cb)
        let (ba, cba) = SchemaClock.merge(b, cb, a, ca)
        #expect(ab == ba && cab == cba)
    }
}
