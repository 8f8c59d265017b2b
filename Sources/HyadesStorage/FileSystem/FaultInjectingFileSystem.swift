#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An in-memory file system that models what survives a power loss, for crash tests of
/// everything above the `FileSystem` seam.
///
/// Durability model (the pessimistic reading of POSIX that Linux ext4/xfs can exhibit):
/// - a file's bytes are durable up to the length at its last successful `sync()`; bytes
///   appended after that are "unsynced";
/// - directory entries (creations, renames, removals) are volatile until `syncDirectory`
///   of their parent directory; directories themselves are durable when created;
/// - `simulateCrash` drops every unsynced byte and every unsynced directory operation;
///   with a seed it instead keeps a random prefix of each file's unsynced bytes (a torn
///   write), optionally overwriting the end of that prefix with garbage;
/// - a failed `sync()` loses the file's unsynced bytes, as Linux does after a writeback
///   error (the dirty pages are dropped and a later fsync reports success);
/// - `simulateProcessCrash` is the death of the process alone (kill -9): every byte
///   written so far stays, synced or not (it is in the kernel), only the handles die.
/// Handles opened before a crash are dead: every operation on them throws EBADF.
///
/// A full disk: with `capacityBytes` set, the files' bytes (or their `reserve`d size, if
/// larger) may not exceed it; an append that does not fit writes what fits and throws
/// ENOSPC (as write(2) does), a `reserve` that does not fit throws ENOSPC and reserves
/// nothing.
///
/// Faults are injected with `injectFault`; the test helpers `contents`, `flipBit` and
/// `truncate` look at or damage the current (volatile) state directly.
public final class FaultInjectingFileSystem: FileSystem {
    /// The operations a fault can target.
    public struct Operations: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let read = Operations(rawValue: 1 << 0)
        public static let write = Operations(rawValue: 1 << 1)
        public static let sync = Operations(rawValue: 1 << 2)
        public static let syncDirectory = Operations(rawValue: 1 << 3)
        public static let create = Operations(rawValue: 1 << 4)
        public static let remove = Operations(rawValue: 1 << 5)
        public static let rename = Operations(rawValue: 1 << 6)
        public static let all = Operations(rawValue: 0x7F)
    }

    struct Fault {
        var operations: Operations
        var errno: Int32
        /// Matching operations still to succeed before the fault fires.
        var remaining: Int
        var once: Bool
        var matches: @Sendable (String) -> Bool
    }

    struct Inode {
        var data: [UInt8] = []
        /// `data[..<durableCount]` survives a crash.
        var durableCount = 0
        /// Space reserved by `reserve` (fallocate with FALLOC_FL_KEEP_SIZE).
        var reserved = 0
        var footprint: Int { max(data.count, reserved) }
    }

    struct State {
        var inodes: [Int: Inode] = [:]
        var nextInode = 1
        var names: [String: Int] = [:]
        var durableNames: [String: Int] = [:]
        var directories: Set<String> = ["/"]
        var epoch = 0
        var faults: [Fault] = []
        var operationCount = 0
        var crashCount = 0
        var syncCount = 0
        var capacityBytes: Int?

        /// Bytes the live files take (their data, or their reservation if larger).
        var usedBytes: Int {
            Set(names.values).reduce(0) { $0 + (inodes[$1]?.footprint ?? 0) }
        }

        /// Bytes `inode` may still grow by before the disk is full (nil: no limit).
        func room(for inode: Int) -> Int? {
            guard let capacity = capacityBytes, let node = inodes[inode] else { return nil }
            return max(0, node.reserved - node.data.count) + max(0, capacity - usedBytes)
        }

        /// Counts the operation and throws if an injected fault fires for it.
        mutating func check(_ op: Operations, _ path: String, _ name: String) throws {
            operationCount += 1
            var fire: Int32? = nil
            var i = 0
            while i < faults.count {
                if faults[i].operations.contains(op) && faults[i].matches(path) {
                    if faults[i].remaining > 0 {
                        faults[i].remaining -= 1
                    } else if fire == nil {
                        fire = faults[i].errno
                        if faults[i].once {
                            faults.remove(at: i)
                            continue
                        }
                    }
                }
                i += 1
            }
            if let e = fire {
                throw FileSystemError(operation: name, path: path, errno: e,
                                      message: "injected fault: " + String(cString: strerror(e)))
            }
        }
    }

    let state = Mutex(State())

    public init() {}

    // MARK: Faults

    /// After `afterOperations` matching operations have succeeded, every further matching
    /// operation (or only the next one, with `once`) fails with `errno`.
    public func injectFault(_ operations: Operations, errno: Int32 = EIO, afterOperations: Int = 0, once: Bool = false,
                            matching: @escaping @Sendable (String) -> Bool = { _ in true }) {
        state.withLock {
            $0.faults.append(Fault(operations: operations, errno: errno, remaining: afterOperations, once: once,
                                   matches: matching))
        }
    }

    public func clearFaults() { state.withLock { $0.faults.removeAll() } }

    /// File operations performed so far (reads, writes, syncs, directory operations).
    public var operationCount: Int { state.withLock { $0.operationCount } }

    /// Successful file syncs so far (not directory syncs).
    public var syncCount: Int { state.withLock { $0.syncCount } }

    /// The disk's size: appends and reservations beyond it fail with ENOSPC. nil = unlimited.
    public var capacityBytes: Int? {
        get { state.withLock { $0.capacityBytes } }
        set { state.withLock { $0.capacityBytes = newValue } }
    }

    /// Bytes the live files take now (data, or reservation where larger).
    public var usedBytes: Int { state.withLock { $0.usedBytes } }

    // MARK: Crash

    /// Power loss: unsynced bytes and unsynced directory operations are gone. With a
    /// `seed`, each file instead keeps a random prefix of its unsynced bytes (`tearing`),
    /// whose last bytes are replaced by random garbage when `garbling` is set.
    public func simulateCrash(seed: UInt64? = nil, garbling: Bool = false) {
        state.withLock { s in
            var rng = CrashRandom(seed: seed ?? 0)
            s.names = s.durableNames
            let live = Set(s.names.values)
            for id in s.inodes.keys.sorted() {
                guard live.contains(id), var inode = s.inodes[id] else {
                    s.inodes[id] = nil
                    continue
                }
                let unsynced = inode.data.count - inode.durableCount
                var keep = 0
                if seed != nil && unsynced > 0 {
                    keep = Int(rng.next() % UInt64(unsynced + 1))
                }
                inode.data.removeLast(unsynced - keep)
                if garbling && keep > 0 {
                    let garbage = 1 + Int(rng.next() % UInt64(min(keep, 512)))
                    for i in (inode.data.count - garbage)..<inode.data.count {
                        inode.data[i] = UInt8(truncatingIfNeeded: rng.next())
                    }
                }
                // What survived is now on disk.
                inode.durableCount = inode.data.count
                s.inodes[id] = inode
            }
            s.epoch += 1
            s.crashCount += 1
        }
    }

    /// Power loss dropping every unsynced byte and directory operation.
    public func crash() { simulateCrash(seed: nil) }

    /// The process dies (kill -9), the machine does not: every byte written and every
    /// directory operation done so far stays (the kernel has them); only the open handles
    /// die, so nothing the dead process still held in its own memory gets written.
    public func simulateProcessCrash() {
        state.withLock { s in
            s.epoch += 1
            s.crashCount += 1
        }
    }

    // MARK: Test helpers

    /// The file's current bytes (synced or not), or nil when it does not exist.
    public func contents(_ path: String) -> [UInt8]? {
        state.withLock { s in s.names[path].flatMap { s.inodes[$0]?.data } }
    }

    /// Bytes of the file not yet made durable by a sync.
    public func unsyncedByteCount(_ path: String) -> Int {
        state.withLock { s in
            guard let id = s.names[path], let inode = s.inodes[id] else { return 0 }
            return inode.data.count - inode.durableCount
        }
    }

    /// Flips one bit of a file in place (durable and current state): simulated bit rot.
    public func flipBit(path: String, offset: Int, bit: Int) throws {
        try state.withLock { s in
            guard let id = s.names[path], var inode = s.inodes[id] else { throw notFound("flipBit", path) }
            guard offset >= 0 && offset < inode.data.count else {
                throw FileSystemError(operation: "flipBit", path: path, errno: EINVAL, message: "offset \(offset) out of range")
            }
            inode.data[offset] ^= UInt8(1 << (bit & 7))
            s.inodes[id] = inode
        }
    }

    /// Cuts a file to `size` bytes (durably).
    public func truncate(path: String, to size: Int) throws {
        try state.withLock { s in
            guard let id = s.names[path], var inode = s.inodes[id] else { throw notFound("truncate", path) }
            if size < inode.data.count { inode.data.removeLast(inode.data.count - size) }
            inode.durableCount = min(inode.durableCount, inode.data.count)
            s.inodes[id] = inode
        }
    }

    /// Overwrites bytes of a file in place (durably), e.g. to write garbage or zeros.
    public func overwrite(path: String, at offset: Int, with bytes: [UInt8]) throws {
        try state.withLock { s in
            guard let id = s.names[path], var inode = s.inodes[id] else { throw notFound("overwrite", path) }
            for (i, b) in bytes.enumerated() {
                if offset + i < inode.data.count { inode.data[offset + i] = b } else { inode.data.append(b) }
            }
            inode.durableCount = max(inode.durableCount, min(inode.data.count, offset + bytes.count))
            s.inodes[id] = inode
        }
    }

    // MARK: FileSystem

    public func createDirectory(_ path: String) throws {
        let p = normalize(path)
        state.withLock { s in
            var prefix = p
            while !prefix.isEmpty && prefix != "/" {
                s.directories.insert(prefix)
                prefix = parent(of: prefix)
            }
        }
    }

    public func listDirectory(_ path: String) throws -> [String] {
        let dir = normalize(path)
        return try state.withLock { s in
            guard s.directories.contains(dir) else { throw notFound("opendir", dir) }
            var out: [String] = []
            for name in s.names.keys where parent(of: name) == dir { out.append(lastComponent(name)) }
            for d in s.directories where d != dir && parent(of: d) == dir { out.append(lastComponent(d)) }
            return out.sorted()
        }
    }

    public func fileExists(_ path: String) -> Bool {
        let p = normalize(path)
        return state.withLock { $0.names[p] != nil || $0.directories.contains(p) }
    }

    public func fileSize(_ path: String) throws -> Int64 {
        let p = normalize(path)
        return try state.withLock { s in
            guard let id = s.names[p], let inode = s.inodes[id] else { throw notFound("stat", p) }
            return Int64(inode.data.count)
        }
    }

    public func removeFile(_ path: String) throws {
        let p = normalize(path)
        try state.withLock { s in
            try s.check(.remove, p, "unlink")
            guard s.names.removeValue(forKey: p) != nil else { throw notFound("unlink", p) }
        }
    }

    public func rename(_ from: String, to: String) throws {
        let f = normalize(from), t = normalize(to)
        try state.withLock { s in
            try s.check(.rename, f, "rename")
            guard let id = s.names.removeValue(forKey: f) else { throw notFound("rename", f) }
            guard s.directories.contains(parent(of: t)) else { throw notFound("rename", t) }
            s.names[t] = id
        }
    }

    public func syncDirectory(_ path: String) throws {
        let dir = normalize(path)
        try state.withLock { s in
            try s.check(.syncDirectory, dir, "fsync")
            guard s.directories.contains(dir) else { throw notFound("open", dir) }
            for name in Set(s.names.keys).union(s.durableNames.keys) where parent(of: name) == dir {
                s.durableNames[name] = s.names[name]
            }
        }
    }

    public func createForWriting(_ path: String) throws -> any WritableFile {
        let p = normalize(path)
        return try state.withLock { s in
            try s.check(.create, p, "open")
            guard s.directories.contains(parent(of: p)) else { throw notFound("open", p) }
            // O_TRUNC modelled as a fresh inode: until the directory is synced a crash
            // brings back whatever file the name durably pointed to.
            let id = s.nextInode
            s.nextInode += 1
            s.inodes[id] = Inode()
            s.names[p] = id
            return FaultWritableFile(fs: self, path: p, inode: id, epoch: s.epoch)
        }
    }

    public func openForAppending(_ path: String) throws -> any WritableFile {
        let p = normalize(path)
        return try state.withLock { s in
            try s.check(.create, p, "open")
            guard let id = s.names[p] else { throw notFound("open", p) }
            return FaultWritableFile(fs: self, path: p, inode: id, epoch: s.epoch)
        }
    }

    /// Changes bytes in place. The model keeps only a durable prefix per file, so a change
    /// inside it counts as durable at once (optimistic: a sync follows in every caller).
    public func writeInPlace(_ path: String, at offset: Int64, _ bytes: [UInt8]) throws {
        let p = normalize(path)
        try state.withLock { s in
            try s.check(.write, p, "pwrite")
            guard let id = s.names[p], var inode = s.inodes[id] else { throw notFound("pwrite", p) }
            guard offset >= 0, Int(offset) + bytes.count <= inode.data.count else {
                throw FileSystemError(operation: "pwrite", path: p, errno: EINVAL, message: "range past the end of the file")
            }
            for (i, b) in bytes.enumerated() { inode.data[Int(offset) + i] = b }
            s.inodes[id] = inode
        }
    }

    public func openForReading(_ path: String) throws -> any ReadableFile {
        let p = normalize(path)
        return try state.withLock { s in
            try s.check(.read, p, "open")
            guard let id = s.names[p], let inode = s.inodes[id] else { throw notFound("open", p) }
            return FaultReadableFile(fs: self, path: p, bytes: inode.data, epoch: s.epoch)
        }
    }
}

