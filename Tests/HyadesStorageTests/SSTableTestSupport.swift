import HyadesCore
@testable import HyadesStorage

/// Deterministic randomness for seeded tests (SplitMix64); print the seed on failure.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// A partition as the tests hold it.
struct TestPartition: Equatable {
    var header: PartitionHeader
    var rows: [Row]
}

enum SSTableTestSupport {
    static func clustering(_ i: Int) -> [UInt8] {
        // One int component in a byte-comparable form: separator + big-endian, sign flipped.
        let v = UInt32(bitPattern: Int32(i)) ^ 0x8000_0000
        return [ClusteringEncoding.componentSeparator, UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func key(_ s: String) -> DecoratedKey { DecoratedKey(key: Array(s.utf8)) }

    static func randomBytes(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    static func randomCell(_ rng: inout SplitMix64, liveness: LivenessInfo, path: [UInt8] = []) -> Cell {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            return .tombstone(timestamp: Int64.random(in: 1...1_000_000, using: &rng), nowInSeconds: 1_700_000_000, path: path)
        case 1:
            return .expiring(timestamp: Int64.random(in: 1...1_000_000, using: &rng), ttl: Int32.random(in: 1...86400, using: &rng),
                             nowInSeconds: 1_700_000_000, value: randomBytes(Int.random(in: 0..<20, using: &rng), &rng), path: path)
        case 2, 3, 4, 5, 6:
            if !liveness.isEmpty {
                return Cell(timestamp: liveness.timestamp, ttl: liveness.ttl, localDeletionTime: liveness.localExpirationTime,
                            isTombstone: false, path: path, value: randomBytes(Int.random(in: 0..<30, using: &rng), &rng))
            }
            fallthrough
        default:
            return .live(timestamp: Int64.random(in: -5...Int64.max / 2, using: &rng),
                         value: randomBytes(Int.random(in: 0..<40, using: &rng), &rng), path: path)
        }
    }

    static func randomRow(_ rng: inout SplitMix64, clustering: [UInt8], columnCount: Int) -> Row {
        var liveness = LivenessInfo.empty
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: break
        case 1: liveness = LivenessInfo(timestamp: Int64.random(in: 1...1_000_000, using: &rng), ttl: 100, localExpirationTime: 1_700_000_100)
        default: liveness = LivenessInfo(timestamp: Int64.random(in: 1...1_000_000, using: &rng))
        }
        let deletion = Int.random(in: 0..<8, using: &rng) == 0
            ? DeletionTime(markedForDeleteAt: Int64.random(in: 1...1_000_000, using: &rng), localDeletionTime: 1_700_000_000) : .live
        var columns: [ColumnData] = []
        for id in 0..<columnCount where Bool.random(using: &rng) {
            if id % 5 == 4 {
                var cells: [Cell] = []
                for p in 0..<Int.random(in: 0..<4, using: &rng) {
                    cells.append(randomCell(&rng, liveness: liveness, path: [0x40, UInt8(p)]))
                }
                let cd = Bool.random(using: &rng) ? DeletionTime(markedForDeleteAt: 5, localDeletionTime: 1_600_000_000) : .live
                columns.append(.complex(ColumnID(id), ComplexColumnData(deletion: cd, cells: cells)))
            } else {
                columns.append(.simple(ColumnID(id), randomCell(&rng, liveness: liveness)))
            }
        }
        return Row(clustering: clustering, liveness: liveness, deletion: deletion, columns: columns)
    }

    static func randomPartitions(seed: UInt64, count: Int, maxRows: Int, columnCount: Int = 8) -> [TestPartition] {
        var rng = SplitMix64(seed: seed)
        var keys = Set<DecoratedKey>()
        while keys.count < count { keys.insert(DecoratedKey(key: randomBytes(Int.random(in: 1..<24, using: &rng), &rng))) }
        return keys.sorted().map { key in
            var header = PartitionHeader(key: key)
            if Int.random(in: 0..<6, using: &rng) == 0 {
                header.deletion = DeletionTime(markedForDeleteAt: Int64.random(in: 1...1000, using: &rng), localDeletionTime: 1_700_000_000)
            }
            if Int.random(in: 0..<5, using: &rng) == 0 {
                header.rangeTombstones = [RangeTombstone(start: clustering(3), end: clustering(7),
                                                         deletion: DeletionTime(markedForDeleteAt: 77, localDeletionTime: 1_700_000_001))]
            }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                header.staticRow = randomRow(&rng, clustering: [], columnCount: columnCount)
            }
            var rows: [Row] = []
            var c = 0
            for _ in 0..<Int.random(in: 0...maxRows, using: &rng) {
                c += Int.random(in: 1...3, using: &rng)
                rows.append(randomRow(&rng, clustering: clustering(c), columnCount: columnCount))
            }
            return TestPartition(header: header, rows: rows)
        }
    }

    static func write(_ partitions: [TestPartition], fs: SSTableTestFileSystem, generation: Int64 = 1,
                      options: TableOptions = TableOptions(), schema: SSTableSchemaHeader? = nil) throws -> SSTableReader {
        let w = try SSTableWriter(fileSystem: fs, directory: "/t", generation: generation, options: options,
                                  schema: schema, expectedPartitions: partitions.count)
        for p in partitions {
            try w.beginPartition(p.header)
            for r in p.rows { try w.append(r) }
        }
        return try w.finish()
    }

    static func drain(_ it: any UnfilteredPartitionIterator) throws -> [TestPartition] {
        var out: [TestPartition] = []
        while let h = try it.nextPartition() {
            var rows: [Row] = []
            while let r = try it.nextRow() { rows.append(r) }
            out.append(TestPartition(header: h, rows: rows))
        }
        return out
    }

    /// What a read with `columns` should return for `row`.
    static func project(_ row: Row, _ columns: ColumnFilter) -> Row {
        var r = row
        r.columns = row.columns.filter { columns.includes($0.column) }
        return r
    }
}
