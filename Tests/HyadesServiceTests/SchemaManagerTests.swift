import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Testing
@testable import HyadesService

@Suite struct SchemaManagerTests {
    @Test func schemaChangesPersistAcrossRestartAndChangeVersion() throws {
        let node = try TestNode()
        let v0 = node.schema.schemaVersion
        try node.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        let v1 = node.schema.schemaVersion
        #expect(v1 != v0)
        try node.run("CREATE TABLE ks.t (k int, c text, v bigint, s text static, PRIMARY KEY (k, c)) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'hello'")
        #expect(node.schema.schemaVersion != v1)
        try node.run("CREATE TYPE ks.point (x double, y double)")
        try node.run("ALTER TABLE ks.t ADD p frozen<point>")
        let before = node.schema.snapshot
        let table = try #require(before.table(keyspace: "ks", name: "t"))
        #expect(FileManager.default.fileExists(atPath: node.schema.directory(of: table)))
        let version = node.schema.schemaVersion

        try node.restart()
        #expect(node.schema.snapshot == before)
        #expect(node.schema.schemaVersion == version)
        #expect(node.schema.tableStore(table.id) != nil)
    }

    @Test func dropTableRemovesFilesAndStore() throws {
        let node = try TestNode()
        try node.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        try node.run("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        try node.run("INSERT INTO ks.t (k, v) VALUES (1, 2)")
        let t = try #require(node.schema.table(keyspace: "ks", name: "t"))
        try node.schema.tableStore(t.id)!.flush()
        let dir = node.schema.directory(of: t)
        #expect(try !FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        try node.run("DROP TABLE ks.t")
        #expect(node.schema.tableStore(t.id) == nil)
        #expect(!FileManager.default.fileExists(atPath: dir))
        try node.run("DROP KEYSPACE ks")
        try node.restart()
        #expect(node.schema.keyspace(named: "ks") == nil)
    }

    @Test func corruptSchemaFileIsAnErrorNamingTheFile() throws {
        let keyspaces = [KeyspaceMetadata(name: "ks", replication: .simple(replicationFactor: 1))]
        var bytes = try SchemaFile.encode(keyspaces)
        #expect(try SchemaFile.decode(bytes, path: "x") == keyspaces)
        bytes[bytes.count - 2] ^= 0x20
        #expect(throws: SchemaFileError.self) { try SchemaFile.decode(bytes, path: "x") }
        #expect(throws: SchemaFileError.self) { try SchemaFile.decode(Array(bytes.prefix(10)), path: "x") }
    }
}
