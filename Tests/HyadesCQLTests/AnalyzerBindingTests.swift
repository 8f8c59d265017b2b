import Testing
import HyadesCore
@testable import HyadesCQL

/// Bound values, functions and the less common write shapes.
@Suite struct AnalyzerBindingTests {
    typealias F = AnalyzerFixtures

    @Test func markerCountMustMatch() throws {
        guard case .modification(let m) = try F.plan("INSERT INTO kv (k, v) VALUES (?, ?)") else { Issue.record(); return }
        #expect(throws: CQLAnalysisError.invalid("There were 2 markers(?) in CQL but 1 bound variables")) {
            _ = try m.mutation(values: [.value(F.int(1))], timestamp: 1, nowInSeconds: 1)
        }
    }

    @Test func staticOnlyInsertPutsLivenessOnTheStaticRow() throws {
        let m = try F.mutation("INSERT INTO events (p, st) VALUES ('x', 1)", ts: 3, now: 1)
        #expect(m.updates[0].rows.isEmpty)
        #expect(m.updates[0].staticRow == Row(clustering: [], liveness: LivenessInfo(timestamp: 3),
                                              columns: [.simple(3, .live(timestamp: 3, value: F.int(1)))]))
    }

    @Test func emptyPartitionKeyIsRefused() {
        #expect(throws: CQLAnalysisError.invalid("Key may not be empty")) {
            _ = try F.mutation("INSERT INTO events (p, c1, c2) VALUES ('', 1, 2)")
        }
    }

    @Test func collectionLiteralsWithMarkers() throws {
        let p = try F.plan("UPDATE kv SET m = m + {?: ?}, s = s + {?} WHERE k = ?")
        #expect(p.variables.columns.map(\.name) == ["key(m)", "value(m)", "value(s)", "k"])
        #expect(p.variables.columns.map(\.type) == [.text, .int, .text, .int])
        guard case .modification(let m) = p else { return }
        let mut = try m.mutation(values: [.value(F.text("a")), .value(F.int(1)), .value(F.text("z")), .value(F.int(2))],
                                 timestamp: 5, nowInSeconds: 1)
        #expect(mut.updates[0].rows[0].columns == [
            .complex(4, ComplexColumnData(cells: [.live(timestamp: 5, value: [], path: try CellPath.setElement(F.text("z"), elementType: .text))])),
            .complex(5, ComplexColumnData(cells: [.live(timestamp: 5, value: F.int(1), path: try CellPath.mapKey(F.text("a"), keyType: .text))])),
        ])
        #expect(throws: CQLAnalysisError.self) {
            _ = try m.mutation(values: [.null, .value(F.int(1)), .value(F.text("z")), .value(F.int(2))], timestamp: 5, nowInSeconds: 1)
        }
    }

    @Test func frozenSetLiteralIsSortedAndDeduplicated() throws {
        var schema = F.schema
        schema.add(TableMetadata(keyspace: "ks", name: "fs", id: TableID(high: 9, low: 9), partitionKey: [("k", .int)],
                                 regular: [("v", .frozen(.set(.int)))]))
        guard case .modification(let m) = try F.plan("INSERT INTO fs (k, v) VALUES (1, {3, 1, 3})", schema: schema) else { return }
        let mut = try m.mutation(values: [], timestamp: 1, nowInSeconds: 1)
        #expect(mut.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 1, value: CQLLiteral.collection([F.int(1), F.int(3)])))])
    }

    @Test func functionsAndTypeHints() throws {
        var schema = F.schema
        schema.add(TableMetadata(keyspace: "ks", name: "tu", id: TableID(high: 9, low: 8), partitionKey: [("k", .timeuuid)],
                                 regular: [("t", .timestamp)]))
        guard case .modification(let m) = try F.plan("INSERT INTO tu (k, t) VALUES (now(), currentTimestamp())", schema: schema) else { return }
        let mut = try m.mutation(values: [], timestamp: 1_700_000_000_000_000, nowInSeconds: 1)
        let key = mut.updates[0].key.key
        #expect(key.count == 16 && key[6] >> 4 == 1)
        #expect(mut.updates[0].rows[0].columns == [.simple(1, .live(timestamp: 1_700_000_000_000_000, value: F.bigint(1_700_000_000_000)))])
        let hinted = try F.plan("INSERT INTO kv (k, n) VALUES ((int) ?, 1)")
        #expect(hinted.variables.columns.map(\.type) == [.int])
        #expect(F.error("INSERT INTO kv (k, n) VALUES ((text) ?, 1)")?.code == .invalid)
        #expect(F.error("INSERT INTO kv (k, n) VALUES (1, nosuchfn())")?.message == "Unknown function nosuchfn called")
    }

    @Test func protocolBatchOfPreparedStatements() throws {
        guard case .modification(let ins) = try F.plan("INSERT INTO kv (k, v) VALUES (?, ?)"),
              case .modification(let del) = try F.plan("DELETE FROM events WHERE p = ?") else { Issue.record(); return }
        let m = try BatchPlan.mutation(of: [
            (ins, [.value(F.int(1)), .value(F.text("a"))]),
            (ins, [.value(F.int(2)), .value(F.text("b"))]),
            (del, [.value(F.text("x"))]),
        ], timestamp: 10, nowInSeconds: 1)
        #expect(m.updates.map(\.table) == [F.kvID, F.kvID, F.eventsID])
        #expect(m.updates[2].partitionDeletion == DeletionTime(markedForDeleteAt: 10, localDeletionTime: 1))
    }

    @Test func clusteringINMarkerAndTokenEquality() throws {
        let s = try F.select("SELECT * FROM events WHERE p = 'x' AND c1 IN ?")
        #expect(s.variables.columns == [ColumnSpecification(keyspace: "ks", table: "events", name: "in(c1)", type: .list(.int))])
        let slices = try s.clusteringSlices(values: [.value(CQLLiteral.collection([F.int(2), F.int(1)]))])
        #expect(slices.count == 2)
        let t = try F.select("SELECT * FROM kv WHERE token(k) = 5")
        #expect(try t.tokenBounds(values: []) == TokenBounds(lower: Token(5), lowerInclusive: true, upper: Token(5), upperInclusive: true))
        #expect(F.error("SELECT * FROM kv WHERE token(k) > 1 AND k = 1")?.message
            == "Columns \"k\" cannot be restricted by both a normal relation and a token relation")
    }

    @Test func deleteRangeAndErrors() throws {
        let m = try F.mutation("DELETE FROM events WHERE p = 'x' AND c1 >= 1 AND c1 < 3", ts: 4, now: 2)
        let e1 = try ClusteringEncoding.encode([F.int(1)], types: [.int, .int], descending: [false, true])
        let e3 = try ClusteringEncoding.encode([F.int(3)], types: [.int, .int], descending: [false, true])
        #expect(m.updates[0].rangeTombstones == [RangeTombstone(start: e1, end: e3, deletion: DeletionTime(markedForDeleteAt: 4, localDeletionTime: 2))])
        #expect(F.error("DELETE v FROM events WHERE p = 'x' AND c1 > 1")?.message == "Range deletions are not supported for specific columns")
        #expect(F.error("DELETE FROM events USING TTL 5 WHERE p = 'x'")?.code != nil)
        #expect(F.error("DELETE l[0] FROM kv WHERE k = 1")?.message
            == "Deleting list elements by index requires a read, which is not supported yet (column l)")
        #expect(F.error("DELETE k FROM kv WHERE k = 1")?.message == "Invalid identifier k for deletion (should not be a PRIMARY KEY part)")
    }
}

extension AnalyzerBindingTests {
    @Test func oversizedCompositeKeyComponentIsAnErrorNotATrap() throws {
        guard case .modification(let m) = try F.plan("INSERT INTO composite (a, b, c) VALUES (1, ?, 2)") else { Issue.record(); return }
        let big = [UInt8](repeating: 0x61, count: 70_000)
        #expect(throws: CQLAnalysisError.invalid("Key length of 70000 is longer than maximum of 65535")) {
            _ = try m.mutation(values: [.value(big)], timestamp: 1, nowInSeconds: 1)
        }
    }
}
