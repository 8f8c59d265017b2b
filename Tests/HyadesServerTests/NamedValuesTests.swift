import Foundation
import HyadesProtocol
import HyadesServer
import NIOCore
import Testing

/// QUERY / EXECUTE flag 0x40: values bound by name, whatever their order on the wire.
@Suite struct NamedValuesTests {
    @Test func valuesBindByNameNotPosition() async throws {
        let n = try await RunningNode()
        defer { n.remove() }
        let c = try await n.client()
        _ = try await c.query("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await c.query("CREATE TABLE ks.t (k int PRIMARY KEY, v text)")
        // Named markers, values sent in the opposite order.
        _ = try await c.query("INSERT INTO ks.t (k, v) VALUES (:key, :val)",
                              CQLQueryParameters(values: [textValue("one"), int32Value(1)], valueNames: ["val", "key"]))
        // Plain `?` markers are named after their columns.
        _ = try await c.query("INSERT INTO ks.t (k, v) VALUES (?, ?)",
                              CQLQueryParameters(values: [textValue("two"), int32Value(2)], valueNames: ["v", "k"]))
        let r = try await c.rows("SELECT k, v FROM ks.t WHERE k IN (1, 2)")
        #expect(r.rows.map { $0[1]?.text } == ["one", "two"])
        // EXECUTE of a prepared statement with named values.
        guard case .result(.prepared(let p)) = try await c.send(.prepare("SELECT v FROM ks.t WHERE k = :key")) else {
            Issue.record("PREPARE failed"); return
        }
        guard case .result(.rows(let rows)) = try await c.send(.execute(id: p.id, CQLQueryParameters(values: [int32Value(2)], valueNames: ["key"]))) else {
            Issue.record("EXECUTE failed"); return
        }
        #expect(try rows.decodedRows().first?[0]?.text == "two")
        // A name no marker has, and a marker without a value, are clear errors.
        let unknown = try await c.send(.query("SELECT v FROM ks.t WHERE k = :key",
                                              CQLQueryParameters(values: [int32Value(1)], valueNames: ["nope"])))
        guard case .error(let e) = unknown else { Issue.record("got \(unknown)"); return }
        #expect(e.code == 0x2200 && e.message.contains("key"))
        await c.close()
        try await n.stop()
    }
}
