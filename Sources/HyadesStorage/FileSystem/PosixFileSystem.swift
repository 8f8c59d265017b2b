#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The real file system: thin wrappers over POSIX calls, every failure a `FileSystemError`
/// carrying errno and strerror. Reads go through `mmap` so `withBytes` is zero-copy; an
/// empty file (which cannot be mapped) or a file system refusing mmap falls back to `pread`.
public struct PosixFileSystem: FileSystem {
    public init() {}

    public func createDirectory(_ path: String) throws {
        // mkdir -p: create each missing ancestor; an existing directory is not an error.
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let e = errno
                if e != EEXIST { throw posixError("mkdir", prefix, e) }
            }
            prefix += "/"
        }
    }

    public func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw posixError("opendir", path, errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw posixError("readdir", path, errno) }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public func fileSize(_ path: String) throws -> Int64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw posixError("stat", path, errno) }
        return Int64(st.st_size)
    }

    public func removeFile(_ path: String) throws {
        guard unlink(path) == 0 else { throw posixError("unlink", path, errno) }
    }

    public func writeInPlace(_ path: String, at offset: Int64, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw posixError("open", path, errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw posixError("fstat", path, errno) }
        guard offset >= 0, offset + Int64(bytes.count) <= Int64(st.st_size) else {
            throw FileSystemError(operation: "pwrite", path: path, errno: EINVAL, message: "range past the end of the file")
        }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                pwrite(fd, raw.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw posixError("pwrite", path, errno)
            }
            done += n
        }
    }

    public func rename(_ from: String, to: String) throws {
        guard sysRename(from, to) == 0 else { throw posixError("rename", "\(from) -> \(to)", errno) }
    }

    public func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("open", path, errno) }
        defer { _ = sysClose(fd) }
        guard fsync(fd) == 0 else { throw posixError("fsync", path, errno) }
    }

    public func createForWriting(_ path: String) throws -> any WritableFile {
        // Read-write: `reserve` maps the file, which needs it.
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posixError("open", path, errno) }
        return PosixWritableFile(path: path, fd: fd, size: 0)
    }

    public func openForAppending(_ path: String) throws -> any WritableFile {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("open", path, errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            _ = sysClose(fd)
            throw posixError("fstat", path, e)
        }
        return PosixWritableFile(path: path, fd: fd, size: Int64(st.st_size))
    }

    public func openForReading(_ path: String) throws -> any ReadableFile {
        try PosixReadableFile(path: path)
    }
}

// File-scope aliases: inside the types below `close`, `rename` and `write` name methods.
private func sysClose(_ fd: Int32) -> Int32 { close(fd) }
private func sysRename(_ from: String, _ to: String) -> Int32 { rename(from, to) }
private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }

func posixError(_ operation: String, _ path: String, _ code: Int32) -> FileSystemError {
    FileSystemError(operation: operation, path: path, errno: code, message: String(cString: strerror(code)))
}

/// An append-only file descriptor. The mutex orders appends and keeps `size` exact when
/// several threads share the handle; `sync` does not take it, so an fsync never blocks
/// appends (Linux lets write and fsync on one file run concurrently).
///
/// After `reserve(n)` the file is allocated to n bytes and mapped (MAP_SHARED): appends
/// up to n are copies into the page cache, no syscall (commit-log segments: every write's
/// bytes must be in the kernel before it is acknowledged). The file then reads n bytes
/// long, zeros after the last append, until `close` cuts it to `size` and fsyncs that; a
/// crash before leaves the zeros, which replay treats as a torn tail of an unclosed
/// segment. Where the file system cannot allocate (no fallocate), nothing is mapped.
public final class PosixWritableFile: WritableFile {
    public let path: String
    private let fd: Int32
    private struct State {
        var size: Int64
        var closed = false
        /// The mapping of the reserved space, if any (an address: Sendable state).
        var mappingAddress: UInt = 0
        var mappingCount = 0
        var mapping: UnsafeMutableRawBufferPointer? {
            guard let p = UnsafeMutableRawPointer(bitPattern: mappingAddress) else { return nil }
            return UnsafeMutableRawBufferPointer(start: p, count: mappingCount)
        }
    }
    private let state: Mutex<State>

