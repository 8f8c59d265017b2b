import Foundation
import Testing

/// `hyades server --daemon` and `hyades stop`, run as an operator would.
@Suite struct DaemonTests {
    @Test func daemonDetachesWritesPidAndLogAndStopDrainsIt() throws {
        let dir = Ops.temporaryDirectory("daemon")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = Ops.freePort(on: ["127.0.0.4"])
        let args = ["server", "--daemon", "--listen-address", "127.0.0.4", "--native-port", "\(port)", "--data-dir", dir + "/data"]
        let started = try Ops.hyades(args)
        try #require(started.status == 0, "\(started.out) \(started.err)")
        let pid = try #require(Ops.pid(in: dir + "/data/hyades.pid"))
        defer { if Ops.isAlive(pid) { kill(pid, SIGKILL) } }
        #expect(started.out.contains("pid \(pid)"))
        #expect(started.out.contains("127.0.0.4:\(port)"))
        // The launcher has exited; the node serves on.
        #expect(Ops.isAlive(pid))
        #expect(Ops.accepts("127.0.0.4", port))
        #expect(try String(contentsOfFile: dir + "/data/hyades.log", encoding: .utf8).contains("serving"))

        // A second node on the same data directory is refused, and the first keeps running.
        let second = try Ops.hyades(args)
        #expect(second.status != 0)
        #expect(second.err.contains("already running with pid \(pid)"))
        #expect(Ops.isAlive(pid))

        let stopped = try Ops.hyades(["stop", "--data-dir", dir + "/data"])
        #expect(stopped.status == 0, "\(stopped.err)")
        #expect(!Ops.isAlive(pid))
        #expect(!FileManager.default.fileExists(atPath: dir + "/data/hyades.pid"))
        #expect(!Ops.accepts("127.0.0.4", port))
        #expect(try String(contentsOfFile: dir + "/data/hyades.log", encoding: .utf8).contains("drained"))

        // Nothing left to stop: a clear message and a non-zero status.
        let nothing = try Ops.hyades(["stop", "--data-dir", dir + "/data"])
        #expect(nothing.status != 0)
        #expect(nothing.err.contains("no pid file"))
    }

    @Test func aNodeThatCannotStartMakesTheLauncherFailWithTheLogTail() throws {
        let dir = Ops.temporaryDirectory("daemon-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Occupy the port, so the detached node fails to bind after it has started up.
        let port = Ops.freePort(on: ["127.0.0.4"])
        let blocker = try Ops.hyades(["server", "--daemon", "--listen-address", "127.0.0.4", "--native-port", "\(port)", "--data-dir", dir + "/first"])
        try #require(blocker.status == 0, "\(blocker.err)")
        defer { _ = try? Ops.hyades(["stop", "--data-dir", dir + "/first"]) }

        let failed = try Ops.hyades(["server", "--daemon", "--listen-address", "127.0.0.4", "--native-port", "\(port)", "--data-dir", dir + "/second"])
        #expect(failed.status != 0)
        #expect(failed.err.contains("exited during start-up"))
        #expect(failed.err.contains("cannot listen on 127.0.0.4:\(port)"))
        // The failed node left no pid file behind to confuse `hyades stop`.
        #expect(!FileManager.default.fileExists(atPath: dir + "/second/hyades.pid"))
    }
}
