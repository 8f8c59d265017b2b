import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

/// What an acknowledged write survives (docs/formats/commitlog.md, "Sync modes"): a
/// process crash loses nothing acknowledged in any mode, a machine crash nothing in batch
/// and group modes; a full disk fails the write before its acknowledgement.
@Suite("CommitLog acknowledgements")
struct CommitLogAcknowledgementTests {
    let dir = "/data/commitlog"

    func log(_ fs: FaultInjectingFileSystem, _ sync: CommitLogSync, segmentSizeBytes: Int = 4096) throws -> CommitLog {
        try CommitLog(directory: dir, fileSystem: fs, options: CommitLogOptions(sync: sync, segmentSizeBytes: segmentSizeBytes),
                      logger: CommitLogCapturingLog().logger)
    }

    /// Four threads append (blocking until acknowledgeable); returns what was acknowledged.
    func concurrentAppends(_ log: CommitLog, perThread: Int = 100) -> [Mutation] {
        let acknowledged = Mutex<[Mutation]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            var fuzz = MutationFuzzer(seed: UInt64(100 + t))
            for _ in 0..<perThread {
                let m = fuzz.small(table: t % 2 == 0 ? commitLogTableA : commitLogTableB, valueBytes: 60)
                if (try? log.append(m)) != nil { acknowledged.withLock { $0.append(m) } }
            }
        }
        return acknowledged.withLock { $0 }
    }

    /// kill -9: the log object is abandoned mid-flight, the kernel keeps what was written.
    /// A one-hour period: no fsync happens, so only write-before-acknowledge can save them.
    @Test(arguments: [CommitLogSync.periodic(periodMs: 3_600_000), .group(windowMs: 2), .batch])
    func aProcessCrashLosesNothingAcknowledged(sync: CommitLogSync) throws {
        let fs = FaultInjectingFileSystem()
        let acknowledged = concurrentAppends(try log(fs, sync))
        #expect(acknowledged.count == 400)
        fs.simulateProcessCrash()
        let (again, replayed, _, _) = try commitLogReopen(fs, dir, sync: sync, segmentSizeBytes: 4096)
        #expect(Set(replayed.map { "\($0)" }).isSuperset(of: acknowledged.map { "\($0)" }), "acknowledged appends lost")
        try again.shutdown()
    }

    /// On the real file system segments are mapped: a log abandoned without shutdown (its
    /// files unmapped and closed as a dying process's are, never cut back) leaves segments
    /// full-size with zeros after their entries; every acknowledged entry replays and the
    /// zeros are cut as a torn tail.
    @Test func mappedSegmentsLeftByADeadProcessReplayWhole() throws {
        let root = fsTestTemporaryDirectory("commitlog-mapped")
        defer { fsTestRemoveDirectory(root) }
        let fs = PosixFileSystem()
        let dir = root + "/commitlog"
        var acknowledged: [Mutation] = []
        do {
            let log = try CommitLog(directory: dir, fileSystem: fs,
                                    options: CommitLogOptions(sync: .periodic(periodMs: 3_600_000), segmentSizeBytes: 16 << 10),
                                    logger: CommitLogCapturingLog().logger)
            var fuzz = MutationFuzzer(seed: 9)
            for _ in 0..<300 {
                let m = fuzz.small(table: commitLogTableA, valueBytes: 100)
                try log.append(m)
                acknowledged.append(m)
            }
            #expect(log.activeSegmentPaths.count > 2, "several segments")
            #expect(try fs.fileSize(log.activeSegmentPaths.last!) == 16 << 10, "the active segment is mapped full-size")
        }
        let (again, replayed, _, report) = try commitLogReopen(fs, dir, sync: .periodic(periodMs: 3_600_000),
                                                               segmentSizeBytes: 16 << 10)
        #expect(replayed == acknowledged)
        #expect(report.truncatedTailBytes > 0, "the zeros of the open segments were cut")
        try again.shutdown()
    }

    @Test(arguments: [CommitLogSync.group(windowMs: 2), .batch])
    func aMachineCrashLosesNothingAcknowledged(sync: CommitLogSync) throws {
        let fs = FaultInjectingFileSystem()
        let acknowledged = concurrentAppends(try log(fs, sync))
        fs.crash()
        let (again, replayed, _, _) = try commitLogReopen(fs, dir, sync: sync, segmentSizeBytes: 4096)
        #expect(Set(replayed.map { "\($0)" }).isSuperset(of: acknowledged.map { "\($0)" }), "acknowledged appends lost")
        try again.shutdown()
    }

    /// Segments reserve their whole size when made, so the disk fills up at a segment's
    /// creation: the append needing it throws (nothing acknowledged), earlier ones survive,
    /// and writes go on once there is room again.
    @Test(arguments: [CommitLogSync.periodic(periodMs: 3_600_000), .batch])
    func aFullDiskFailsTheWriteBeforeItsAcknowledgement(sync: CommitLogSync) throws {
        let fs = FaultInjectingFileSystem()
        fs.capacityBytes = 5 * 4096 + 100
        let log = try log(fs, sync)
        var fuzz = MutationFuzzer(seed: 5)
        var acknowledged: [Mutation] = []
        var failures: [any Error] = []
        // Until three writes in a row are refused (a spare the sync thread made in the
        // meantime may still take one more segment's worth).
        for _ in 0..<400 where failures.count < 3 {
            let m = fuzz.small(table: commitLogTableA, valueBytes: 100)
            do {
                try log.append(m)
                acknowledged.append(m)
                failures = []
            } catch {
                failures.append(error)
            }
        }
        #expect(failures.count == 3)
        for failure in failures {
            guard case .segmentUnavailable(let underlying) = failure as? CommitLogError else {
                Issue.record("expected segmentUnavailable, got \(failure)")
                return
            }
            #expect((underlying as? FileSystemError)?.errno == ENOSPC)
        }
        #expect(acknowledged.count > 20)
        #expect(fs.usedBytes <= 5 * 4096 + 100)
        // Room again: writes go on.
        fs.capacityBytes = nil
        let later = fuzz.small(table: commitLogTableA, valueBytes: 100)
        try log.append(later)
        acknowledged.append(later)
        fs.simulateProcessCrash()
        let (again, replayed, _, _) = try commitLogReopen(fs, dir, sync: sync, segmentSizeBytes: 4096)
        #expect(replayed == acknowledged)
        try again.shutdown()
    }

    /// Writers waiting for a sync share it (group commit), without a thread each: 2,000
    /// writes from four threads, each acknowledged by a callback, are issued while the
    /// sync thread is held at its first fsync (the test holds `fsyncLock`), so at most that
    /// fsync and one more for everybody who arrived meanwhile are needed.
    @Test(arguments: [CommitLogSync.group(windowMs: 20), .batch])
    func waitingWritersShareSyncs(sync: CommitLogSync) throws {
        let fs = FaultInjectingFileSystem()
        let log = try log(fs, sync, segmentSizeBytes: 32 << 20)
        let before = fs.syncCount
        let durable = Mutex(0)
        let done = DispatchSemaphore(value: 0)
        let writes = 2_000
        log.fsyncLock.withLock { _ in
            DispatchQueue.concurrentPerform(iterations: 4) { t in
                var fuzz = MutationFuzzer(seed: UInt64(t + 1))
                for _ in 0..<(writes / 4) {
                    guard let a = try? log.add(fuzz.small(table: commitLogTableA)) else { continue }
                    #expect(a.needsSync)
                    log.whenDurable(a.position) { error in
                        #expect(error == nil)
                        if durable.withLock({ $0 += 1; return $0 }) == writes { done.signal() }
                    }
                }
            }
            #expect(durable.withLock { $0 } == 0, "nothing is durable before an fsync")
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        let syncs = fs.syncCount - before
        #expect(syncs >= 1 && syncs <= 2, "\(syncs) fsyncs for \(writes) writes")
        try log.shutdown()
    }
}
