import Foundation
import HyadesCore
import Testing
@testable import HyadesStorage

/// Rollover: the writer that fills a segment swaps in the spare and leaves the fsync and
/// close of the full one to the sync thread (CommitLog).
@Suite("CommitLog rollover")
struct CommitLogRolloverTests {
    let dir = "/data/commitlog"

    func periodicLog(_ fs: FaultInjectingFileSystem, segmentSizeBytes: Int = 4096) throws -> CommitLog {
        // A period long enough that only the syncs the tests ask for happen.
        try CommitLog(directory: dir, fileSystem: fs,
                      options: CommitLogOptions(sync: .periodic(periodMs: 3_600_000), segmentSizeBytes: segmentSizeBytes),
                      logger: CommitLogCapturingLog().logger)
    }

    func segmentFiles(_ fs: FaultInjectingFileSystem) throws -> [String] {
        try fs.listDirectory(dir).filter { CommitLogFormat.parseSegmentFileName($0) != nil }.sorted()
    }

    /// Appends small mutations until one lands in a new segment; returns them all and
    /// the full segment's path.
    func fillFirstSegment(_ log: CommitLog, _ fuzz: inout MutationFuzzer) throws -> (appended: [Mutation], full: String) {
        let full = log.activeSegmentPaths.last!
        let first = log.currentPosition.segmentID
        var appended: [Mutation] = []
        while true {
            let m = fuzz.small(table: commitLogTableA, valueBytes: 100)
            let p = try log.append(m)
            appended.append(m)
            if p.segmentID != first { return (appended, full) }
        }
    }

    @Test func aSpareSegmentIsReadyAndRemovedAtShutdown() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 61)
        let log = try periodicLog(fs)
        #expect(try segmentFiles(fs).count == 2, "the active segment and a spare")
        #expect(log.activeSegmentPaths.count == 1, "the spare holds no entries and is not listed")
        let m = fuzz.small(table: commitLogTableA)
        try log.append(m)
        try log.shutdown()
        #expect(try segmentFiles(fs).count == 1, "the unused spare is gone")
        let (again, replayed, _, _) = try commitLogReopen(fs, dir, sync: .periodic(periodMs: 3_600_000), segmentSizeBytes: 4096)
        #expect(replayed == [m])
        try again.shutdown()
    }

    @Test func theWriterFillingASegmentDoesNotFsyncIt() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 67)
        let log = try periodicLog(fs)
        // Every fsync now fails. Closing the full segment needs one: a writer that did it
        // itself would get the error; the hand-over leaves it to the sync thread.
        fs.injectFault(.sync)
        // The sync thread's close of the full segment waits for this lock, so the fills
        // race nothing: a writer that fsynced itself would block (the test would hang) or fail.
        let (appended, _) = try log.fsyncLock.withLock { _ in try fillFirstSegment(log, &fuzz) }
        #expect(appended.count > 1)
        // The failure reaches whoever syncs next, and the log then refuses writes.
        #expect(throws: (any Error).self) { try log.sync() }
        #expect(throws: CommitLogError.self) { try log.append(fuzz.small(table: commitLogTableA)) }
    }

    /// The writer that fills a segment goes on in the spare at once: its entry reaches the
    /// kernel before the full segment is fsynced. A power loss can then tear the full
    /// segment's tail while the next one holds entries; replay cuts that tail (the two
    /// newest segments may be torn, docs/formats/commitlog.md) and keeps the rest.
    @Test func theNextSegmentIsWrittenBeforeTheFullOneIsSynced() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 71)
        let log = try periodicLog(fs)
        let (appended, full) = try fillFirstSegment(log, &fuzz)
        let next = log.activeSegmentPaths.last!
        #expect(next != full)
        #expect(fs.contents(next)!.count > CommitLogFormat.segmentHeaderBytes, "the entry in the next segment is in the kernel")
        // The process dies; the full segment's last bytes are damaged as a power loss
        // before its fsync could have left them.
        fs.simulateProcessCrash()
        let size = fs.contents(full)!.count
        try fs.overwrite(path: full, at: size - 6, with: [0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02])
        let capture = CommitLogCapturingLog()
        let (again, replayed, _, report) = try commitLogReopen(fs, dir, sync: .periodic(periodMs: 3_600_000),
                                                               segmentSizeBytes: 4096, capture: capture)
        #expect(report.truncatedSegments == [full])
        #expect(replayed == Array(appended.dropLast(2)) + [appended.last!], "the torn entry alone is lost")
        #expect(capture.contains("torn tail"))
        try again.shutdown()
    }

    @Test func rolloversKeepEveryEntryInOrder() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 73)
        let log = try periodicLog(fs, segmentSizeBytes: 2048)
        var appended: [Mutation] = []
        var positions: [CommitLogPosition] = []
        for _ in 0..<200 {
            let m = fuzz.small(table: commitLogTableA, valueBytes: 100)
            let p = try log.append(m)
            if let last = positions.last { #expect(p > last, "positions grow across hand-overs") }
            appended.append(m)
            positions.append(p)
        }
        #expect(Set(positions.map(\.segmentID)).count >= 5)
        try log.shutdown()
        let (again, replayed, replayedPositions, report) =
            try commitLogReopen(fs, dir, sync: .periodic(periodMs: 3_600_000), segmentSizeBytes: 2048)
        #expect(replayed == appended)
        #expect(replayedPositions == positions)
        #expect(report.truncatedTailBytes == 0)
        try again.shutdown()
    }
}
