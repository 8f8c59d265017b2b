import Foundation
import Testing
@testable import HyadesStorage

/// A fresh directory under the system temp dir, removed by `cleanup`.
func fsTestTemporaryDirectory(_ label: String) -> String {
    let path = NSTemporaryDirectory() + "hyades-\(label)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func fsTestRemoveDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

@Suite("FileSystem")
struct FileSystemTests {
    /// The same contract checks on both implementations.
    func exerciseContract(_ fs: any FileSystem, root: String) throws {
        let dir = root + "/a/b"
        try fs.createDirectory(dir)
        try fs.createDirectory(dir)  // idempotent
        #expect(fs.fileExists(dir))

        let path = dir + "/f.bin"
        let w = try fs.createForWriting(path)
        #expect(w.size == 0)
        try w.append([1, 2, 3])
        try w.append(Array(repeating: 7, count: 1000))
        #expect(w.size == 1003)
        try w.sync()
        try w.close()
        #expect(try fs.fileSize(path) == 1003)

        let a = try fs.openForAppending(path)
        #expect(a.size == 1003)
        try a.append([9])
        try a.sync()
        try a.close()

        let r = try fs.openForReading(path)
        #expect(r.size == 1004)
        #expect(try r.read(at: 0, count: 3) == [1, 2, 3])
        #expect(try r.read(at: 1003, count: 1) == [9])
        let sum = try r.withBytes(at: 3, count: 1000) { buf in buf.reduce(0) { $0 + Int($1) } }
        #expect(sum == 7000)
        #expect(try r.read(at: 1004, count: 0) == [])
        #expect(throws: FileSystemError.self) { try r.read(at: 1000, count: 5) }
        #expect(throws: FileSystemError.self) { try r.read(at: -1, count: 1) }
        r.close()

        try fs.rename(path, to: dir + "/g.bin")
        try fs.syncDirectory(dir)
        #expect(!fs.fileExists(path))
        #expect(try fs.listDirectory(dir) == ["g.bin"])

        // An empty file is readable (no mapping possible: the pread fallback).
        let e = try fs.createForWriting(dir + "/empty")
        try e.close()
        let er = try fs.openForReading(dir + "/empty")
        #expect(er.size == 0)
        #expect(try er.read(at: 0, count: 0) == [])
        #expect(throws: FileSystemError.self) { try er.read(at: 0, count: 1) }
        er.close()

        try fs.removeFile(dir + "/g.bin")
        try fs.removeFile(dir + "/empty")
        #expect(try fs.listDirectory(dir) == [])
        #expect(throws: FileSystemError.self) { try fs.removeFile(dir + "/g.bin") }
        #expect(throws: FileSystemError.self) { try fs.openForReading(dir + "/missing") }
    }

    @Test func posixContract() throws {
        let root = fsTestTemporaryDirectory("fs")
        defer { fsTestRemoveDirectory(root) }
        try exerciseContract(PosixFileSystem(), root: root)
    }

    @Test func posixConcurrentAppendsKeepEveryRecordWhole() throws {
        let root = fsTestTemporaryDirectory("fs")
        defer { fsTestRemoveDirectory(root) }
        let fs = PosixFileSystem()
        let w = try fs.createForWriting(root + "/f")
        let threads = 4, records = 500
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let record = [UInt8](repeating: UInt8(t + 1), count: 100)
            for _ in 0..<records { try! w.append(record) }
        }
        try w.sync()
        try w.close()
        #expect(try fs.fileSize(root + "/f") == Int64(threads * records * 100))
        let r = try fs.openForReading(root + "/f")
        defer { r.close() }
        // Every 100-byte record is one thread's, never interleaved.
        let whole = try r.withBytes(at: 0, count: Int(r.size)) { buf in
            stride(from: 0, to: buf.count, by: 100).allSatisfy { i in buf[i..<(i + 100)].allSatisfy { $0 == buf[i] } }
        }
        #expect(whole)
    }

    @Test func posixErrorsCarryErrno() throws {
        let fs = PosixFileSystem()
        do {
            _ = try fs.openForReading("/nonexistent-hyades-dir/x")
            Issue.record("expected an error")
        } catch let error as FileSystemError {
            #expect(error.errno == ENOENT)
            #expect(error.path == "/nonexistent-hyades-dir/x")
            #expect(!error.message.isEmpty)
        }
    }

    @Test func faultInjectingContract() throws {
        try exerciseContract(FaultInjectingFileSystem(), root: "/db")
    }

    @Test func crashDropsUnsyncedBytes() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.createForWriting("/d/f")
        try fs.syncDirectory("/d")
        try w.append([1, 2, 3])
        try w.sync()
        try w.append([4, 5, 6])
        #expect(fs.unsyncedByteCount("/d/f") == 3)
        fs.crash()
        #expect(fs.contents("/d/f") == [1, 2, 3])
        // The old handle is dead.
        #expect(throws: FileSystemError.self) { try w.append([7]) }
    }

    @Test func directoryOperationsAreVolatileUntilSynced() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.createForWriting("/d/new")
        try w.append([1])
        try w.sync()
        fs.crash()
        #expect(!fs.fileExists("/d/new"), "a creation not made durable by syncDirectory is lost")

        let w2 = try fs.createForWriting("/d/a")
        try w2.append([1])
        try w2.sync()
        try fs.syncDirectory("/d")
        try fs.rename("/d/a", to: "/d/b")
        fs.crash()
        #expect(fs.fileExists("/d/a") && !fs.fileExists("/d/b"), "an unsynced rename is undone")

        try fs.rename("/d/a", to: "/d/b")
        try fs.syncDirectory("/d")
        try fs.removeFile("/d/b")
        fs.crash()
        #expect(fs.contents("/d/b") == [1], "an unsynced removal is undone")
    }

    @Test func tornWriteKeepsAPrefix() throws {
        for seed in UInt64(1)...20 {
            let fs = FaultInjectingFileSystem()
            try fs.createDirectory("/d")
            let w = try fs.createForWriting("/d/f")
            try fs.syncDirectory("/d")
            try w.append([0xAA, 0xAA])
            try w.sync()
            let tail = (0..<100).map { UInt8($0) }
            try w.append(tail)
            fs.simulateCrash(seed: seed)
            let c = fs.contents("/d/f")!
            #expect(c.count >= 2 && c.count <= 102, "seed \(seed)")
            #expect(Array(c[..<2]) == [0xAA, 0xAA])
            #expect(Array(c[2...]) == Array(tail[..<(c.count - 2)]), "seed \(seed): torn write keeps a prefix")
        }
    }

    @Test func garbledTornWriteNeverTouchesSyncedBytes() throws {
        for seed in UInt64(1)...20 {
            let fs = FaultInjectingFileSystem()
            try fs.createDirectory("/d")
            let w = try fs.createForWriting("/d/f")
            try fs.syncDirectory("/d")
            let synced = [UInt8](repeating: 0x55, count: 50)
            try w.append(synced)
            try w.sync()
            try w.append([UInt8](repeating: 0x11, count: 1000))
            fs.simulateCrash(seed: seed, garbling: true)
            let c = fs.contents("/d/f")!
            #expect(Array(c[..<50]) == synced, "seed \(seed)")
        }
    }

    @Test func failedSyncLosesUnsyncedData() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.createForWriting("/d/f")
        try w.append([1])
        try w.sync()
        try w.append([2])
        fs.injectFault(.sync, once: true)
        #expect(throws: FileSystemError.self) { try w.sync() }
        #expect(fs.contents("/d/f") == [1])
        // "Retrying" the fsync succeeds over lost data: exactly why callers must not retry.
        try w.sync()
        #expect(fs.contents("/d/f") == [1])
    }

    @Test func faultAfterNOperationsOnMatchingPaths() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let a = try fs.createForWriting("/d/a")
        let b = try fs.createForWriting("/d/b")
        fs.injectFault(.write, errno: ENOSPC, afterOperations: 2, matching: { $0.hasSuffix("/a") })
        try a.append([1])
        try a.append([2])
        try b.append([1])  // does not match, does not count
        do {
            try a.append([3])
            Issue.record("expected ENOSPC")
        } catch let e as FileSystemError {
            #expect(e.errno == ENOSPC)
        }
        #expect(throws: FileSystemError.self) { try a.append([4]) }  // sticky
        try b.append([2])
        #expect(fs.contents("/d/a") == [1, 2])
        fs.clearFaults()
        try a.append([5])
        #expect(fs.contents("/d/a") == [1, 2, 5])
    }

    @Test func readFaultsAndDamageHelpers() throws {
        let fs = FaultInjectingFileSystem()
        try fs.createDirectory("/d")
        let w = try fs.createForWriting("/d/f")
        try w.append([0, 0, 0, 0])
        try w.sync()
        try fs.flipBit(path: "/d/f", offset: 2, bit: 3)
        #expect(fs.contents("/d/f") == [0, 0, 8, 0])
        try fs.truncate(path: "/d/f", to: 3)
        #expect(fs.contents("/d/f") == [0, 0, 8])
        let r = try fs.openForReading("/d/f")
        fs.injectFault(.read)
        #expect(throws: FileSystemError.self) { try r.read(at: 0, count: 1) }
    }
}
