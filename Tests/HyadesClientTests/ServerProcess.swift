import Foundation
import NIOCore
import NIOPosix

/// The real `hyades server` executable on a 127.0.0.x address with a temporary data
/// directory, as an operator runs it (pattern of Tests/HyadesServerTests/ServerProcessTests).
final class ServerProcess: @unchecked Sendable {
    static var hyades: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), dir.deletingLastPathComponent().deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("hyades").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return dir.appendingPathComponent("hyades").path
    }

    let process = Process()
    let log = LogBuffer()
    let host: String
    let dataDir: String
    var port = 0

    /// Starts a server; `port` 0 = any free port (read back from its log line).
    init(host: String = "127.0.0.3", dataDir: String? = nil, port: Int = 0) throws {
        self.host = host
        self.dataDir = dataDir ?? NSTemporaryDirectory() + "hyades-client-\(UUID().uuidString)"
        process.executableURL = URL(fileURLWithPath: Self.hyades)
        process.arguments = ["server", "--listen-address", host, "--native-port", String(port), "--data-dir", self.dataDir]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        let log = self.log
        pipe.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            log.withLock { $0 += String(decoding: d, as: UTF8.self) }
        }
        try process.run()
        // Wait for the listener's log line ("listening on [IPv4]127.0.0.3/127.0.0.3:PORT").
        for _ in 0..<3000 {
            let text = log.withLock { $0 }
            if let r = text.range(of: "\(host):") {
                let digits = text[r.upperBound...].prefix { $0.isNumber }
                self.port = Int(digits) ?? 0
                if self.port > 0 { break }
            }
            guard process.isRunning else { break }
            usleep(10_000)
        }
    }

    var contactPoint: String { "\(host):\(port)" }

    @discardableResult
    func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func removeData() { try? FileManager.default.removeItem(atPath: dataDir) }
}

/// Text appended from the pipe's reader thread, read by the test.
final class LogBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    func withLock<R>(_ body: (inout String) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&text)
    }
}
