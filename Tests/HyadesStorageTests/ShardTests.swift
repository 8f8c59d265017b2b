import HyadesCore
import Testing
@testable import HyadesStorage

/// Flush and compaction outputs cut at shard boundaries (`ShardBoundaries`).
@Suite struct ShardTests {
    static let id = TableID(high: 0x5AD, low: 1)

    struct Node {
        let fs = FaultInjectingFileSystem()
        let engine: StorageEngine
        let table: TableStore

        init(compaction: CompactionStrategyKind = .sizeTiered(minThreshold: 4, maxThreshold: 32),
             flushShardMinBytes: Int = 0) throws {
            var options = StorageEngineOptions()
            options.backgroundCompaction = false
            options.compactionThroughputBytesPerSecond = 0
            options.nowInSeconds = { 1_700_000_000 }
            engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: fs, options: options)
            var t = TableOptions()
            t.chunkLengthBytes = 1024
            t.compaction = compaction
            t.flushShardMinBytes = flushShardMinBytes
            table = try engine.openTable(ShardTests.id, directory: "/t", options: t)
            try engine.replayCommitLog()
        }

        /// Rows of keys `keys`, one clustering row each, value tagged by `ts`.
        func write(_ keys: Range<Int>, ts: Int64, bytes: Int = 8) throws {
            for k in keys {
                try table.apply(PartitionUpdate(table: ShardTests.id, key: testKey(k),
                                                rows: [testRow(0, ts: ts, [(1, [UInt8](repeating: UInt8(truncatingIfNeeded: ts), count: bytes))])]))
            }
        }

        func everything() throws -> [ReadResult] { try drain(table.scan(.all, nowInSeconds: 1_700_000_000)) }

        /// The live SSTables that hold keys of more than one shard of `b`.
        func unaligned(_ b: ShardBoundaries) -> [Int64] {
            table.liveSSTables.filter { !b.isAligned(minToken: $0.statistics.minToken, maxToken: $0.statistics.maxToken) }
                .map(\.generation)
        }