/// A handle on one inode; dead after a crash.
final class FaultWritableFile: WritableFile {
    let fs: FaultInjectingFileSystem
    let path: String
    let inode: Int
    let epoch: Int
    private let closed = Atomic<Bool>(false)

    init(fs: FaultInjectingFileSystem, path: String, inode: Int, epoch: Int) {
        self.fs = fs
        self.path = path
        self.inode = inode
        self.epoch = epoch
    }

    private func validate(_ s: FaultInjectingFileSystem.State, _ op: String) throws {
        if closed.load(ordering: .relaxed) || s.epoch != epoch || s.inodes[inode] == nil {
            throw FileSystemError(operation: op, path: path, errno: EBADF, message: "stale or closed file handle")
        }
    }

    var size: Int64 { fs.state.withLock { Int64($0.inodes[inode]?.data.count ?? 0) } }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try fs.state.withLock { s in
            try validate(s, "write")
            try s.check(.write, path, "write")
            if let room = s.room(for: inode), room < bytes.count {
                // write(2) on a full disk: what fits is written, then ENOSPC.
                s.inodes[inode]!.data.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<room]))
                throw FileSystemError(operation: "write", path: path, errno: ENOSPC, message: String(cString: strerror(ENOSPC)))
            }
            s.inodes[inode]!.data.append(contentsOf: bytes)
        }
    }

    func reserve(_ bytes: Int64) throws {
        try fs.state.withLock { s in
            try validate(s, "fallocate")
            try s.check(.write, path, "fallocate")
            let node = s.inodes[inode]!
            let growth = max(0, Int(bytes) - node.footprint)
            if let capacity = s.capacityBytes, s.usedBytes + growth > capacity {
                throw FileSystemError(operation: "fallocate", path: path, errno: ENOSPC, message: String(cString: strerror(ENOSPC)))
            }
            s.inodes[inode]!.reserved = max(node.reserved, Int(bytes))
        }
    }

    func sync() throws {
        try fs.state.withLock { s in
            try validate(s, "fsync")
            do {
                try s.check(.sync, path, "fsync")
            } catch {
                // Linux after a writeback error: the dirty pages are gone.
                let durable = s.inodes[inode]!.durableCount
                s.inodes[inode]!.data.removeLast(s.inodes[inode]!.data.count - durable)
                throw error
            }
            s.inodes[inode]!.durableCount = s.inodes[inode]!.data.count
            s.syncCount += 1
        }
    }

    func close() throws { closed.store(true, ordering: .relaxed) }
}

