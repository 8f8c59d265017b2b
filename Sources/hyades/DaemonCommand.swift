#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import HyadesServer

/// The daemon-related options of `hyades server`.
struct DaemonOptions: ParsableArguments {
    @Flag(help: "Detach: start the node in the background, wait until it serves, print its pid and exit.")
    var daemon = false

    @Option(name: .customLong("pid-file"), help: "Pid file (default <data directory>/hyades.pid).")
    var pidFile: String?

    @Option(name: .customLong("log-file"), help: "Log file for --daemon (default <data directory>/hyades.log); in the foreground, log there instead of stderr.")
    var logFile: String?

    @Option(name: .customLong("ready-timeout"), help: "With --daemon: seconds to wait for the node to serve (commit log replay included).")
    var readyTimeout: Double = 300

    func pidFilePath(_ config: ServerConfig) -> String {
        Daemonizer.absolute(pidFile ?? config.dataDirectory + "/hyades.pid")
    }

    func logFilePath(_ config: ServerConfig) -> String {
        Daemonizer.absolute(logFile ?? config.dataDirectory + "/hyades.log")
    }

    /// `--daemon`: start the detached node and report; throws with the log tail on failure.
    func detach(_ config: ServerConfig) throws {
        let pid = pidFilePath(config), log = logFilePath(config)
        let launch = Daemonizer.Launch(
            executable: Daemonizer.currentExecutable(),
            arguments: Daemonizer.childArguments(Array(CommandLine.arguments.dropFirst()), pidFile: pid, logFile: log),
            pidFile: pid, logFile: log, readyTimeoutSeconds: readyTimeout)
        let (child, listening) = try Daemonizer.launch(launch)
        print("hyades server started: pid \(child), CQL on \(listening ?? "\(config.rpcAddress):\(config.nativeTransportPort)")")
        print("  log \(log)")
        print("  pid file \(pid)  (stop with: hyades stop --pid-file \(pid))")
    }

    /// In the foreground: log to --log-file if given, and record the pid. The pid file
    /// also keeps a second node off the same data directory.
    func enterForeground(_ config: ServerConfig) throws -> PidFile {
        if logFile != nil {
            let path = logFilePath(config)
            let directory = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            guard fd >= 0 else { throw DaemonError("cannot open log file \(path): \(String(cString: strerror(errno)))") }
            dup2(fd, 1)
            dup2(fd, 2)
            close(fd)
        }
        let pidFile = PidFile(path: pidFilePath(config))
        try pidFile.claim()
        return pidFile
    }
}

/// `hyades stop`: SIGTERM to the node named by a pid file, then wait until it has drained
/// and exited (the same clean shutdown as Ctrl-C or `systemctl stop`).
struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop a node started with `hyades server --daemon` (SIGTERM, wait for it to drain and exit).")

    @Option(name: .customLong("pid-file"), help: "The node's pid file (default <data directory>/hyades.pid).")
    var pidFile: String?

    @Option(help: "The node's configuration file, to find its data directory.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "The node's data directory (the pid file is <dir>/hyades.pid).")
    var dataDir: String?

    @Option(help: "Seconds to wait for the node to exit.")
    var timeout: Double = 120

    func run() throws {
        let path: String
        if let pidFile {
            path = Daemonizer.absolute(pidFile)
        } else {
            var c = ServerConfig()
            if let config {
                do { c = try ServerConfig.load(path: config) } catch {
                    FileHandle.standardError.write(Data("hyades stop: \(error)\n".utf8))
                    throw ExitCode(2)
                }
            }
            if let dataDir { c.dataFileDirectories = [dataDir] }
            path = Daemonizer.absolute(c.dataDirectory + "/hyades.pid")
        }
        let file = PidFile(path: path)
        guard let recorded = file.recordedPid() else {
            FileHandle.standardError.write(Data("hyades stop: no node to stop: no pid file at \(path)\n".utf8))
            throw ExitCode(1)
        }
        guard let pid = file.runningPid() else {
            file.remove()
            print("hyades: node (pid \(recorded)) is not running; removed the stale pid file \(path)")
            return
        }
        guard kill(pid, SIGTERM) == 0 else {
            FileHandle.standardError.write(Data("hyades stop: cannot signal pid \(pid): \(String(cString: strerror(errno)))\n".utf8))
            throw ExitCode(1)
        }
        print("hyades: stopping node (pid \(pid))")
        let deadline = Date().addingTimeInterval(timeout)
        while ProcessProbe.isAlive(pid) {
            if Date() > deadline {
                FileHandle.standardError.write(Data("hyades stop: pid \(pid) still running after \(Int(timeout))s (it may be flushing a large memtable); check its log\n".utf8))
                throw ExitCode(1)
            }
            usleep(50_000)
        }
        // A node that drained removes its own pid file; one that was killed leaves it.
        if file.recordedPid() == pid { file.remove() }
        print("hyades: stopped")
    }
}
