import Testing
@testable import HyadesCore

@Suite struct SchemaTests {
    let id = TableID(high: 1, low: 2)

    @Test func consistencyLevelCodes() {
        #expect(ConsistencyLevel.any.rawValue == 0 && ConsistencyLevel.localOne.rawValue == 10)
        #expect(ConsistencyLevel.localQuorum.rawValue == 6 && ConsistencyLevel.eachQuorum.rawValue == 7)
        #expect(ConsistencyLevel(rawValue: 8) == .serial)
        #expect(ConsistencyLevel.localQuorum.description == "LOCAL_QUORUM")
        #expect(ConsistencyLevel(name: "local_one") == .localOne)
        #expect(ConsistencyLevel.quorum.blockFor(replicationFactor: 3) == 2)
    }

    @Test func tableParamsDefaults() throws {
        let p = TableParams()
        #expect(p.bloomFilterFpChance == 0.01)
        #expect(p.compaction["class"] == "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy")
        #expect(p.compaction["max_threshold"] == "32" && p.compaction["min_threshold"] == "4")
        #expect(p.compression == ["chunk_length_in_kb": "16", "class": "org.apache.cassandra.io.compress.LZ4Compressor"])
        #expect(p.gcGraceSeconds == 864_000 && p.defaultTimeToLive == 0 && p.speculativeRetry == "99p")
        #expect(p.caching == ["keys": "ALL", "rows_per_partition": "NONE"])
    }

    @Test func tableParamsSetAndValidate() throws {
        var p = TableParams()
        try p.set("compaction", .map(["class": "LeveledCompactionStrategy"]))
        #expect(p.compaction == ["class": "org.apache.cassandra.db.compaction.LeveledCompactionStrategy"])
        try p.set("default_time_to_live", .text("3600"))
        #expect(p.defaultTimeToLive == 3600)
        try p.set("comment", .text("hi"))
        #expect(p.comment == "hi")
        #expect(throws: TableParamsError.self) { try p.set("bloom_filter_fp_chance", .text("2")) }
        #expect(throws: TableParamsError.self) { try p.set("gc_grace_seconds", .text("-1")) }
        #expect(throws: TableParamsError("Unknown property 'nope'")) { try p.set("nope", .text("1")) }
    }

    @Test func tableAccessorsAndKeys() throws {
        let t = TableMetadata(keyspace: "ks", name: "t", id: id,
                              partitionKey: [("a", .int), ("b", .text)],
                              clustering: [("c", .int, .desc)],
                              regular: [("z", .int), ("y", .text)], static: [("s", .int)])
        #expect(t.partitionKeyColumns.map(\.name) == ["a", "b"])
        #expect(t.clusteringColumns.map(\.name) == ["c"])
        #expect(t.clusteringColumns[0].clusteringOrder == .desc)
        #expect(t.regularColumns.map(\.name) == ["y", "z"])
        #expect(t.staticColumns.map(\.name) == ["s"])
        #expect(t.selectStarColumns.map(\.name) == ["a", "b", "c", "s", "y", "z"])
        #expect(t.columns.map(\.id) == [0, 1, 2, 3, 4, 5])
        // Composite key (int 1, text 'a') and its token, from COMPAT.md.
        let key = t.serializePartitionKey([[0, 0, 0, 1], Array("a".utf8)])
        #expect(key == [0, 4, 0, 0, 0, 1, 0, 0, 1, 0x61, 0])
        #expect(t.decoratedKey([[0, 0, 0, 1], Array("a".utf8)]).token.value == 6516349416904725244)
        let single = TableMetadata(keyspace: "ks", name: "u", id: id, partitionKey: [("k", .int)])
        #expect(single.serializePartitionKey([[0, 0, 0, 1]]) == [0, 0, 0, 1])
    }

    @Test func columnIDsAreNeverReused() {
        var t = TableMetadata(keyspace: "ks", name: "t", id: id, partitionKey: [("k", .int)], regular: [("v", .int)])
        #expect(t.nextColumnID == 2)
        t.dropColumn(named: "v", at: 10)
        #expect(t.column(named: "v") == nil)
        #expect(t.droppedColumns == [DroppedColumn(name: "v", type: .int, id: 1, droppedAt: 10)])
        let w = t.addColumn(name: "w", type: .text, kind: .regular)
        #expect(w.id == 2)
        let again = t.addColumn(name: "v", type: .int, kind: .regular)
        #expect(again.id == 3)
        // Rebuilt from stored metadata, the next id still skips dropped ones.
        let copy = TableMetadata(keyspace: "ks", name: "t", id: id, columns: [t.columns[0]], droppedColumns: t.droppedColumns)
        #expect(copy.nextColumnID == 2)
    }

    @Test func replication() {
        #expect(ReplicationParams.canonicalClassName("SimpleStrategy") == ReplicationParams.simpleStrategy)
        let r = ReplicationParams.simple(replicationFactor: 3)
        #expect(r.asMap == ["class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "3"])
        #expect(r.totalReplicationFactor == 3)
    }
}
