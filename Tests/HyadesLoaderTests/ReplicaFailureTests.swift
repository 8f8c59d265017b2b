import Foundation
import HyadesClient
import HyadesCluster
import HyadesCore
import HyadesTestSupport
import Testing
@testable import HyadesLoader

/// A replica that passes the loader's up-front probe (it accepts connections on
/// storage_port) but fails every session: the level decides. A real node on 127.0.0.94
/// and a listener on 127.0.0.95 that accepts and hangs up at once, both on port 7391
/// (addresses of this suite and Tests/Interop/test_cluster_load.py only), placed as one
/// ring at RF 2, so every SSTable has both as replicas.
@Suite(.serialized) struct ReplicaFailureTests {
    static let port = 7391

    @Test func aReplicaFailingEverySessionFailsAllAndIsLeftOutAtOne() async throws {
        let node = try HyadesServerProcess(host: "127.0.0.94", storagePort: Self.port)
        defer { node.terminate(); node.removeData() }
        try #require(node.nativePort > 0 && node.storagePort == Self.port, "server did not start: \(node.log.withLock { $0 })")
        let hangUp = try HangUpListener(host: "127.0.0.95", port: Self.port)
        defer { hangUp.stop() }
        let client = try await HyadesClient.connect(contactPoints: [node.contactPoint])
        _ = try await client.execute("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
        _ = try await client.execute("CREATE TABLE ks.named (source_id bigint PRIMARY KEY, name text, mag double, flag boolean, n int)")
        let dir = LoaderFixtures.tempDir("replicas")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,name,mag,flag,n\n"
        for i in 0..<500 { text += "\(i),x,1,true,1\n" }
        LoaderFixtures.write(text, to: dir + "/r.csv")

        // The node's table and ring as the loader discovers them, plus the hanging-up
        // "node" in the ring: every range has both as replicas at RF 2.
        let found = try await ClusterTarget.discover(host: node.host, port: node.nativePort, storagePort: Self.port,
                                                     keyspace: "ks", table: "named")
        let real = try #require(found.placement.nodes.values.first)
        let fake = LoadNode(hostID: HostID(high: 0xABCD, low: 1), address: "127.0.0.95", location: real.location)
        var tokens: [HostID: [Token]] = [fake.hostID: [Token(-5_000_000_000_000_000_000), Token(4_000_000_000_000_000_000)]]
        tokens[real.hostID] = found.placement.ring.tokens[real.hostID]
        let placement = try LoadPlacement(nodes: [real, fake], tokens: tokens,
                                          replication: ReplicationParams(className: "SimpleStrategy", options: ["replication_factor": "2"]),
                                          localHost: real.hostID)
        var target = ClusterTarget(table: found.table, placement: placement, storagePort: Self.port)
        try target.checkAvailability()   // the listener accepts: the probe sees both up

        func load(_ level: ConsistencyLevel, atomic: Bool = false) throws -> StreamingSink {
            target.consistency = level
            // A timestamp per run: each run's sessions are new ones (the node may not yet
            // have seen the previous run's dropped connections end).
            let timestamp = 1_700_000_000_000_000 + Int64(level.rawValue)
            let sink = StreamingSink(target: target, writeTimestamp: timestamp + (atomic ? 100 : 0))
            sink.atomic = atomic
            let options = LoadOptions(inputs: [dir + "/r.csv"], threads: 1, writeTimestamp: timestamp + (atomic ? 100 : 0),
                                      workDirectory: dir + "/work-\(level)-\(atomic)")
            do {
                _ = try BulkLoader(table: found.table, options: options, sink: sink).run()
            } catch {
                sink.abortStaged()
                throw error
            }
            return sink
        }
        // ALL: every SSTable fails on the hanging-up replica before any COMMIT: nothing is
        // adopted anywhere, and the error names it.
        let error = #expect(throws: (any Error).self) { _ = try load(.all) }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains("--consistency ALL (2 of 2) not reached"), "\(message)")
        #expect(message.contains("127.0.0.95 (host id 00000000-0000-abcd-0000-000000000001)"), "\(message)")
        #expect(try await client.execute("SELECT count(*) FROM ks.named").first?.int64(0) == 0)
        // QUORUM of RF 2 is 2: the same.
        #expect(throws: (any Error).self) { _ = try load(.quorum) }
        // ONE: the real node adopts every SSTable; the failed replica is remembered.
        let sink = try load(.one)
        #expect(try await client.execute("SELECT count(*) FROM ks.named").first?.int64(0) == 500)
        #expect(sink.unreachableNodes[fake.hostID] != nil)
        #expect(sink.committedRows == 500)
        // --atomic at ONE: staged on the real node only, adopted there at the end (the
        // failed replica gets ABORT_LOAD, not ADOPT_LOAD); at ALL nothing is adopted.
        _ = try await client.execute("TRUNCATE ks.named")
        #expect(throws: (any Error).self) { _ = try load(.all, atomic: true) }
        #expect(try await client.execute("SELECT count(*) FROM ks.named").first?.int64(0) == 0)
        let atomic = try load(.one, atomic: true)
        #expect(atomic.adoptedNodes == ["127.0.0.94"])
        #expect(try await client.execute("SELECT count(*) FROM ks.named").first?.int64(0) == 500)
        await client.close()
    }
}

/// Accepts connections and closes each at once (a replica that answers the probe but
/// fails every session).
final class HangUpListener: @unchecked Sendable {
    let fd: Int32
    private let thread: Thread

    init(host: String, port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw LoaderClusterError("cannot listen on \(host):\(port): errno \(errno)")
        }
        let listener = fd
        thread = Thread {
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                close(c)
            }
        }
        thread.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
