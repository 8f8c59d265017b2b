import HyadesCore
import Testing
@testable import HyadesStorage

@Suite struct CompactionTests {
    func c(_ g: Int64, _ size: Int64, _ first: UInt8, _ last: UInt8, level: Int = 0) -> CompactionCandidate {
        CompactionCandidate(generation: g, sizeBytes: size, firstKey: [first], lastKey: [last], level: level)
    }

    @Test func sizeTieredBucketsSimilarSizes() {
        let kind = CompactionStrategyKind.sizeTiered(minThreshold: 4, maxThreshold: 32)
        // Three small ones are not enough; a fourth makes a bucket.
        #expect(CompactionStrategy.next(kind, candidates: (1...3).map { c($0, 1000, 0, 9) }) == nil)
        #expect(CompactionStrategy.next(kind, candidates: (1...4).map { c($0, 1000, 0, 9) })?.inputs == [1, 2, 3, 4])
        // Large SSTables of very different sizes never share a bucket.
        let big: [CompactionCandidate] = [c(1, 100 << 20, 0, 9), c(2, 400 << 20, 0, 9), c(3, 1600 << 20, 0, 9), c(4, 6400 << 20, 0, 9)]
        #expect(CompactionStrategy.next(kind, candidates: big) == nil)
        // Similar large ones do; max_threshold caps the inputs.
        let similar = (1...40).map { c(Int64($0), Int64(100 << 20) + Int64($0), 0, 9) }
        #expect(CompactionStrategy.next(kind, candidates: similar)?.inputs.count == 32)
    }

    @Test func leveledPromotesL0AndOverfullLevels() {
        let kind = CompactionStrategyKind.leveled(sstableSizeBytes: 100, fanout: 10)
        let l1 = [c(10, 100, 0, 9, level: 1), c(11, 100, 10, 19, level: 1), c(12, 100, 50, 59, level: 1)]
        let l0 = [c(1, 50, 5, 6), c(2, 50, 12, 13), c(3, 50, 5, 15), c(4, 50, 8, 8)]
        let plan = CompactionStrategy.next(kind, candidates: l0 + l1)!
        #expect(plan.inputs == [1, 2, 3, 4, 10, 11])
        #expect(plan.outputLevel == 1 && plan.maxOutputBytes == 100)
        // L0 spans 5...15: an L1 SSTable inside the span joins even without a direct overlap.
        let gap = [c(1, 50, 0, 1), c(2, 50, 30, 31), c(3, 50, 0, 1), c(4, 50, 30, 31), c(20, 100, 10, 12, level: 1)]
        #expect(CompactionStrategy.next(kind, candidates: gap)!.inputs.contains(20))
        // Fewer than 4 in L0 and L1 within its budget (10 * 100): nothing to do.
        #expect(CompactionStrategy.next(kind, candidates: Array(l0.prefix(3)) + l1) == nil)
        // L1 over budget: one L1 SSTable moves to L2 with the L2 SSTables it overlaps.
        var full: [CompactionCandidate] = []
        for i in 0..<12 {
            let first = UInt8(i * 10)
            full.append(c(Int64(100 + i), 100, first, first + 9, level: 1))
        }
        full.append(c(200, 100, 5, 25, level: 2))
        let up = CompactionStrategy.next(kind, candidates: full)!
        #expect(up.inputs == [100, 200] && up.outputLevel == 2)
    }

    @Test func purgerHonoursGcGraceAndOlderDataElsewhere() {
        let purger = CompactionPurger(nowInSeconds: 1000, gcGraceSeconds: 100)
        let old = DeletionTime(markedForDeleteAt: 50, localDeletionTime: 800)
        let young = DeletionTime(markedForDeleteAt: 50, localDeletionTime: 950)
        let nothingElsewhere = MaxPurgeableTimestamp { Int64.max }
        let olderElsewhere = MaxPurgeableTimestamp { 40 }
        #expect(purger.purgeable(old, nothingElsewhere))
        #expect(!purger.purgeable(young, nothingElsewhere))
        #expect(!purger.purgeable(old, olderElsewhere))
        // An expired TTL cell becomes a tombstone dated at its write, then follows the same rule.
        let expired = Cell.expiring(timestamp: 30, ttl: 10, nowInSeconds: 850, value: [1])
        let row = Row(clustering: [0x40], columns: [.simple(1, expired)])
        #expect(purger.purge(row, maxTs: nothingElsewhere) == nil)
        let kept = purger.purge(row, maxTs: MaxPurgeableTimestamp { 25 })
        guard case .simple(_, let cell)? = kept?.columns.first else { Issue.record("cell dropped"); return }
        #expect(cell.isTombstone && cell.value.isEmpty && cell.localDeletionTime == 850)
    }

    /// End to end: a partition tombstone is kept while an SSTable outside the compaction
    /// holds older data for the key, and purged (with that data) once both are compacted.
    @Test func tombstoneKeptWhileShadowedDataLivesOutsideTheCompaction() throws {
        let fs = FaultInjectingFileSystem()
        let clock = ManualClock()
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        options.nowInSeconds = { clock.now }
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
        var t = TableOptions()
        t.gcGraceSeconds = 10
        let id = TableID(high: 9, low: 9)
        let table = try engine.openTable(id, directory: "/t", options: t)
        try engine.replayCommitLog()
        let key = testKey(1)
        try table.apply(PartitionUpdate(table: id, key: key, rows: [testRow(0, ts: 10, [(1, [1])])]))
        try table.flush()
        let dataGen = table.liveSSTables[0].generation
        try table.apply(PartitionUpdate(table: id, key: key, partitionDeletion: DeletionTime(markedForDeleteAt: 20, localDeletionTime: clock.now)))
        try table.apply(PartitionUpdate(table: id, key: testKey(2), rows: [testRow(0, ts: 30, [(1, [2])])]))
        try table.flush()
        let tombGen = table.liveSSTables.map(\.generation).first { $0 != dataGen }!
        clock.advance(100)
        try table.run(CompactionPlan(inputs: [tombGen], outputLevel: 0, maxOutputBytes: nil))
        var h = try table.unfilteredRead(key).nextPartition()
        #expect(h?.deletion.markedForDeleteAt == 20, "the tombstone must survive: older data lives in \(dataGen)")
        #expect(try drain(table.read(key, nowInSeconds: clock.now)).isEmpty)
        try table.compact(major: true)
        h = try table.unfilteredRead(key).nextPartition()
        #expect(h == nil, "tombstone and shadowed data both purged")
        #expect(try drain(table.read(testKey(2), nowInSeconds: clock.now)).count == 1)
        try engine.shutdown()
    }
}
