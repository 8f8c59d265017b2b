import Foundation

/// The real `hyades server` executable on a 127.0.0.x address with a temporary data
/// directory, as an operator runs it; ports 0 = any free port, read back from the node's
/// "listening on" log lines. Shared by the test targets that need a running node.
public final class HyadesServerProcess: @unchecked Sendable {
    /// The `hyades` built next to the test bundle.
    public static var executable: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hyades").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return dir.appendingPathComponent("hyades").path
    }

    public let process = Process()
    public let log = LogBuffer()
    public let host: String
    public let dataDir: String
    public private(set) var nativePort = 0
    public private(set) var storagePort = 0

    /// Starts a node and waits (up to 30 s) until its CQL port, and its streaming port when
    /// `storagePort` is given, are listening; a port stays 0 when the node did not start.
    /// `extraArguments` go after the others (e.g. `--config FILE`).
    public init(host: String, dataDir: String? = nil, nativePort: Int = 0, storagePort: Int? = nil,
                extraArguments: [String] = []) throws {
        self.host = host
        self.dataDir = dataDir ?? NSTemporaryDirectory() + "hyades-node-\(UUID().uuidString)"
        process.executableURL = URL(fileURLWithPath: Self.executable)
        var arguments = ["server", "--listen-address", host, "--native-port", String(nativePort), "--data-dir", self.dataDir]
        if let storagePort { arguments += ["--storage-port", String(storagePort)] }
        process.arguments = arguments + extraArguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        pipe.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            if d.isEmpty {
                // End of file: the node exited and everything it wrote has been read.
                h.readabilityHandler = nil
                log.markEnded()
            } else {
                log.append(String(decoding: d, as: UTF8.self))
            }
        }
        try process.run()
        for _ in 0..<3000 {
            let text = log.withLock { $0 }
            self.nativePort = Self.port(in: text, after: "CQL native transport listening on", host: host)
            if storagePort != nil { self.storagePort = Self.port(in: text, after: "SSTable streaming listening on", host: host) }
            if self.nativePort > 0 && (storagePort == nil || self.storagePort > 0) { break }
            guard process.isRunning else { break }
            usleep(10_000)
        }
    }

    static func port(in text: String, after marker: String, host: String) -> Int {
        guard let m = text.range(of: marker) else { return 0 }
        let rest = text[m.upperBound...]
        guard let r = rest.range(of: "\(host):") else { return 0 }
        return Int(rest[r.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    public var contactPoint: String { "\(host):\(nativePort)" }

    /// SIGTERM (the node drains) and its exit status.
    @discardableResult
    public func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        // The exit can be seen before the pipe's last lines ("drained") are read: wait
        // for the end of the log so that tests see all of it.
        for _ in 0..<500 where !log.ended { usleep(10_000) }
        return process.terminationStatus
    }

    public func removeData() { try? FileManager.default.removeItem(atPath: dataDir) }
}

/// Text appended from a pipe's reader thread, read by the test.
public final class LogBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    public init() {}
    public func withLock<R>(_ body: (inout String) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&text)
    }
    private var isEnded = false
    public func append(_ s: String) { withLock { $0 += s } }
    /// The writer closed its end (set by the reader at end of file).
    public func markEnded() { lock.lock(); isEnded = true; lock.unlock() }
    public var ended: Bool { lock.lock(); defer { lock.unlock() }; return isEnded }
    public var value: String { withLock { $0 } }
}
