#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HyadesTestSupport

/// Runs the real `hyades` binary and the repository's tools/ scripts, as an operator would.
enum Ops {
    /// The `hyades` executable built next to this test bundle.
    static var hyades: String { HyadesServerProcess.executable }

    /// The repository root (this file is Tests/HyadesOpsTests/OpsTestSupport.swift).
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func temporaryDirectory(_ tag: String) -> String {
        let dir = NSTemporaryDirectory() + "hyades-ops-\(tag)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    struct Result { var status: Int32; var out: String; var err: String }

    /// Runs a program to completion. Output goes through files, not pipes: a daemon
    /// started by the program inherits nothing that would keep a pipe open.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) throws -> Result {
        let scratch = temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        FileManager.default.createFile(atPath: scratch + "/out", contents: nil)
        FileManager.default.createFile(atPath: scratch + "/err", contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/out"))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch + "/err"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try out.close(); try err.close()
        return Result(status: p.terminationStatus,
                      out: (try? String(contentsOfFile: scratch + "/out", encoding: .utf8)) ?? "",
                      err: (try? String(contentsOfFile: scratch + "/err", encoding: .utf8)) ?? "")
    }

    static func hyades(_ arguments: [String], directory: String? = nil) throws -> Result {
        try run(hyades, arguments, directory: directory)
    }

    /// True if a TCP connection to address:port is accepted.
    static func accepts(_ address: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &sin.sin_addr)
        return withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A port nobody listens on at any of `addresses` (bound then released).
    static func freePort(on addresses: [String]) -> Int {
        for _ in 0..<50 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, addresses[0], &sin.sin_addr)
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, len) == 0 ? getsockname(fd, $0, &len) : -1
                }
            }
            close(fd)
            let port = Int(UInt16(bigEndian: sin.sin_port))
            if port > 0 && !addresses.contains(where: { accepts($0, port) }) { return port }
        }
        return 0
    }

    static func pid(in file: String) -> pid_t? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Alive and not a zombie (a detached node is reaped by init, not by us).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }
}
