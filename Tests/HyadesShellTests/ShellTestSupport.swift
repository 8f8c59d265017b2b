import Foundation
import HyadesTestSupport

/// The real `hyades server` on a 127.0.0.x address with a temporary data directory.
final class ShellTestServer: @unchecked Sendable {
    let node: HyadesServerProcess
    var host: String { node.host }
    var port: Int { node.nativePort }
    var log: LogBuffer { node.log }

    init(host: String = "127.0.0.6") throws {
        node = try HyadesServerProcess(host: host)
    }

    func stop() {
        node.terminate()
        node.removeData()
    }

    /// `hyades shell --host H --port P args...` with pipes: what a script sees.
    func shell(_ args: [String], stdin: String? = nil) throws -> (stdout: String, stderr: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HyadesServerProcess.executable)
        p.arguments = ["shell", "--host", host, "--port", String(port)] + args
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let outText = LogBuffer(), errText = LogBuffer()
        out.fileHandleForReading.readabilityHandler = { h in outText.append(String(decoding: h.availableData, as: UTF8.self)) }
        err.fileHandleForReading.readabilityHandler = { h in errText.append(String(decoding: h.availableData, as: UTF8.self)) }
        try p.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        // Drain what the handlers have not read yet.
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        outText.append(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        errText.append(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        return (outText.value, errText.value, p.terminationStatus)
    }
}

/// A program running in a tmux pane, driven with keystrokes as a person types, with the
/// rendered screen read back (`capture-pane`). Each session has its own tmux server socket.
final class TmuxSession {
    static var tmux: String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/tmux") {
            return dir + "/tmux"
        }
        return nil
    }

    let socket = "hyades-shell-test-\(UUID().uuidString.prefix(8))"
    let tmux: String

    /// Starts `command` (a shell command line) in a detached width x height pane. After the
    /// program exits the pane prints `[exited N]` and stays, so its exit status is visible.
    init(command: String, width: Int = 120, height: Int = 50) throws {
        guard let tmux = Self.tmux else { throw ShellMessage("tmux is not installed (tools/install-deps installs it)") }
        self.tmux = tmux
        try run(["-f", "/dev/null", "new-session", "-d", "-x", String(width), "-y", String(height),
                 command + "; echo \"[exited $?]\"; sleep 600"])
        try run(["set-option", "-g", "history-limit", "10000"])
    }

    /// Runs a tmux client command with posix_spawn and waitpid. Not Foundation's Process:
    /// the tmux server that `new-session` forks would inherit the descriptor Process
    /// watches for the child's exit (and any output pipe) and hold it open, so the wait
    /// would never end. Output, when wanted, goes through a temporary file; every other
    /// descriptor is closed in the child.
    @discardableResult
    func run(_ args: [String], capture: Bool = false) throws -> String {
        let outPath = NSTemporaryDirectory() + "tmux-out-\(UUID().uuidString)"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, capture ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        Self.closeFrom3(&actions)
        let argv = ([tmux, "-L", socket] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        // The test runner's threads block most signals and the mask is inherited across
        // exec: give tmux (and so the shell in its pane) a clean mask and default
        // handlers, or kill-server's SIGHUP would never end the pane and tmux would linger.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, tmux, &actions, &attr, argv, environ)
        guard rc == 0 else { throw ShellMessage("posix_spawn tmux: \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard capture else { return "" }
        return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    }

    /// glibc >= 2.34's posix_spawn_file_actions_addclosefrom_np (not in Swift's Glibc module
    /// map), found at run time; without it, the open descriptors are closed one by one.
    static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(sym, to: CloseFrom.self)(&actions, 3)
            return
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in fds.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
    }

    /// Types text literally (tmux would read a trailing `;` as its own command separator).
    func type(_ text: String) throws {
        try run(["send-keys", "-l", text.hasSuffix(";") ? String(text.dropLast()) + "\\;" : text])
    }

    /// Presses keys by tmux name: Enter, Tab, Up, Down, Left, Home, C-a, C-c, C-d, ...
    func press(_ keys: String...) throws {
        try run(["send-keys"] + keys)
    }

    /// The screen and its scrollback, wrapped lines joined.
    func screen() throws -> String {
        try run(["capture-pane", "-p", "-J", "-S", "-"], capture: true)
    }

    /// The screen with its colours, as SGR escape sequences.
    func colouredScreen() throws -> String {
        try run(["capture-pane", "-p", "-e", "-J", "-S", "-"], capture: true)
    }

    /// Waits until `predicate` holds for the screen (a condition, not a time limit: the cap
    /// only stops a broken shell from hanging the suite) and returns the screen.
    @discardableResult
    func waitFor(_ predicate: (String) -> Bool) throws -> String {
        var s = ""
        for _ in 0..<600 {
            s = try screen()
            if predicate(s) { return s }
            usleep(50_000)
        }
        return s
    }

    func waitFor(_ text: String, count: Int = 1) throws -> String {
        try waitFor { $0.components(separatedBy: text).count - 1 >= count }
    }

    /// Ends the tmux server (and the shell in its pane) and removes its socket file.
    func close() {
        _ = try? run(["kill-server"])
        let dir = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
        unlink("\(dir)/tmux-\(getuid())/\(socket)")
    }
}

struct ShellMessage: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
