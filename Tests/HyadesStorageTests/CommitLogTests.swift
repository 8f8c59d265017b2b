import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

@Suite("CommitLog")
struct CommitLogTests {
    let dir = "/data/commitlog"

    func newLog(_ fs: any FileSystem, sync: CommitLogSync = .batch, segmentSizeBytes: Int = 32 << 20,
                maxMutationBytes: Int? = nil, capture: CommitLogCapturingLog = CommitLogCapturingLog()) throws -> CommitLog {
        try CommitLog(directory: dir, fileSystem: fs,
                      options: CommitLogOptions(sync: sync, segmentSizeBytes: segmentSizeBytes, maxMutationBytes: maxMutationBytes),
                      logger: capture.logger)
    }

    // MARK: Round trips

    func roundTrip(_ fs: any FileSystem, dir: String, sync: CommitLogSync, segmentSizeBytes: Int) throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("CommitLog roundTrip seed: \(seed)")
        var fuzz = MutationFuzzer(seed: seed)
        let log = try CommitLog(directory: dir, fileSystem: fs,
                                options: CommitLogOptions(sync: sync, segmentSizeBytes: segmentSizeBytes),
                                logger: CommitLogCapturingLog().logger)
        var appended: [Mutation] = []
        var positions: [CommitLogPosition] = []
        for _ in 0..<300 {
            let m = fuzz.mutation()
            let p = try log.append(m)
            if let last = positions.last { #expect(p > last, "positions grow") }
            #expect(p == log.currentPosition)
            appended.append(m)
            positions.append(p)
        }
        try log.shutdown()
        #expect(throws: CommitLogError.self) { try log.append(appended[0]) }

        let (again, replayed, replayedPositions, report) = try commitLogReopen(fs, dir, segmentSizeBytes: segmentSizeBytes)
        let same = replayed == appended
        #expect(same, "seed \(seed): replayed \(replayed.count) of \(appended.count)")
        #expect(replayedPositions == positions)
        #expect(report.entriesReplayed == 300)
        #expect(report.truncatedTailBytes == 0)
        #expect(again.currentPosition > positions.last!, "new segments get larger ids")
        try again.shutdown()
    }

    @Test func replayReturnsAppendedMutationsInOrder() throws {
        try roundTrip(FaultInjectingFileSystem(), dir: dir, sync: .batch, segmentSizeBytes: 32 << 20)
        try roundTrip(FaultInjectingFileSystem(), dir: dir, sync: .periodic(), segmentSizeBytes: 32 << 20)
        try roundTrip(FaultInjectingFileSystem(), dir: dir, sync: .group(windowMs: 1), segmentSizeBytes: 32 << 20)
    }

    @Test func replayAcrossSegmentsOnPosix() throws {
        let root = fsTestTemporaryDirectory("commitlog")
        defer { fsTestRemoveDirectory(root) }
        // Small segments force many rollovers.
        try roundTrip(PosixFileSystem(), dir: root + "/commitlog", sync: .batch, segmentSizeBytes: 8 << 10)
        try roundTrip(PosixFileSystem(), dir: root + "/commitlog2", sync: .periodic(periodMs: 5), segmentSizeBytes: 32 << 20)
    }

    @Test func segmentFilesAreNamedAndHeadered() throws {
        let fs = FaultInjectingFileSystem()
        let log = try newLog(fs)
        let path = log.activeSegmentPaths.last!
        let name = String(path.split(separator: "/").last!)
        let parsed = try #require(CommitLogFormat.parseSegmentFileName(name))
        #expect(parsed.version == 1)
        #expect(parsed.id == log.currentPosition.segmentID)
        #expect(name == "CommitLog-1-\(parsed.id).log")
        let bytes = try #require(fs.contents(path))
        #expect(bytes.count == CommitLogFormat.segmentHeaderBytes)
        #expect(bytes.withUnsafeBytes { CommitLogFormat.checkSegmentHeader($0, expectedID: parsed.id) } == nil)
        #expect(CommitLogFormat.parseSegmentFileName("CommitLog-1-x.log") == nil)
        #expect(CommitLogFormat.parseSegmentFileName("other.log") == nil)
        try log.shutdown()
    }

