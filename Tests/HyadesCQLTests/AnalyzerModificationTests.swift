import Testing
import HyadesCore
@testable import HyadesCQL

@Suite struct AnalyzerModificationTests {
    typealias F = AnalyzerFixtures

    func key(_ v: Int32) -> DecoratedKey { DecoratedKey(key: F.int(v)) }

    @Test func insertSimpleRow() throws {
        let m = try F.mutation("INSERT INTO kv (k, v, n) VALUES (1, 'a', 2)", ts: 1000, now: 50)
        let expected = PartitionUpdate(table: F.kvID, key: key(1), rows: [
            Row(clustering: [], liveness: LivenessInfo(timestamp: 1000), columns: [
                .simple(1, .live(timestamp: 1000, value: F.text("a"))),
                .simple(2, .live(timestamp: 1000, value: F.int(2))),
            ]),
        ])
        #expect(m == Mutation([expected]))
        #expect(m.updates[0].key.token.value == -4069959284402364209)
    }

    @Test func insertWithTTLTimestampAndNull() throws {
        let m = try F.mutation("INSERT INTO kv (k, v, n) VALUES (1, null, 2) USING TTL 10 AND TIMESTAMP 5", ts: 1000, now: 50)
        let row = m.updates[0].rows[0]
        #expect(row.liveness == LivenessInfo(timestamp: 5, ttl: 10, localExpirationTime: 60))
        #expect(row.columns == [
            .simple(1, .tombstone(timestamp: 5, nowInSeconds: 50)),
            .simple(2, .expiring(timestamp: 5, ttl: 10, nowInSeconds: 50, value: F.int(2))),
        ])
        // The table's default TTL applies without USING TTL; USING TTL 0 disables it.
        let d = try F.mutation("INSERT INTO ttl (k, v) VALUES (1, 2)", now: 50)
        #expect(d.updates[0].rows[0].liveness.ttl == 100)
        let z = try F.mutation("INSERT INTO ttl (k, v) VALUES (1, 2) USING TTL 0", now: 50)
        #expect(z.updates[0].rows[0].liveness.ttl == 0)
    }

    @Test func preparedInsertWithBindValues() throws {
        let p = try F.plan("INSERT INTO kv (k, v) VALUES (?, :val) USING TTL ?")
        let vars = p.variables
        #expect(vars.columns == [
            ColumnSpecification(keyspace: "ks", table: "kv", name: "k", type: .int),
            ColumnSpecification(keyspace: "ks", table: "kv", name: "val", type: .text),
            ColumnSpecification(keyspace: "ks", table: "kv", name: "[ttl]", type: .int),
        ])
        #expect(vars.partitionKeyIndexes == [0])
        guard case .modification(let m) = p else { Issue.record(); return }
        let mut = try m.mutation(values: [.value(F.int(7)), .unset, .unset], timestamp: 9, nowInSeconds: 1)
        // Unset value: no cell; unset TTL: the default (none).
        #expect(mut.updates[0].rows[0] == Row(clustering: [], liveness: LivenessInfo(timestamp: 9)))
        #expect(throws: CQLAnalysisError.invalid("Invalid null value in condition for column k")) {
            _ = try m.mutation(values: [.null, .unset, .unset], timestamp: 9, nowInSeconds: 1)
        }
        #expect(throws: CQLAnalysisError.invalid("A TTL must be greater or equal to 0, but was -1")) {
            _ = try m.mutation(values: [.value(F.int(7)), .unset, .value(F.int(-1))], timestamp: 9, nowInSeconds: 1)
        }
        // A bound value of the wrong width is refused.
        #expect(throws: CQLAnalysisError.self) {
            _ = try m.mutation(values: [.value([1, 2]), .unset, .unset], timestamp: 9, nowInSeconds: 1)
        }
    }

    @Test func compositePartitionKeyIndexes() throws {
        let p = try F.plan("INSERT INTO composite (v, b, c, a) VALUES (?, ?, ?, ?)")
        #expect(p.variables.partitionKeyIndexes == [3, 1])
        guard case .modification(let m) = p else { return }
        let mut = try m.mutation(values: [.value(F.int(0)), .value(F.text("a")), .value(F.int(5)), .value(F.int(1))],
                                 timestamp: 1, nowInSeconds: 1)
        #expect(mut.updates[0].key.token.value == 6516349416904725244)
        #expect(mut.updates[0].rows[0].clustering == [0x40, 0x80, 0, 0, 5])
    }

    @Test func updateDoesNotWriteLiveness() throws {
        let m = try F.mutation("UPDATE kv SET n = 3 WHERE k = 1", ts: 10, now: 1)
        #expect(m.updates == [PartitionUpdate(table: F.kvID, key: key(1), rows: [
            Row(clustering: [], columns: [.simple(2, .live(timestamp: 10, value: F.int(3)))]),
        ])])
    }

    @Test func updateWithINOnPartitionKey() throws {
        let m = try F.mutation("UPDATE kv SET n = 3 WHERE k IN (1, 2, 1)")
        #expect(m.updates.map(\.key) == [key(1), key(2)])
        let p = try F.plan("UPDATE kv SET n = ? WHERE k IN ?")
        #expect(p.variables.columns.map(\.name) == ["n", "in(k)"])
        #expect(p.variables.columns[1].type == .list(.int))
        #expect(p.variables.partitionKeyIndexes == [])
        guard case .modification(let plan) = p else { return }
        let list = CQLLiteral.collection([F.int(4), F.int(5)])
        let mut = try plan.mutation(values: [.value(F.int(1)), .value(list)], timestamp: 1, nowInSeconds: 1)
        #expect(mut.updates.map(\.key) == [key(4), key(5)])
    }

    @Test func clusteringAndStatic() throws {
        let m = try F.mutation("INSERT INTO events (p, c1, c2, v, st) VALUES ('x', 1, 2, 3, 4)", ts: 7, now: 1)
        let u = m.updates[0]
        let ck = try ClusteringEncoding.encode([F.int(1), F.int(2)], types: [.int, .int], descending: [false, true])
        #expect(u.rows == [Row(clustering: ck, liveness: LivenessInfo(timestamp: 7), columns: [.simple(4, .live(timestamp: 7, value: F.int(3)))])])
        #expect(u.staticRow == Row(clustering: [], columns: [.simple(3, .live(timestamp: 7, value: F.int(4)))]))
        // Only static columns: no clustering needed.
        let s = try F.mutation("UPDATE events SET st = 1 WHERE p = 'x'")
        #expect(s.updates[0].rows.isEmpty && s.updates[0].staticRow != nil)
        #expect(F.error("UPDATE events SET st = 1 WHERE p = 'x' AND c1 = 1 AND c2 = 2")?.message
            == "Invalid restrictions on clustering columns since the UPDATE statement modifies only static columns")
        // IN on clustering gives several rows, sorted by clustering bytes.
        let multi = try F.mutation("UPDATE events SET v = 0 WHERE p = 'x' AND c1 = 1 AND c2 IN (1, 2)")
        #expect(multi.updates[0].rows.count == 2)
        let rows = multi.updates[0].rows.map(\.clustering)
        #expect(rows == rows.sorted { ByteOrder.compare($0, $1) < 0 })
    }

    @Test func collections() throws {
        let set = try F.mutation("UPDATE kv SET s = {'b', 'a'} WHERE k = 1", ts: 10, now: 2)
        guard case .complex(4, let cd) = set.updates[0].rows[0].columns[0] else { Issue.record(); return }
        #expect(cd.deletion == DeletionTime(markedForDeleteAt: 9, localDeletionTime: 2))
        #expect(cd.cells.map(\.path) == [try CellPath.setElement(F.text("a"), elementType: .text),
                                         try CellPath.setElement(F.text("b"), elementType: .text)])
        #expect(cd.cells.allSatisfy { $0.value.isEmpty && $0.timestamp == 10 })

        let put = try F.mutation("UPDATE kv SET m['x'] = 5 WHERE k = 1", ts: 10, now: 2)
        #expect(put.updates[0].rows[0].columns == [.complex(5, ComplexColumnData(cells: [
            .live(timestamp: 10, value: F.int(5), path: try CellPath.mapKey(F.text("x"), keyType: .text)),
        ]))])

        let removeKeys = try F.mutation("UPDATE kv SET m = m - {'x'} WHERE k = 1", ts: 10, now: 2)
        #expect(removeKeys.updates[0].rows[0].columns == [.complex(5, ComplexColumnData(cells: [
            .tombstone(timestamp: 10, nowInSeconds: 2, path: try CellPath.mapKey(F.text("x"), keyType: .text)),
        ]))])

        let append = try F.mutation("UPDATE kv SET l = l + [1, 2] WHERE k = 1", ts: 10, now: 2)
        let prepend = try F.mutation("UPDATE kv SET l = [0] + l WHERE k = 1", ts: 11, now: 2)
        guard case .complex(3, let a) = append.updates[0].rows[0].columns[0],
              case .complex(3, let b) = prepend.updates[0].rows[0].columns[0] else { Issue.record(); return }
        #expect(a.deletion.isLive && a.cells.map(\.value) == [F.int(1), F.int(2)])
        #expect(a.cells.allSatisfy { $0.path.count == 16 })
        // A later prepend still sorts before every appended element.
        #expect(ByteOrder.compare(b.cells[0].path, a.cells[0].path) < 0)

        // A frozen collection is one cell holding the whole value.
        let frozen = try F.mutation("UPDATE kv SET f = [3, 1] WHERE k = 1", ts: 10, now: 2)
        #expect(frozen.updates[0].rows[0].columns == [.simple(6, .live(timestamp: 10, value: CQLLiteral.collection([F.int(3), F.int(1)])))])

        #expect(F.error("UPDATE kv SET l[0] = 1 WHERE k = 1")?.message
            == "Setting list elements by index requires a read, which is not supported yet (column l)")
        #expect(F.error("UPDATE kv SET n = n + 1 WHERE k = 1")?.message
            == "Invalid operation (n = n + ?) for non counter column n")
    }

    @Test func udtValues() throws {
        let m = try F.mutation("INSERT INTO people (k, home, work) VALUES (1, {street: 'x', zip: 5}, {zip: 6})", ts: 3, now: 1)
        let cols = m.updates[0].rows[0].columns
        #expect(cols[0] == .simple(1, .live(timestamp: 3, value: CQLLiteral.tuple([F.text("x"), F.int(5)]))))
        #expect(cols[1] == .complex(2, ComplexColumnData(deletion: DeletionTime(markedForDeleteAt: 2, localDeletionTime: 1),
                                                         cells: [.live(timestamp: 3, value: F.int(6), path: [0, 1])])))
        #expect(F.error("INSERT INTO people (k, home) VALUES (1, {nope: 1})")?.message
            == "Unknown field 'nope' in value of user defined type address")
    }

    @Test func deletes() throws {
        let ts: Int64 = 100, now: Int32 = 9
        let del = DeletionTime(markedForDeleteAt: ts, localDeletionTime: now)
        let partition = try F.mutation("DELETE FROM events WHERE p = 'x'", ts: ts, now: now)
        #expect(partition.updates == [PartitionUpdate(table: F.eventsID, key: DecoratedKey(key: F.text("x")), partitionDeletion: del)])

        let row = try F.mutation("DELETE FROM events WHERE p = 'x' AND c1 = 1 AND c2 = 2", ts: ts, now: now)
        let ck = try ClusteringEncoding.encode([F.int(1), F.int(2)], types: [.int, .int], descending: [false, true])
        #expect(row.updates[0].rows == [Row(clustering: ck, deletion: del)])

        let prefix = try F.mutation("DELETE FROM events WHERE p = 'x' AND c1 = 1", ts: ts, now: now)
        let p1 = try ClusteringEncoding.encode([F.int(1)], types: [.int, .int], descending: [false, true])
        #expect(prefix.updates[0].rangeTombstones == [RangeTombstone(start: p1, end: p1 + [0x41], deletion: del)])

        // c2 is DESC: c2 > 5 is the bytes before enc(5).
        let slice = try F.mutation("DELETE FROM events WHERE p = 'x' AND c1 = 1 AND c2 > 5", ts: ts, now: now)
        let p15 = try ClusteringEncoding.encode([F.int(1), F.int(5)], types: [.int, .int], descending: [false, true])
        #expect(slice.updates[0].rangeTombstones == [RangeTombstone(start: p1, end: p15, deletion: del)])

        let cells = try F.mutation("DELETE v, m['a'] FROM kv WHERE k = 1", ts: ts, now: now)
        #expect(cells.updates[0].rows[0].columns == [
            .simple(1, .tombstone(timestamp: ts, nowInSeconds: now)),
            .complex(5, ComplexColumnData(cells: [.tombstone(timestamp: ts, nowInSeconds: now,
                                                             path: try CellPath.mapKey(F.text("a"), keyType: .text))])),
        ])
        let whole = try F.mutation("DELETE l FROM kv WHERE k = 1", ts: ts, now: now)
        #expect(whole.updates[0].rows[0].columns == [.complex(3, ComplexColumnData(deletion: del, cells: []))])
        let noCK = try F.mutation("DELETE FROM kv WHERE k = 1", ts: ts, now: now)
        #expect(noCK.updates[0].partitionDeletion == del)
    }

    @Test func batch() throws {
        let m = try F.mutation("""
            BEGIN UNLOGGED BATCH USING TIMESTAMP 42
              INSERT INTO kv (k, v) VALUES (?, ?);
              UPDATE kv SET n = ? WHERE k = 1;
              DELETE FROM events WHERE p = 'z';
            APPLY BATCH
            """, [.value(F.int(1)), .value(F.text("a")), .value(F.int(9))], ts: 1000, now: 5)
        // The two kv statements merge into one partition update and one row.
        #expect(m.updates.count == 2)
        #expect(m.updates[0].rows == [Row(clustering: [], liveness: LivenessInfo(timestamp: 42), columns: [
            .simple(1, .live(timestamp: 42, value: F.text("a"))),
            .simple(2, .live(timestamp: 42, value: F.int(9))),
        ])])
        #expect(m.updates[1].partitionDeletion.markedForDeleteAt == 42)
        let p = try F.plan("BEGIN BATCH INSERT INTO kv (k, v) VALUES (?, ?); UPDATE kv SET n = ? WHERE k = ?; APPLY BATCH")
        #expect(p.variables.columns.map(\.name) == ["k", "v", "n", "k"])
        #expect(F.error("BEGIN BATCH USING TIMESTAMP 1 INSERT INTO kv (k) VALUES (1) USING TIMESTAMP 2; APPLY BATCH")?.message
            == "Timestamp must be set either on BATCH or individual statements")
    }

    @Test func commonMistakes() {
        #expect(F.error("INSERT INTO nope (k) VALUES (1)")?.message == "unconfigured table nope")
        #expect(F.error("INSERT INTO kv (k, zz) VALUES (1, 2)")?.message == "Undefined column name zz in table ks.kv")
        #expect(F.error("INSERT INTO kv (v) VALUES ('a')")?.message == "Some partition key parts are missing: k")
        #expect(F.error("INSERT INTO events (p, c1, v) VALUES ('a', 1, 2)")?.message == "Some clustering keys are missing: c2")
        #expect(F.error("INSERT INTO kv (k, n) VALUES (1, 3.5)")?.message == "Invalid FLOAT constant (3.5) for \"n\" of type int")
        #expect(F.error("INSERT INTO kv (k, n) VALUES ('a', 1)")?.message == "Invalid STRING constant (a) for \"k\" of type int")
        #expect(F.error("INSERT INTO kv (k, k) VALUES (1, 1)")?.message == "The column names contains duplicates")
        #expect(F.error("INSERT INTO kv (k, v) VALUES (1)")?.message == "Unmatched column names/values")
        #expect(F.error("UPDATE kv SET n = 1 WHERE v = 'a'")?.message == "Non PRIMARY KEY columns found in where clause: v ")
        #expect(F.error("UPDATE kv SET n = 1 WHERE k > 1")?.message
            == "Only EQ and IN relation are supported on the partition key (unless you use the token() function)")
        #expect(F.error("UPDATE kv SET k = 1 WHERE k = 1")?.message == "PRIMARY KEY part k found in SET part")
        #expect(F.error("UPDATE events SET v = 1 WHERE p = 'x' AND c1 = 1")?.message == "Some clustering keys are missing: c2")
        #expect(F.error("UPDATE kv SET n = 1 WHERE k = 1 IF n = 2")?.message == "Conditional updates (IF ...) are not supported yet")
        #expect(F.error("INSERT INTO kv (k) VALUES (1) IF NOT EXISTS")?.code == .invalid)
        #expect(F.error("DELETE v FROM events WHERE p = 'x'")?.code == .invalid)
        #expect(F.error("INSERT INTO kv (k) VALUES (1)", keyspace: nil)?.message
            == "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
    }
}
