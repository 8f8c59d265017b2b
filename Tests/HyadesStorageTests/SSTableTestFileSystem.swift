import Foundation
import HyadesStorage

/// A minimal in-memory FileSystem for the SSTable tests (until the commit-log branch's
/// PosixFileSystem / FaultInjectingFileSystem arrive). Tracks what was synced so tests can
/// assert `finish()` made everything durable, and can flip bits to simulate corruption.
final class SSTableTestFileSystem: FileSystem, @unchecked Sendable {
    final class Node {
        var bytes: [UInt8] = []
        var syncedCount = -1
    }

    let lock = NSLock()
    var files: [String: Node] = [:]
    var directories: Set<String> = ["/"]
    var syncedDirectories: [String] = []

    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func createDirectory(_ path: String) throws { locked { _ = directories.insert(path) } }

    func listDirectory(_ path: String) throws -> [String] {
        locked {
            let prefix = path.hasSuffix("/") ? path : path + "/"
            return files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
                .map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    func fileExists(_ path: String) -> Bool { locked { files[path] != nil } }

    func fileSize(_ path: String) throws -> Int64 {
        try locked {
            guard let n = files[path] else { throw FileSystemError(operation: "stat", path: path, errno: 2, message: "no such file") }
            return Int64(n.bytes.count)
        }
    }

    func removeFile(_ path: String) throws {
        try locked {
            guard files.removeValue(forKey: path) != nil else {
                throw FileSystemError(operation: "unlink", path: path, errno: 2, message: "no such file")
            }
        }
    }

    func rename(_ from: String, to: String) throws {
        try locked {
            guard let n = files.removeValue(forKey: from) else {
                throw FileSystemError(operation: "rename", path: from, errno: 2, message: "no such file")
            }
            files[to] = n
        }
    }

    func syncDirectory(_ path: String) throws { locked { syncedDirectories.append(path) } }

    func createForWriting(_ path: String) throws -> any WritableFile {
        let n = Node()
        locked { files[path] = n }
        return Writer(fs: self, path: path, node: n)
    }

    func openForAppending(_ path: String) throws -> any WritableFile {
        try locked {
            guard let n = files[path] else { throw FileSystemError(operation: "open", path: path, errno: 2, message: "no such file") }
            return Writer(fs: self, path: path, node: n)
        }
    }

    func openForReading(_ path: String) throws -> any ReadableFile {
        try locked {
            guard let n = files[path] else { throw FileSystemError(operation: "open", path: path, errno: 2, message: "no such file") }
            // A snapshot, as an mmap of an immutable file.
            return Reader(path: path, bytes: n.bytes)
        }
    }

    // Test helpers.
    func bytes(_ path: String) -> [UInt8] { locked { files[path]?.bytes ?? [] } }
    func setBytes(_ path: String, _ bytes: [UInt8]) { locked { files[path]?.bytes = bytes } }
    func flipBit(_ path: String, at offset: Int, bit: UInt8 = 0) {
        locked { files[path]!.bytes[offset] ^= 1 << bit }
    }
    func isSynced(_ path: String) -> Bool { locked { files[path].map { $0.syncedCount == $0.bytes.count } ?? false } }

    final class Writer: WritableFile, @unchecked Sendable {
        let fs: SSTableTestFileSystem
        let path: String
        let node: Node
        var closed = false

        init(fs: SSTableTestFileSystem, path: String, node: Node) {
            self.fs = fs
            self.path = path
            self.node = node
        }

        var size: Int64 { fs.locked { Int64(node.bytes.count) } }

        func append(_ bytes: UnsafeRawBufferPointer) throws {
            guard !closed else { throw FileSystemError(operation: "write", path: path, errno: 9, message: "closed") }
            fs.locked { node.bytes.append(contentsOf: bytes) }
        }

        func sync() throws { fs.locked { node.syncedCount = node.bytes.count } }
        func close() throws { closed = true }
    }

    final class Reader: ReadableFile, @unchecked Sendable {
        let path: String
        let bytes: [UInt8]

        init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }

        var size: Int64 { Int64(bytes.count) }

        func read(at offset: Int64, count: Int) throws -> [UInt8] {
            try withBytes(at: offset, count: count) { Array($0) }
        }

        func withBytes<R>(at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
            guard offset >= 0, count >= 0, offset + Int64(count) <= Int64(bytes.count) else {
                throw FileSystemError(operation: "read", path: path, errno: 5, message: "short read at \(offset)+\(count) of \(bytes.count)")
            }
            return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[Int(offset)..<(Int(offset) + count)])) }
        }

        func close() {}
    }
}