    init(path: String, fd: Int32, size: Int64) {
        self.path = path
        self.fd = fd
        self.state = Mutex(State(size: size))
    }

    deinit {
        // A handle dropped without close() must not leak its descriptor or mapping.
        let (open, address, count) = state.withLock { (!$0.closed, $0.mappingAddress, $0.mappingCount) }
        if let p = UnsafeMutableRawPointer(bitPattern: address) { munmap(p, count) }
        if open { _ = sysClose(fd) }
    }

    public var size: Int64 { state.withLock { $0.size } }

    public func startWriteBack() {
        #if os(Linux)
        state.withLock { s in
            // SYNC_FILE_RANGE_WRITE: queue the dirty pages for writing, return at once.
            if !s.closed, let f = syncFileRange { _ = f(fd, 0, 0, 2) }
        }
        #endif
    }

    public var appendsAreCopies: Bool { state.withLock { $0.mappingAddress != 0 } }

    public func reserve(_ bytes: Int64) throws {
        #if os(Linux)
        guard let f = fallocateCall, bytes > 0 else { return }
        try state.withLock { s in
            guard !s.closed else { throw posixError("fallocate", path, EBADF) }
            guard s.mappingAddress == 0 else { return }
            while true {
                // Mode 0: blocks allocated, zero-filled, the file extended to `bytes`.
                if f(fd, 0, 0, bytes) == 0 { break }
                let e = errno
                if e == EINTR { continue }
                // A file system without fallocate: nothing reserved, appends as before.
                if e == EOPNOTSUPP || e == ENOSYS { return }
                throw posixError("fallocate", path, e)
            }
            guard let p = mmap(nil, Int(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
                // Not mappable: keep the blocks (FALLOC_FL_KEEP_SIZE), give the file its
                // size back, and let appends go through write(2).
                _ = f(fd, 1, 0, bytes)
                guard ftruncate(fd, off_t(s.size)) == 0 else { throw posixError("ftruncate", path, errno) }
                return
            }
            s.mappingAddress = UInt(bitPattern: p)
            s.mappingCount = Int(bytes)
        }
        #endif
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        try state.withLock { s in
            guard !s.closed else { throw posixError("write", path, EBADF) }
            guard var p = bytes.baseAddress, bytes.count > 0 else { return }
            if s.mappingAddress != 0, s.size + Int64(bytes.count) <= Int64(s.mappingCount) {
                // Into the page cache through the mapping: in the kernel, no syscall.
                let base = UnsafeMutableRawPointer(bitPattern: s.mappingAddress)!
                (base + Int(s.size)).copyMemory(from: p, byteCount: bytes.count)
                s.size += Int64(bytes.count)
                return
            }
            if s.mappingAddress != 0 && lseek(fd, off_t(s.size), SEEK_SET) < 0 { throw posixError("lseek", path, errno) }
            var remaining = bytes.count
            while remaining > 0 {
                let n = sysWrite(fd, p, remaining)
                if n < 0 {
                    let e = errno
                    if e == EINTR { continue }
                    throw posixError("write", path, e)
                }
                // A short write (disk full on the way) continues until write reports the error.
                p += n
                remaining -= n
                s.size += Int64(n)
            }
        }
    }

    public func sync() throws {
        guard !state.withLock({ $0.closed }) else { throw posixError("fsync", path, EBADF) }
        // Never retried on failure: after a failed fsync Linux may have dropped the dirty
        // pages, so a second fsync could "succeed" over lost data.
        guard fdatasync(fd) == 0 else { throw posixError("fsync", path, errno) }
    }

    public func close() throws {
        let (wasOpen, address, count, size) = state.withLock { s -> (Bool, UInt, Int, Int64) in
            let o = !s.closed
            s.closed = true
            defer { s.mappingAddress = 0 }
            return (o, s.mappingAddress, s.mappingCount, s.size)
        }
        let mapping = UnsafeMutableRawPointer(bitPattern: address).map { UnsafeMutableRawBufferPointer(start: $0, count: count) }
        guard wasOpen else { return }
        if let m = mapping {
            munmap(m.baseAddress!, m.count)
            // The file ends after its last byte again, durably (a closed segment has no
            // zero tail; fsync, not fdatasync: a shrink is metadata only).
            guard ftruncate(fd, off_t(size)) == 0 else {
                let e = errno
                _ = sysClose(fd)
                throw posixError("ftruncate", path, e)
            }
            guard fsync(fd) == 0 else {
                let e = errno
                _ = sysClose(fd)
                throw posixError("fsync", path, e)
            }
        }
        guard sysClose(fd) == 0 else { throw posixError("close", path, errno) }
    }
}

/// A read-only view of a file as it was when opened, memory-mapped once. The mapping lives
/// as long as the object (unmapped in deinit, not in `close`), so a concurrent `withBytes`
/// can never touch unmapped memory; `close` only makes later reads fail.
public final class PosixReadableFile: ReadableFile {
    public let path: String
    public let size: Int64
    // Immutable after init and unmapped only in deinit, so sharing it across threads is safe.
    private nonisolated(unsafe) let mapping: UnsafeRawBufferPointer?
    /// Kept open only when there is no mapping (the pread fallback).
    private let fd: Int32
    private let closed = Atomic<Bool>(false)

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw posixError("open", path, errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            _ = sysClose(fd)
            throw posixError("fstat", path, e)
        }
        self.size = Int64(st.st_size)
        var mapped: UnsafeRawBufferPointer? = nil
        if st.st_size > 0, let p = mmap(nil, Int(st.st_size), PROT_READ, MAP_SHARED, fd, 0), p != MAP_FAILED {
            mapped = UnsafeRawBufferPointer(start: p, count: Int(st.st_size))
        }
        self.mapping = mapped
        if mapped != nil {
            // The mapping outlives the descriptor.
            _ = sysClose(fd)
            self.fd = -1
        } else {
            self.fd = fd
        }
    }

