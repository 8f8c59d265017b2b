import Foundation
import Testing

/// `tools/cluster` as a developer runs it: two real nodes on 127.0.0.1 and 127.0.0.2.
@Suite struct ClusterToolTests {
    @Test func startsTwoNodesListsThemAndStopsThem() throws {
        let dir = Ops.temporaryDirectory("cluster")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = Ops.freePort(on: ["127.0.0.1", "127.0.0.2"])
        try #require(port > 0)
        // Its own storage_port too: other suites' nodes on these addresses use 7000.
        var storagePort = Ops.freePort(on: ["127.0.0.1", "127.0.0.2"])
        while storagePort == port { storagePort = Ops.freePort(on: ["127.0.0.1", "127.0.0.2"]) }
        try #require(storagePort > 0)
        let tool = Ops.repository + "/tools/cluster"
        let env = ["HYADES_BIN": Ops.hyades, "HYADES_CLUSTER_DIR": dir + "/cluster"]
        defer { _ = try? Ops.run(tool, ["clear"], environment: env) }

        let started = try Ops.run(tool, ["start", "2", "--port", "\(port)", "--storage-port", "\(storagePort)"], environment: env)
        try #require(started.status == 0, "start failed: \(started.out) \(started.err)")
        #expect(started.out.contains("node1: started"))
        #expect(started.out.contains("node2: started"))
        #expect(Ops.accepts("127.0.0.1", port))
        #expect(Ops.accepts("127.0.0.2", port))
        let pids = (1...2).compactMap { Ops.pid(in: dir + "/cluster/node\($0)/hyades.pid") }
        #expect(pids.count == 2)

        let listed = try Ops.run(tool, ["status"], environment: env)
        #expect(listed.status == 0)
        let lines = listed.out.split(separator: "\n").filter { $0.hasPrefix("node") }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix(" up") }, "\(listed.out)")
        #expect(listed.out.contains("127.0.0.2:\(port)"))

        // Starting again is harmless: the running nodes are left alone.
        let again = try Ops.run(tool, ["start"], environment: env)
        #expect(again.status == 0)
        #expect(again.out.contains("node1: already running"))

        // One ring, as nodetool shows it from node 1 (gossip needs a round or two).
        var ring: [Substring] = []
        for _ in 0..<150 where ring.count < 2 {
            let status = try Ops.run(tool, ["nodetool", "1", "status"], environment: env)
            ring = status.out.split(separator: "\n").filter { $0.hasPrefix("UN  127.0.0.") }
            if ring.count < 2 { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(ring.count == 2, "\(ring)")
        // nodetool drain takes node 2 out of service; the process stays up until stopped.
        let drained = try Ops.run(tool, ["nodetool", "2", "drain"], environment: env)
        #expect(drained.status == 0, "\(drained.err)")
        #expect(!Ops.accepts("127.0.0.2", port))
        let afterDrain = try Ops.run(tool, ["status"], environment: env)
        #expect(afterDrain.out.contains("node2    127.0.0.2:\(port)"), "\(afterDrain.out)")
        #expect(afterDrain.out.split(separator: "\n").contains { $0.hasPrefix("node2") && $0.contains("drained") },
                "\(afterDrain.out)")
        #expect(pids.allSatisfy { Ops.isAlive($0) })

        let stopped = try Ops.run(tool, ["stop"], environment: env)
        #expect(stopped.status == 0, "\(stopped.err)")
        #expect(!Ops.accepts("127.0.0.1", port))
        #expect(!Ops.accepts("127.0.0.2", port))
        #expect(pids.allSatisfy { !Ops.isAlive($0) })
        let down = try Ops.run(tool, ["list"], environment: env)
        #expect(down.out.split(separator: "\n").filter { $0.hasSuffix(" down") }.count == 2, "\(down.out)")
        // Each node drained cleanly into its own log.
        for i in 1...2 {
            let log = try String(contentsOfFile: dir + "/cluster/node\(i)/hyades.log", encoding: .utf8)
            #expect(log.contains("127.0.0.\(i):\(port)"))
            #expect(log.contains("drained"))
        }

        let cleared = try Ops.run(tool, ["clear"], environment: env)
        #expect(cleared.status == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/cluster"))
    }
}
