#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A node's pid file: one line with the decimal pid, written when the node starts and
/// removed when it exits cleanly. `hyades stop` and `tools/cluster` find the node by it.
/// A pid file whose process is gone (a crash, a reboot) is stale and is simply replaced.
struct PidFile {
    let path: String

    /// The pid recorded in the file, if the file exists and holds a number.
    func recordedPid() -> pid_t? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The recorded pid if that process is alive and is a `hyades` process (so a pid
    /// reused by an unrelated program after a crash is never signalled).
    func runningPid() -> pid_t? {
        guard let pid = recordedPid(), pid > 0 else { return nil }
        return ProcessProbe.isRunningHyades(pid) ? pid : nil
    }

    /// Records this process. Refuses when another live node already owns the file:
    /// two nodes on one data directory would corrupt it.
    func claim() throws {
        let me = getpid()
        if let other = runningPid(), other != me {
            throw PidFileError("another node is already running with pid \(other) (pid file \(path))")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Write then rename, so a reader never sees a half-written pid.
        let temporary = path + ".tmp.\(me)"
        try "\(me)\n".write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PidFileError("cannot write pid file \(path): \(reason)")
        }
    }

    /// Removes the file if it still names this process (a newer node may have replaced it).
    func release() {
        if recordedPid() == getpid() { unlink(path) }
    }

    /// Removes the file whatever it names (after the process it named has exited).
    func remove() { unlink(path) }
}

struct PidFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What /proc says about a process.
enum ProcessProbe {
    /// Alive and not a zombie. A detached node's parent has exited, so its zombie waits
    /// for init to reap it; in containers without a reaping init it may linger, and
    /// `kill(pid, 0)` would still succeed on it.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // Format: "pid (comm) S ...": the state follows the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    static func isRunningHyades(_ pid: pid_t) -> Bool {
        guard isAlive(pid) else { return false }
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else {
            return true   // no /proc (not Linux): trust the pid file
        }
        let argv0 = data.split(separator: 0).first.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return argv0.hasSuffix("hyades")
    }
}