/// A snapshot of a file's bytes at open time (like a mapping of a file nobody appends to).
final class FaultReadableFile: ReadableFile {
    let fs: FaultInjectingFileSystem
    let path: String
    let bytes: [UInt8]
    let epoch: Int
    private let closed = Atomic<Bool>(false)

    init(fs: FaultInjectingFileSystem, path: String, bytes: [UInt8], epoch: Int) {
        self.fs = fs
        self.path = path
        self.bytes = bytes
        self.epoch = epoch
    }

    var size: Int64 { Int64(bytes.count) }

    func read(at offset: Int64, count: Int) throws -> [UInt8] {
        try withBytes(at: offset, count: count) { Array($0) }
    }

    func withBytes<R>(at offset: Int64, count: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try fs.state.withLock { s in
            if closed.load(ordering: .relaxed) || s.epoch != epoch {
                throw FileSystemError(operation: "read", path: path, errno: EBADF, message: "stale or closed file handle")
            }
            try s.check(.read, path, "read")
        }
        guard offset >= 0, count >= 0, offset <= Int64(bytes.count), Int64(count) <= Int64(bytes.count) - offset else {
            throw FileSystemError(operation: "read", path: path, errno: EIO,
                                  message: "short read: \(count) bytes at offset \(offset) of a \(bytes.count)-byte file")
        }
        return try bytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[Int(offset)..<Int(offset) + count]))
        }
    }

    func close() { closed.store(true, ordering: .relaxed) }
}

private func normalize(_ path: String) -> String {
    var p = path
    while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
    return p
}

private func parent(of path: String) -> String {
    guard let i = path.lastIndex(of: "/") else { return "" }
    return i == path.startIndex ? "/" : String(path[..<i])
}

private func lastComponent(_ path: String) -> String {
    guard let i = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: i)...])
}

private func notFound(_ op: String, _ path: String) -> FileSystemError {
    FileSystemError(operation: op, path: path, errno: ENOENT, message: String(cString: strerror(ENOENT)))
}

/// A tiny deterministic generator (SplitMix64), so a crash is reproducible from its seed.
/// Internal, so it cannot clash with the test targets' own generators.
struct CrashRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