        /// How many shards of `b` hold at least one of `keys`.
        static func nonEmptyShards(_ keys: Range<Int>, _ b: ShardBoundaries) -> Int {
            Set(keys.map { b.shard(of: testKey($0).token) }).count
        }
    }

    /// Boundaries at the tokens of some test keys, so keys sit exactly on them too.
    static func boundaries(every n: Int, of keys: Range<Int>) -> ShardBoundaries {
        ShardBoundaries(keys.filter { $0 % n == 0 }.map { testKey($0).token })
    }

    // MARK: the boundaries themselves

    /// Cassandra's ranges are (start, end]: a key on a boundary belongs to the shard it ends.
    @Test(arguments: [
        // (boundaries, token, shard)
        ([10, 20, 30], 5, 0), ([10, 20, 30], 10, 0), ([10, 20, 30], 11, 1), ([10, 20, 30], 20, 1),
        ([10, 20, 30], 30, 2), ([10, 20, 30], 31, 3), ([10, 20, 30], Int64.max, 3), ([10, 20, 30], Int64.min, 0),
        ([], 42, 0), ([30, 10, 20, 10], 15, 1), ([Int64.max], Int64.max, 0), ([Int64.min], Int64.min + 1, 1),
    ] as [([Int64], Int64, Int)])
    func shardOfToken(boundaries: [Int64], token: Int64, shard: Int) {
        let b = ShardBoundaries(boundaries.map { Token($0) })
        #expect(b.shard(of: Token(token)) == shard)
        #expect(b.tokens == b.tokens.sorted() && Set(b.tokens).count == b.tokens.count)
    }

    @Test func cutterCutsOnlyWhenAShardEnds() {
        var cutter = ShardCutter(ShardBoundaries([Token(10), Token(20)]))
        let tokens: [Int64] = [1, 10, 11, 15, 20, 25, 1000]
        #expect(tokens.map { cutter.crossesBoundary(Token($0)) } == [false, false, true, false, false, true, false])
        var none = ShardCutter(.unsharded)
        #expect(!tokens.contains { none.crossesBoundary(Token($0)) })
    }

    // MARK: flush

    /// With no minimum piece size, a flush writes one SSTable per non-empty shard.
    @Test(arguments: [1, 3, 7, 50])
    func flushWritesOneSSTablePerNonEmptyShard(every n: Int) throws {
        let node = try Node()
        let keys = 0..<200
        let b = Self.boundaries(every: n, of: keys)
        node.engine.setShardBoundaries(b)
        try node.write(keys, ts: 1)
        try node.table.flush()
        #expect(node.unaligned(b).isEmpty)
        #expect(node.table.liveSSTables.count == Node.nonEmptyShards(keys, b))
        #expect(node.table.liveSSTables.reduce(0) { $0 + $1.statistics.partitionCount } == 200)
        #expect(try node.everything().count == 200)
        try node.engine.shutdown()
    }

    /// Small flushes are not cut into a file per shard: a cut needs `flushShardMinBytes`
    /// on both sides (memtable estimate). Rows here weigh ~300 bytes each.
    @Test(arguments: [
        // (flushShardMinBytes, how many SSTables a ~70 KiB flush writes)
        (4 << 20, 1...1), (16 << 10, 2...4), (4 << 10, 6...18), (0, 40...41),
    ] as [(Int, ClosedRange<Int>)])
    func smallFlushesMakeFewerPieces(minBytes: Int, pieces: ClosedRange<Int>) throws {
        let node = try Node(flushShardMinBytes: minBytes)
        let keys = 0..<200
        let b = Self.boundaries(every: 5, of: keys)
        node.engine.setShardBoundaries(b)
        try node.write(keys, ts: 1, bytes: 100)
        #expect((60_000...80_000).contains(node.table.memtableBytes))
        try node.table.flush()
        #expect(pieces.contains(node.table.liveSSTables.count))
        if minBytes == 0 {
            #expect(node.unaligned(b).isEmpty)
            #expect(node.table.liveSSTables.count == Node.nonEmptyShards(keys, b))
        }
        #expect(try node.everything().count == 200)
        try node.engine.shutdown()
    }

    // MARK: compaction

    /// SSTables written before there were boundaries span every shard; any compaction of
    /// them (major, or what size-tiered / leveled picks) writes aligned outputs.
    @Test(arguments: [
        CompactionStrategyKind.sizeTiered(minThreshold: 2, maxThreshold: 32),
        .leveled(sstableSizeBytes: 1 << 20, fanout: 10),
    ], [true, false])
    func compactionAlignsOldSSTables(strategy: CompactionStrategyKind, major: Bool) throws {
        let node = try Node(compaction: strategy)
        for round in 0..<4 {
            try node.write(round * 50..<(round * 50 + 80), ts: Int64(round + 1))
            try node.table.flush()
        }
        let before = try node.everything()
        let b = Self.boundaries(every: 9, of: 0..<230)
        #expect(node.unaligned(b).count == 4)
        node.engine.setShardBoundaries(b)
        try node.table.compact(major: major)
        #expect(node.unaligned(b).isEmpty)
        #expect(node.table.liveSSTables.count == Node.nonEmptyShards(0..<230, b))
        #expect(try node.everything() == before)
        // Aligned outputs are compacted shard by shard: nothing more to do.
        #expect(node.table.nextPlan() == nil)
        try node.engine.shutdown()
    }

    /// Boundaries set at runtime apply to the next flush and compaction; a table's own
    /// boundaries win over the engine's.
    @Test func boundariesChangedAtRuntimeApplyToTheNextFlushAndCompaction() throws {
        let node = try Node(compaction: .sizeTiered(minThreshold: 2, maxThreshold: 32))
        let a = Self.boundaries(every: 4, of: 0..<100)
        let c = Self.boundaries(every: 11, of: 0..<100).tokens.map { Token($0.value &+ 1) }
        let b = ShardBoundaries(c)
        node.engine.setShardBoundaries(a)
        try node.write(0..<100, ts: 1)
        try node.table.flush()
        let first = Set(node.table.liveSSTables.map(\.generation))
        #expect(node.unaligned(a).isEmpty)
        node.engine.setShardBoundaries(b)
        try node.write(0..<100, ts: 2)
        try node.table.flush()
        let second = node.table.liveSSTables.filter { !first.contains($0.generation) }
        #expect(second.count == Node.nonEmptyShards(0..<100, b))
        #expect(second.allSatisfy { b.isAligned(minToken: $0.statistics.minToken, maxToken: $0.statistics.maxToken) })
        // The first flush's files straddle b's boundaries: compaction realigns them.
        #expect(!node.unaligned(b).isEmpty)
        try node.table.compact(major: false)
        #expect(node.unaligned(b).isEmpty)
        let rows = try node.everything()
        #expect(rows.count == 100 && rows.allSatisfy { $0.rows.first?.liveness.timestamp == 2 })
        // The table's own boundaries, then back to the engine's.
        node.table.setShardBoundaries(.unsharded)
        #expect(node.table.shardBoundaries == .unsharded)
        try node.table.compact(major: true)
        #expect(node.table.liveSSTables.count == 1)
        node.table.setShardBoundaries(nil)
        #expect(node.table.shardBoundaries == b)
        try node.table.compact(major: true)
        #expect(node.table.liveSSTables.count == Node.nonEmptyShards(0..<100, b))
        #expect(try node.everything() == rows)
        try node.engine.shutdown()
    }

    /// Aligned files survive a restart as they are (alignment comes from each SSTable's
    /// statistics, nothing else is stored), and the boundaries are the server's to set again.
    @Test func restartKeepsShardedSSTables() throws {
        let node = try Node()
        let b = Self.boundaries(every: 6, of: 0..<60)
        node.engine.setShardBoundaries(b)
        try node.write(0..<60, ts: 1)
        try node.table.flush()
        let generations = node.table.liveSSTables.map(\.generation).sorted()
        let rows = try node.everything()
        try node.engine.shutdown()
        let engine = try StorageEngine(commitLogDirectory: "/cl", fileSystem: node.fs)
        let table = try engine.openTable(Self.id, directory: "/t", options: node.table.options)
        try engine.replayCommitLog()
        #expect(engine.shardBoundaries == .unsharded)
        #expect(table.liveSSTables.map(\.generation).sorted() == generations)
        #expect(try drain(table.scan(.all, nowInSeconds: 1_700_000_000)) == rows)
        try engine.shutdown()
    }

    // MARK: strategies

    func c(_ g: Int64, _ size: Int64, _ min: Int64, _ max: Int64, level: Int = 0) -> CompactionCandidate {
        CompactionCandidate(generation: g, sizeBytes: size, firstKey: [0], lastKey: [9], level: level,
                            minToken: Token(min), maxToken: Token(max))
    }

    /// Size-tiered buckets shard by shard; an SSTable spanning shards counts in each.
    @Test(arguments: [
        // (candidates as (generation, min token, max token), expected inputs; boundaries 100, 200)
        ([(1, 0, 50), (2, 10, 90), (3, 120, 150), (4, 130, 190)], [Int64]?.none),
        ([(1, 0, 50), (2, 10, 90), (3, 20, 60), (4, 30, 99)], [1, 2, 3, 4]),
        // Shards 0 and 1 both hold five; the first wins the tie.
        ([(1, 0, 150), (2, 10, 250), (3, 50, 60), (4, 150, 160), (5, 90, 300), (6, 0, 300)], [1, 2, 3, 5, 6]),
        // Four pieces of one flush (one per shard) are no reason to compact.
        ([(1, 0, 50), (2, 150, 160), (3, 250, 260), (4, 300, 400)], nil),
        // Two flushes cut in pieces spanning shards: at most two per shard.
        ([(1, 0, 190), (2, 210, 400), (3, 0, 90), (4, 110, 400)], nil),
        ([(1, 0, 150), (2, 10, 250), (3, 50, 60)], nil),
    ] as [([(Int64, Int64, Int64)], [Int64]?)])
    func sizeTieredWorksWithinShards(files: [(Int64, Int64, Int64)], inputs: [Int64]?) {
        let b = ShardBoundaries([Token(100), Token(200)])
        let plan = CompactionStrategy.next(.sizeTiered(minThreshold: 4, maxThreshold: 32),
                                           candidates: files.map { c($0.0, 1000, $0.1, $0.2) }, boundaries: b)
        #expect(plan?.inputs == inputs)
        // Without boundaries: one bucket of everything, as before.
        let flat = CompactionStrategy.next(.sizeTiered(minThreshold: 4, maxThreshold: 32),
                                           candidates: files.map { c($0.0, 1000, $0.1, $0.2) })
        #expect(flat?.inputs == (files.count >= 4 ? files.map(\.0) : nil))
    }

    /// Leveled L0 counts depth: four flushes cut into pieces trigger, four pieces of one
    /// flush do not.
    @Test func leveledCountsLevel0ByDepth() {
        let b = ShardBoundaries([Token(100), Token(200), Token(300)])
        let kind = CompactionStrategyKind.leveled(sstableSizeBytes: 1 << 20, fanout: 10)
        let oneFlush = [c(1, 10, 0, 100), c(2, 10, 101, 200), c(3, 10, 201, 300), c(4, 10, 301, 400)]
        #expect(CompactionStrategy.depth(oneFlush, boundaries: b) == 1)
        #expect(CompactionStrategy.next(kind, candidates: oneFlush, boundaries: b) == nil)
        #expect(CompactionStrategy.next(kind, candidates: oneFlush) != nil)
        let fourFlushes = (0..<4).flatMap { f in oneFlush.map { c($0.generation + Int64(f) * 10, 10, $0.minToken.value, $0.maxToken.value) } }
        #expect(CompactionStrategy.depth(fourFlushes, boundaries: b) == 4)
        #expect(CompactionStrategy.next(kind, candidates: fourFlushes, boundaries: b)?.inputs.count == 16)
        // A file spanning every shard counts in each.
        #expect(CompactionStrategy.depth(oneFlush + [c(9, 10, 0, 400)], boundaries: b) == 2)
    }
}
