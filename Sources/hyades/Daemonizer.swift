#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// `hyades server --daemon`: starts the node detached and returns once it serves.
///
/// A process that has started NIO threads cannot safely `fork()` (only the forking
/// thread survives in the child), and forking before start-up would hide start-up errors
/// from the user. So the launcher re-executes this same binary *without* `--daemon`, in a
/// new session (setsid: no controlling terminal, no SIGHUP when the shell closes), with
/// stdin from /dev/null and stdout/stderr appended to the log file, and watches that log
/// until the node says it serves. A node that dies during start-up makes the launcher
/// exit non-zero with the end of its log, so scripts see the real error.
enum Daemonizer {
    /// The log line `NodeService` writes once the CQL listener is bound.
    static let readyMarker = " serving, "

    struct Launch {
        var executable: String
        var arguments: [String]   // without argv[0]
        var pidFile: String
        var logFile: String
        var readyTimeoutSeconds: Double
    }

    /// Spawns the detached node and waits for it to serve. Returns the node's pid and the
    /// address it listens on (from its log), or throws with the log tail.
    static func launch(_ launch: Launch) throws -> (pid: pid_t, listening: String?) {
        let pidFile = PidFile(path: launch.pidFile)
        if let running = pidFile.runningPid() {
            throw DaemonError("a node is already running with pid \(running) (pid file \(launch.pidFile)); stop it with `hyades stop --pid-file \(launch.pidFile)`")
        }
        for file in [launch.pidFile, launch.logFile] {
            let directory = (file as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
        }
        // Only what the new node writes counts: earlier runs' lines stay in the log.
        let logStart = (try? FileManager.default.attributesOfItem(atPath: launch.logFile)[.size] as? UInt64) ?? 0

        let pid = try spawnDetached(launch)

        let deadline = Date().addingTimeInterval(launch.readyTimeoutSeconds)
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) {
                throw DaemonError("the node exited during start-up (\(describe(status))); log \(launch.logFile):\n"
                                  + logTail(launch.logFile, from: logStart))
            }
            let text = logText(launch.logFile, from: logStart)
            if text.contains(readyMarker) {
                return (pid, listeningAddress(in: text))
            }
            if Date() > deadline {
                throw DaemonError("the node (pid \(pid)) did not report serving within \(Int(launch.readyTimeoutSeconds))s; it is still running (stop it with `hyades stop --pid-file \(launch.pidFile)`); log \(launch.logFile):\n"
                                  + logTail(launch.logFile, from: logStart))
            }
            usleep(50_000)
        }
    }

    /// posix_spawn with POSIX_SPAWN_SETSID: the child leads a new session, so closing the
    /// terminal or the launching shell does not signal it.
    static func spawnDetached(_ launch: Launch) throws -> pid_t {
        closeOnExecInheritedDescriptors()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, launch.logFile, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // glibc's POSIX_SPAWN_SETSID (0x80; spawn.h, __USE_GNU, not imported into Swift).
        let setsid: Int32 = 0x80
        var flags = Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        #if os(Linux)
        flags |= setsid
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        // Start with no blocked signals and default SIGTERM/SIGINT handling even when the
        // launching shell ignores them (background jobs of non-interactive shells do).
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGHUP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = [launch.executable] + launch.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }

        var pid: pid_t = 0
        let rc = posix_spawn(&pid, launch.executable, &actions, &attributes, cArgs, environ)
        guard rc == 0 else {
            throw DaemonError("cannot start \(launch.executable): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Marks every descriptor above stderr close-on-exec, so the node inherits none of the
    /// launcher's. A caller that waits for EOF on a pipe or socket it gave the launcher
    /// (a shell's `$(...)`, ssh, Foundation's Process) would otherwise wait for the node's
    /// whole life.
    static func closeOnExecInheritedDescriptors() {
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) }
        for fd in open ?? Array(3..<1024) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// The path of the running executable, so the child is exactly this build.
    static func currentExecutable() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        let argv0 = CommandLine.arguments[0]
        if argv0.hasPrefix("/") { return argv0 }
        return FileManager.default.currentDirectoryPath + "/" + argv0
    }

    /// This invocation's arguments for the foreground child: `--daemon` dropped, pid and
    /// log file spelled out (absolute) so the child and `hyades stop` agree on them.
    static func childArguments(_ original: [String], pidFile: String, logFile: String) -> [String] {
        var out: [String] = []
        var i = 0
        while i < original.count {
            let a = original[i]
            if a == "--daemon" || a.hasPrefix("--daemon=") { i += 1; continue }
            if a == "--pid-file" || a == "--log-file" || a == "--ready-timeout" { i += 2; continue }
            if a.hasPrefix("--pid-file=") || a.hasPrefix("--log-file=") || a.hasPrefix("--ready-timeout=") { i += 1; continue }
            out.append(a)
            i += 1
        }
        return out + ["--pid-file", pidFile, "--log-file", logFile]
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            .standardizedFileURL.path
    }

    static func logText(_ path: String, from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func logTail(_ path: String, from offset: UInt64, lines: Int = 20) -> String {
        let text = logText(path, from: offset)
        let tail = text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
        let joined = tail.joined(separator: "\n")
        return joined.isEmpty ? "(the log is empty)" : joined
    }

    /// "CQL native transport listening on [IPv4]127.0.0.1/127.0.0.1:9042" → "127.0.0.1:9042".
    static func listeningAddress(in log: String) -> String? {
        guard let r = log.range(of: "listening on ") else { return nil }
        let rest = log[r.upperBound...].prefix { $0 != "\n" && $0 != " " }
        if let slash = rest.lastIndex(of: "/") { return String(rest[rest.index(after: slash)...]) }
        return String(rest)
    }

    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit status \((status >> 8) & 0xff)" }
        return "killed by signal \(signal)"
    }
}

struct DaemonError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