    @Test func replaySkipsWhatTablesAlreadyFlushed() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 3)
        let log = try newLog(fs)
        var positions: [CommitLogPosition] = []
        for i in 0..<10 {
            positions.append(try log.append(fuzz.small(table: i % 2 == 0 ? commitLogTableA : commitLogTableB)))
        }
        // A batch touching both tables.
        let both = Mutation([fuzz.small(table: commitLogTableA).updates[0], fuzz.small(table: commitLogTableB).updates[0]])
        let bothPosition = try log.append(both)
        try log.shutdown()

        // A flushed up to entry 5 (index 4), B up to the batch: B's half of the batch is skipped.
        let (l2, replayed, replayedPositions, report) = try commitLogReopen(
            fs, dir, after: [commitLogTableA: positions[4], commitLogTableB: bothPosition])
        #expect(replayedPositions == [positions[6], positions[8], bothPosition])
        #expect(replayed.last == Mutation([both.updates[0]]))
        #expect(replayed.dropLast().allSatisfy { $0.updates.allSatisfy { $0.table == commitLogTableA } })
        #expect(report.entriesReplayed == 3)
        #expect(report.entriesSkipped == 8)
        try l2.shutdown()
    }

    // MARK: Crashes

    /// Batch mode: whatever an append acknowledged survives any crash; what replays is a
    /// prefix of what was attempted.
    @Test func batchModeKeepsEveryAcknowledgedAppendAcrossCrashes() throws {
        let base = UInt64.random(in: 1...UInt64.max / 2)
        print("CommitLog batch crash base seed: \(base)")
        for seed in base..<(base + 40) {
            var fuzz = MutationFuzzer(seed: seed)
            let fs = FaultInjectingFileSystem()
            let log = try newLog(fs, sync: .batch, segmentSizeBytes: 4096)
            // Some operation (a write, an fsync, a directory sync...) fails at a random point.
            fs.injectFault([.write, .sync, .syncDirectory, .create], afterOperations: fuzz.int(120))
            var attempted: [Mutation] = []
            var acknowledged: [Mutation] = []
            for _ in 0..<60 {
                let m = fuzz.mutation()
                attempted.append(m)
                do {
                    _ = try log.append(m)
                    acknowledged.append(m)
                } catch {
                    break
                }
            }
            fs.simulateCrash(seed: seed, garbling: fuzz.chance(50))
            fs.clearFaults()
            let (l2, replayed, _, _) = try commitLogReopen(fs, dir, segmentSizeBytes: 4096)
            #expect(replayed.count >= acknowledged.count, "seed \(seed)")
            // Bool expectations: a diff of whole mutations would drown the seed.
            let keptAcknowledged = Array(replayed.prefix(acknowledged.count)) == acknowledged
            let inOrder = commitLogIsSubsequence(replayed, of: attempted)
            #expect(keptAcknowledged, "seed \(seed): acknowledged appends lost")
            #expect(inOrder, "seed \(seed): replay is not in append order")
            try l2.shutdown()
        }
    }

    /// Group commit: concurrent writers share fsyncs and every acknowledged append survives.
    @Test(arguments: [CommitLogSync.batch, .group(windowMs: 2)])
    func concurrentAppendsAreAllDurable(sync: CommitLogSync) throws {
        let fs = FaultInjectingFileSystem()
        let log = try newLog(fs, sync: sync, segmentSizeBytes: 16 << 10)
        let threads = 4, perThread = 100
        let done = Mutex<[[Mutation]]>(Array(repeating: [], count: threads))
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var fuzz = MutationFuzzer(seed: UInt64(t + 1))
            for _ in 0..<perThread {
                let m = fuzz.small(table: t % 2 == 0 ? commitLogTableA : commitLogTableB)
                if (try? log.append(m)) != nil { done.withLock { $0[t].append(m) } }
            }
        }
        let written = done.withLock { $0 }
        fs.crash()  // no sync, no shutdown: only what the appends made durable
        let (l2, replayed, _, _) = try commitLogReopen(fs, dir, segmentSizeBytes: 16 << 10)
        #expect(replayed.count == threads * perThread)
        // Each writer's own appends replay in its order.
        for t in 0..<threads {
            let mine = replayed.filter { m in written[t].contains(m) }
            #expect(mine == written[t])
        }
        try l2.shutdown()
    }

    @Test func periodicWritersWaitWhenSyncsLag() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 43)
        let log = try newLog(fs, sync: .periodic(periodMs: 20))
        let path = log.activeSegmentPaths.last!
        // Pretend the last sync completed long ago (a stuck disk): the append must not
        // return before the sync thread has made it durable.
        log.lastSyncNanos.store(0, ordering: .relaxed)
        try log.append(fuzz.small(table: commitLogTableA))
        #expect(fs.unsyncedByteCount(path) == 0)
        #expect(fs.contents(path)!.count > CommitLogFormat.segmentHeaderBytes)
        try log.shutdown()
    }

    /// Periodic mode: everything appended before the last completed sync survives; the
    /// unsynced window may be lost (in part, torn, garbled) but never corrupts replay.
    @Test func periodicModeKeepsEverythingSyncedBeforeTheCrash() throws {
        let base = UInt64.random(in: 1...UInt64.max / 2)
        print("CommitLog periodic crash base seed: \(base)")
        for seed in base..<(base + 40) {
            var fuzz = MutationFuzzer(seed: seed)
            let fs = FaultInjectingFileSystem()
            // A period long enough that only the explicit syncs below happen.
            let log = try newLog(fs, sync: .periodic(periodMs: 3_600_000), segmentSizeBytes: 8192)
            var synced: [Mutation] = []
            var all: [Mutation] = []
            for _ in 0..<(1 + fuzz.int(4)) {
                for _ in 0..<fuzz.int(30) { let m = fuzz.mutation(); _ = try log.append(m); all.append(m) }
                try log.sync()
                synced = all
            }
            for _ in 0..<(1 + fuzz.int(30)) { let m = fuzz.mutation(); _ = try log.append(m); all.append(m) }
            fs.simulateCrash(seed: seed, garbling: fuzz.chance(50))
            let capture = CommitLogCapturingLog()
            let (l2, replayed, _, report) = try commitLogReopen(fs, dir, segmentSizeBytes: 8192, capture: capture)
            let keptSynced = Array(replayed.prefix(synced.count)) == synced
            // Not always a prefix: the full segment's unsynced tail can be lost while the
            // next segment kept entries (both were unsynced at the crash).
            let inOrder = commitLogIsSubsequence(replayed, of: all)
            #expect(keptSynced, "seed \(seed): synced data lost (\(replayed.count) replayed, \(synced.count) synced)")
            #expect(inOrder, "seed \(seed): replay is not in append order")
            if report.truncatedTailBytes > 0 { #expect(capture.contains("torn tail"), "seed \(seed)") }
            try l2.shutdown()
            // Reopening once more sees a clean log: the tail was repaired.
            let (l3, again, _, report3) = try commitLogReopen(fs, dir, segmentSizeBytes: 8192)
            let same = again == replayed
            #expect(same, "seed \(seed)")
            #expect(report3.truncatedTailBytes == 0, "seed \(seed)")
            try l3.shutdown()
        }
    }

    @Test func tornTailIsCutLoggedAndRepaired() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 11)
        let log = try newLog(fs)
        var appended: [Mutation] = []
        for _ in 0..<10 { let m = fuzz.mutation(); appended.append(m); try log.append(m) }
        let path = log.activeSegmentPaths.last!
        try log.shutdown()
        // Half of an eleventh entry: a write torn by power loss.
        var entry = [UInt8]()
        let payload = MutationSerializer.serialize(fuzz.mutation())
        CommitLogFormat.appendLE(UInt32(payload.count), &entry)
        CommitLogFormat.appendLE(CRC32C.checksum(Array(entry[0..<4])), &entry)
        entry += payload
        let torn = Array(entry[..<(entry.count / 2)])
        let sizeBefore = fs.contents(path)!.count
        try fs.overwrite(path: path, at: sizeBefore, with: torn)

        let capture = CommitLogCapturingLog()
        let (l2, replayed, _, report) = try commitLogReopen(fs, dir, capture: capture)
        #expect(replayed == appended)
        #expect(report.truncatedTailBytes == torn.count)
        #expect(report.truncatedSegments == [path])
        #expect(capture.contains("torn tail"))
        #expect(fs.contents(path)!.count == sizeBefore, "the torn bytes are removed from the file")
        // More writes land in a newer segment; the old one must still replay cleanly.
        let more = fuzz.mutation()
        try l2.append(more)
        try l2.shutdown()
        let (l3, again, _, report3) = try commitLogReopen(fs, dir)
        #expect(again == appended + [more])
        #expect(report3.truncatedTailBytes == 0)
        try l3.shutdown()
    }

    @Test func zeroedAndShortTailsAreCut() throws {
        for tail in [[UInt8](repeating: 0, count: 4096), [0x01, 0x02, 0x03]] {
            let fs = FaultInjectingFileSystem()
            var fuzz = MutationFuzzer(seed: 5)
            let log = try newLog(fs)
            var appended: [Mutation] = []
            for _ in 0..<5 { let m = fuzz.mutation(); appended.append(m); try log.append(m) }
            let path = log.activeSegmentPaths.last!
            try log.shutdown()
            try fs.overwrite(path: path, at: fs.contents(path)!.count, with: tail)
            let (l2, replayed, _, report) = try commitLogReopen(fs, dir)
            #expect(replayed == appended)
            #expect(report.truncatedTailBytes == tail.count)
            try l2.shutdown()
        }
    }

    @Test func emptyOrTornHeaderSegmentIsTolerated() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 9)
        let log = try newLog(fs)
        let m = fuzz.mutation()
        try log.append(m)
        try log.shutdown()
        // The next run creates its segment and crashes before the header is synced.
        let l2 = try newLog(fs)
        let emptyPath = l2.activeSegmentPaths.last!
        fs.crash()
        #expect(fs.contents(emptyPath) == [])
        // A third run: replays, appends into its own segment, crashes after syncing.
        let (l3, replayed, _, _) = try commitLogReopen(fs, dir)
        #expect(replayed == [m])
        #expect(!fs.fileExists(emptyPath), "the empty segment is removed at replay")
        let m2 = fuzz.mutation()
        try l3.append(m2)
        fs.crash()
        let (l4, replayed4, _, _) = try commitLogReopen(fs, dir)
        #expect(replayed4 == [m, m2])
        try l4.shutdown()
    }

    @Test func flippedBitInANonTailEntryThrowsNamingFileAndOffset() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 13)
        let log = try newLog(fs)
        var ends: [CommitLogPosition] = []
        for _ in 0..<10 { ends.append(try log.append(fuzz.mutation())) }
        let path = log.activeSegmentPaths.last!
        try log.shutdown()

        // In the length, in the payload, in the trailing checksum of entry 4 (index 3).
        let start = Int(ends[2].offset), end = Int(ends[3].offset)
        for (offset, bit) in [(start + 1, 2), (start + 20, 5), (end - 1, 0)] {
            try fs.flipBit(path: path, offset: offset, bit: bit)
            do {
                _ = try commitLogReopen(fs, dir)
                Issue.record("replay of a corrupt entry at \(offset) must throw")
            } catch let e as CommitLogReplayError {
                #expect(e.path == path)
                #expect(e.offset == Int64(start))
                #expect("\(e)".contains(path))
            }
            try fs.flipBit(path: path, offset: offset, bit: bit)  // restore
        }
        // A zeroed hole with valid entries after it is damage to synced data, not a tail.
        let saved = Array(fs.contents(path)![start..<end])
        try fs.overwrite(path: path, at: start, with: [UInt8](repeating: 0, count: end - start))
        do {
            _ = try commitLogReopen(fs, dir)
            Issue.record("a zeroed entry followed by valid ones must throw")
        } catch let e as CommitLogReplayError {
            #expect(e.offset == Int64(start))
        }
        try fs.overwrite(path: path, at: start, with: saved)
        // Restored: replays again.
        let (l2, replayed, _, _) = try commitLogReopen(fs, dir)
        #expect(replayed.count == 10)
        try l2.shutdown()
    }

    @Test func corruptionInAnOlderSegmentThrowsEvenAtItsEnd() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 17)
        let log = try newLog(fs, segmentSizeBytes: 2048)
        for _ in 0..<40 { try log.append(fuzz.small(table: commitLogTableA, valueBytes: 100)) }
        let paths = log.activeSegmentPaths
        #expect(paths.count >= 3)
        try log.shutdown()
        let first = paths[0]
        let size = fs.contents(first)!.count
        try fs.flipBit(path: first, offset: size - 2, bit: 1)  // the last entry of a non-last segment
        #expect(throws: CommitLogReplayError.self) { _ = try commitLogReopen(fs, dir, segmentSizeBytes: 2048) }
        try fs.flipBit(path: first, offset: size - 2, bit: 1)
        try fs.truncate(path: first, to: size - 3)  // a short non-last segment
        do {
            _ = try commitLogReopen(fs, dir, segmentSizeBytes: 2048)
            Issue.record("expected a replay error")
        } catch let e as CommitLogReplayError {
            #expect(e.path == first)
        }
    }

    // MARK: Segments

    @Test func rolloverAndDiscardCompletedDeleteOnlyFullyFlushedSegments() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 19)
        let log = try newLog(fs, segmentSizeBytes: 2048)
        // Phase 1: only table A, several segments.
        for _ in 0..<50 { try log.append(fuzz.small(table: commitLogTableA, valueBytes: 100)) }
        let phase1 = log.activeSegmentPaths.dropLast()
        #expect(phase1.count >= 3)
        // Phase 2: A and B interleaved.
        var lastA = CommitLogPosition.none, lastB = CommitLogPosition.none
        for i in 0..<30 {
            if i % 2 == 0 {
                lastA = try log.append(fuzz.small(table: commitLogTableA, valueBytes: 100))
            } else {
                lastB = try log.append(fuzz.small(table: commitLogTableB, valueBytes: 100))
            }
        }
        let all = log.activeSegmentPaths
        let phase2 = all.dropLast().filter { !phase1.contains($0) }
        #expect(phase2.count >= 2)
        for p in all { #expect(fs.fileExists(p)) }

        // A flushed everything: phase-1 segments go, the ones with B's data stay.
        log.discardCompleted(table: commitLogTableA, upTo: lastA)
        for p in phase1 { #expect(!fs.fileExists(p), "\(p) held only flushed data") }
        for p in phase2 { #expect(fs.fileExists(p)) }
        #expect(log.activeSegmentPaths == Array(phase2) + [all.last!])

        // B flushed only up to before its last entries: the segment holding those stays.
        log.discardCompleted(table: commitLogTableB, upTo: CommitLogPosition(segmentID: lastB.segmentID, offset: 0))
        let remaining = log.activeSegmentPaths
        #expect(remaining.count >= 1)
        #expect(remaining.last == all.last!, "the active segment is never deleted")
        log.discardCompleted(table: commitLogTableB, upTo: lastB)
        #expect(log.activeSegmentPaths == [all.last!])
        for p in all.dropLast() { #expect(!fs.fileExists(p)) }
        #expect(fs.fileExists(all.last!))
        try log.shutdown()
    }

    @Test func replayedSegmentsAreDiscardedOnceFlushed() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 23)
        let log = try newLog(fs, segmentSizeBytes: 2048)
        for _ in 0..<20 { try log.append(fuzz.small(table: commitLogTableA, valueBytes: 100)) }
        try log.shutdown()
        let (l2, replayed, positions, _) = try commitLogReopen(fs, dir, segmentSizeBytes: 2048)
        #expect(replayed.count == 20)
        let old = l2.activeSegmentPaths.dropLast()
        #expect(!old.isEmpty)
        // The table flushes what replay gave it.
        l2.discardCompleted(table: commitLogTableA, upTo: positions.last!)
        for p in old { #expect(!fs.fileExists(p)) }
        #expect(l2.activeSegmentPaths.count == 1)
        try l2.shutdown()
    }

    @Test func droppedTableDoesNotPinSegments() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 47)
        let log = try newLog(fs, segmentSizeBytes: 2048)
        for i in 0..<30 { try log.append(fuzz.small(table: i % 3 == 0 ? commitLogTableB : commitLogTableA, valueBytes: 100)) }
        log.discardCompleted(table: commitLogTableA, upTo: log.currentPosition)
        #expect(log.activeSegmentPaths.count > 1, "B still pins segments")
        log.discardTable(commitLogTableB)
        #expect(log.activeSegmentPaths.count == 1)
        try log.shutdown()
    }

    // MARK: Failures

    @Test func fsyncFailureFailsTheWaitingAppendAndEveryLaterOne() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 29)
        let log = try newLog(fs, sync: .batch)
        try log.append(fuzz.mutation())
        fs.injectFault(.sync, errno: EIO, once: true)
        do {
            try log.append(fuzz.mutation())
            Issue.record("the append whose fsync failed must throw")
        } catch let e as FileSystemError {
            #expect(e.errno == EIO)
        }
        // The fault is gone, but an fsync is never retried: the log stays failed.
        for _ in 0..<3 {
            do {
                try log.append(fuzz.mutation())
                Issue.record("appends after a failed fsync must throw")
            } catch CommitLogError.failed(let underlying) {
                #expect((underlying as? FileSystemError)?.errno == EIO)
            }
        }
        #expect(throws: CommitLogError.self) { try log.sync() }
        #expect(throws: CommitLogError.self) { try log.shutdown() }
    }

    @Test func periodicSyncFailureFailsLaterAppends() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 31)
        let log = try newLog(fs, sync: .periodic(periodMs: 3_600_000))
        try log.append(fuzz.mutation())
        fs.injectFault(.sync, once: true)
        #expect(throws: FileSystemError.self) { try log.sync() }
        #expect(throws: CommitLogError.self) { try log.append(fuzz.mutation()) }
        #expect(throws: CommitLogError.self) { try log.shutdown() }
    }

    @Test func writeFailureFailsTheLog() throws {
        let fs = FaultInjectingFileSystem()
        var fuzz = MutationFuzzer(seed: 37)
        let log = try newLog(fs, sync: .batch)
        fs.injectFault(.write, errno: ENOSPC, once: true)
        #expect(throws: FileSystemError.self) { try log.append(fuzz.mutation()) }
        #expect(throws: CommitLogError.self) { try log.append(fuzz.mutation()) }
    }

    @Test func oversizeMutationIsRejectedBeforeAnythingIsWritten() throws {
        let fs = FaultInjectingFileSystem()
        let log = try newLog(fs, sync: .batch, maxMutationBytes: 1000)
        let path = log.activeSegmentPaths.last!
        let before = fs.contents(path)!
        let position = log.currentPosition
        let big = Mutation([PartitionUpdate(table: commitLogTableA, key: DecoratedKey(key: [1]),
                                            rows: [Row(clustering: [], columns: [.simple(1, .live(timestamp: 1, value: [UInt8](repeating: 7, count: 2000)))])])])
        do {
            try log.append(big)
            Issue.record("expected mutationTooLarge")
        } catch CommitLogError.mutationTooLarge(let size, let max) {
            #expect(size > 2000)
            #expect(max == 1000)
        }
        #expect(fs.contents(path)! == before)
        #expect(log.currentPosition == position)
        // The log still works.
        var fuzz = MutationFuzzer(seed: 41)
        try log.append(fuzz.small(table: commitLogTableA))
        try log.shutdown()
    }

    @Test func defaultOptionsFollowCassandra() {
        let o = CommitLogOptions()
        #expect(o.segmentSizeBytes == 32 << 20)
        #expect(o.maxMutationBytes == 16 << 20)
        #expect(o.sync == .periodic(periodMs: 10_000))
    }
}
