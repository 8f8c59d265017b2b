/// Every byte the engine reads or writes goes through this seam, so tests can substitute a
/// file system that drops unsynced data, tears writes and returns EIO
/// (`FaultInjectingFileSystem`), and the real one (`PosixFileSystem`) stays small.
///
/// Contract: data appended to a `WritableFile` is durable only after `sync()` returns;
/// a rename is durable only after `syncDirectory` of its directory. An error from `sync`
/// means the data's fate is unknown: callers must stop (never retry an fsync).
public protocol FileSystem: Sendable {
    func createDirectory(_ path: String) throws
    /// Names (not paths) of the entries of a directory.
    func listDirectory(_ path: String) throws -> [String]
    func fileExists(_ path: String) -> Bool
    func fileSize(_ path: String) throws -> Int64
    func removeFile(_ path: String) throws
    /// Atomically replaces `to` with `from`.
    func rename(_ from: String, to: String) throws
    /// fsync of a directory, making creations, renames and removals in it durable.
    func syncDirectory(_ path: String) throws
    /// Creates (or truncates) a file for appending.
    func createForWriting(_ path: String) throws -> any WritableFile
    /// Opens an existing file for appending at its end (commit-log segments reopened).
    func openForAppending(_ path: String) throws -> any WritableFile
    func openForReading(_ path: String) throws -> any ReadableFile
    /// Replaces `bytes.count` bytes at `offset` of an existing file in place (never past its
    /// end). Durable only after a sync of the file (`openForAppending(path).sync()`). Used
    /// to restamp an imported SSTable's header with the generation it is adopted under.
    func writeInPlace(_ path: String, at offset: Int64, _ bytes: [UInt8]) throws
}

extension FileSystem {
    /// Fallback for file systems without positioned writes: copies the file with the bytes
    /// replaced to `<path>.tmp` and renames it over `path` (the copy is synced).
    public func writeInPlace(_ path: String, at offset: Int64, _ bytes: [UInt8]) throws {
        let source = try openForReading(path)
        defer { source.close() }
        let size = source.size
        guard offset >= 0, offset + Int64(bytes.count) <= size else {
            throw FileSystemError(operation: "writeInPlace", path: path, errno: 22, message: "range past the end of the file")
        }
        let temp = path + ".tmp"
        let out = try createForWriting(temp)
        do {
            var at: Int64 = 0
            while at < size {
                let n = Int(min(Int64(1 << 20), size - at))
                var chunk = try source.read(at: at, count: n)
                for (i, b) in bytes.enumerated() where offset + Int64(i) >= at && offset + Int64(i) < at + Int64(n) {
                    chunk[Int(offset + Int64(i) - at)] = b
                }
                try out.append(chunk)
                at += Int64(n)
            }
            try out.sync()
            try out.close()
        } catch {
            try? out.close()
            try? removeFile(temp)
            throw error
        }
        try rename(temp, to: path)
    }
}

public protocol WritableFile: AnyObject, Sendable {
    var path: String { get }
    /// Bytes appended so far (the file's logical size).
    var size: Int64 { get }
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes everything appended so far durable. Throwing means the node must stop.
    func sync() throws
    func close() throws
    /// Starts writing what was appended so far to disk without waiting (a hint; no
    /// durability promise): a later `sync` then has little left to wait for. Used for
    /// streamed SSTables, which are synced only when adopted.
    func startWriteBack()
    /// Reserves disk space for appends up to `bytes` (fallocate), so they cannot fail for
    /// want of space: a full disk shows up here, before anything is written. Throws ENOSPC
    /// when the space is not there; a file system without the call reserves nothing (no
    /// error). `size` stays the bytes appended; PosixWritableFile also maps the space so
    /// appends are copies into the page cache, and the file reads as `bytes` long (zeros
    /// after the appends) until `close` cuts it back.
    func reserve(_ bytes: Int64) throws
    /// Whether an append is a copy into the page cache (a mapped file): no syscall, and
    /// the bytes are in the kernel when it returns, so callers need not batch appends.
    var appendsAreCopies: Bool { get }
}

extension WritableFile {
    public func startWriteBack() {}
    public func reserve(_ bytes: Int64) throws {}
    public var appendsAreCopies: Bool { false }

    public func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }
}

public protocol ReadableFile: AnyObject, Sendable {
    var path: String { get }
    var size: Int64 { get }
    /// Reads exactly `count` bytes at `offset` (throws on a short read or an I/O error).
    func read(at offset: Int64, count: Int) throws -> [UInt8]
    /// Calls `body` with `count` bytes at `offset` without copying where the
    /// implementation can (memory-mapped files); the pointer is valid only inside `body`.
    func withBytes<R>(at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    func close()
}

/// A failed file operation: which operation, on which file, and why.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var errno: Int32
    public var message: String

    public init(operation: String, path: String, errno: Int32, message: String) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.message = message
    }

    public var description: String { "\(operation) \(path): \(message) (errno \(errno))" }
}
