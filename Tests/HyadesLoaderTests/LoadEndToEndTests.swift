import Foundation
import HyadesClient
import HyadesCore
import HyadesTestSupport
import Testing

/// `hyades load` as a user runs it, against a real `hyades server` process: rows are
/// counted over CQL afterwards.
@Suite(.serialized) struct LoadEndToEndTests {
    @Test func loadThenCountOverCQLAndLoadAgainGivesTheSameCount() async throws {
        let node = try LoaderNode(host: "127.0.0.47")
        defer { node.stop() }
        try #require(node.nativePort > 0 && node.storagePort > 0, "server did not start: \(node.log.withLock { $0 })")
        let client = try await HyadesClient.connect(contactPoints: ["\(node.host):\(node.nativePort)"])
        _ = try await client.execute("CREATE KEYSPACE gaia WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try await client.execute("""
            CREATE TABLE gaia.dr3 (healpix5 int, source_id bigint, ra double, dec double, phot_g_mean_mag float,
            pmra float, pmdec float, PRIMARY KEY ((healpix5), source_id))
            """)
        let dir = LoaderFixtures.tempDir("e2e")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,ra,dec,phot_g_mean_mag,pmra,pmdec\n"
        var rng = SplitMix(seed: 5)
        var ids = Set<Int64>()
        while ids.count < 3000 { ids.insert(Int64(bitPattern: rng.next() >> 1)) }
        for id in ids.sorted() { text += "\(id),\(Double(id % 360)),\(-1.5),12.5,,0.25\n" }
        text += "not-a-number,1,2,3,4,5\n"
        LoaderFixtures.write(text, to: dir + "/gaia.csv")

        let args = ["load", "-t", "gaia.dr3", "--host", node.host, "--port", String(node.nativePort),
                    "--storage-port", String(node.storagePort), "--derive", "healpix5=healpix(source_id,5)",
                    "--memory", "2MiB", dir + "/gaia.csv"]
        let first = try runHyades(args)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("3001 rows read"), "\(first.output)")
        #expect(first.output.contains("3000 loaded, 1 rejected"), "\(first.output)")
        let count1 = try await client.execute("SELECT count(*) FROM gaia.dr3")
        #expect(count1.first?.int64(0) == 3000)

        // One sky patch holds what the derived healpix5 says.
        let someID = ids.sorted()[1234]
        let row = try await client.execute("SELECT source_id, ra, pmdec, pmra FROM gaia.dr3 WHERE healpix5 = ? AND source_id = ?",
                                           [.int(Int32(someID >> 49)), .bigint(someID)])
        #expect(row.first?.int64(0) == someID)
        #expect(row.first?.double(1) == Double(someID % 360))
        #expect(row.first?.float(2) == 0.25)
        #expect(row.first?.isNull(3) == true)

        // The same load again: same rows, same count (upserts, no duplicates).
        let second = try runHyades(args)
        #expect(second.status == 0, "\(second.output)")
        let count2 = try await client.execute("SELECT count(*) FROM gaia.dr3")
        #expect(count2.first?.int64(0) == 3000)
        // A deleted row and an expiring one: the count reads the rows again (the
        // statistics' row counts no longer say it) and sees both.
        _ = try await client.execute("DELETE FROM gaia.dr3 WHERE healpix5 = ? AND source_id = ?",
                                     [.int(Int32(someID >> 49)), .bigint(someID)])
        let count3 = try await client.execute("SELECT count(*) FROM gaia.dr3")
        #expect(count3.first?.int64(0) == 2999)
        _ = try await client.execute("INSERT INTO gaia.dr3 (healpix5, source_id, ra) VALUES (-1, -5, 1.0) USING TTL 3600")
        let count4 = try await client.execute("SELECT count(*) FROM gaia.dr3")
        #expect(count4.first?.int64(0) == 3000)

        // A re-run with the load's own timestamp (an interrupted load run again): the
        // node has every SSTable's session already and adopts none of them again.
        let fixed = args + ["--timestamp", "1700000000000000"]
        let once = try runHyades(fixed)
        #expect(once.status == 0, "\(once.output)")
        #expect(!once.output.contains("already imported"), "\(once.output)")
        let again = try runHyades(fixed)
        #expect(again.status == 0, "\(again.output)")
        #expect(again.output.contains("were already imported by an earlier run of this load"), "\(again.output)")
        let count5 = try await client.execute("SELECT count(*) FROM gaia.dr3")
        #expect(count5.first?.int64(0) == 3000)

        // A table or keyspace that does not exist is named as such (not as the streaming
        // port's "unconfigured table", asked at the same time).
        for (table, message) in [("gaia.nope", "table gaia.nope does not exist"), ("nope.dr3", "keyspace nope does not exist")] {
            let missing = try runHyades(["load", "-t", table, "--host", node.host, "--port", String(node.nativePort),
                                         "--storage-port", String(node.storagePort), dir + "/gaia.csv"])
            #expect(missing.status != 0)
            #expect(missing.output.contains(message), "\(missing.output)")
        }

        // A wrong column name fails before anything is sent.
        LoaderFixtures.write("source_id,ra,declination\n1,2,3\n", to: dir + "/bad.csv")
        let bad = try runHyades(["load", "-t", "gaia.dr3", "--host", node.host, "--port", String(node.nativePort),
                                 "--storage-port", String(node.storagePort), dir + "/bad.csv"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("CSV column 'declination'"), "\(bad.output)")
        await client.close()
    }
}

/// The loader tests' node: the shared `HyadesServerProcess` with its streaming port.
final class LoaderNode: @unchecked Sendable {
    let server: HyadesServerProcess
    var host: String { server.host }
    var nativePort: Int { server.nativePort }
    var storagePort: Int { server.storagePort }
    var log: LogBuffer { server.log }

    init(host: String) throws { server = try HyadesServerProcess(host: host, storagePort: 0) }

    func stop() {
        server.terminate()
        server.removeData()
    }
}