    deinit {
        if let m = mapping { munmap(UnsafeMutableRawPointer(mutating: m.baseAddress!), m.count) }
        if fd >= 0 && !closed.load(ordering: .acquiring) { _ = sysClose(fd) }
    }

    @inline(__always)
    private func check(_ offset: Int64, _ count: Int) throws {
        if closed.load(ordering: .relaxed) { throw posixError("read", path, EBADF) }
        guard offset >= 0, count >= 0, offset <= size, Int64(count) <= size - offset else {
            throw FileSystemError(operation: "read", path: path, errno: EIO,
                                  message: "short read: \(count) bytes at offset \(offset) of a \(size)-byte file")
        }
    }

    public func read(at offset: Int64, count: Int) throws -> [UInt8] {
        try withBytes(at: offset, count: count) { Array($0) }
    }

    public func withBytes<R>(at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try check(offset, count)
        if count == 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        if let m = mapping {
            return try body(UnsafeRawBufferPointer(rebasing: m[Int(offset)..<Int(offset) + count]))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { buffer.deallocate() }
        var done = 0
        while done < count {
            let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw posixError("pread", path, e)
            }
            if n == 0 {
                throw FileSystemError(operation: "pread", path: path, errno: EIO,
                                      message: "unexpected end of file at offset \(offset + Int64(done))")
            }
            done += n
        }
        return try body(UnsafeRawBufferPointer(buffer))
    }

    public func close() {
        let wasClosed = closed.exchange(true, ordering: .acquiringAndReleasing)
        if !wasClosed && fd >= 0 { _ = sysClose(fd) }
    }
}

#if os(Linux)
/// glibc's `fallocate` (declared only under _GNU_SOURCE, like `sync_file_range`), looked
/// up once; nil where the C library lacks it.
private let fallocateCall: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32)? = {
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
    return unsafeBitCast(sym, to: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32).self)
}()

/// glibc's `sync_file_range` (declared only under _GNU_SOURCE, which the Glibc module
/// does not define), looked up once; nil where the C library lacks it.
private let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
    guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
    return unsafeBitCast(sym, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
}()
#endif
