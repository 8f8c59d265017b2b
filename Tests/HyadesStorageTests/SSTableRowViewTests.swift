import HyadesCore
@testable import HyadesStorage
import Testing

/// The zero-allocation read paths (`forEachRow`, `readPartition`, `readRow`) against the
/// iterator path on the same seeded data.
@Suite("SSTable row views")
struct SSTableRowViewTests {
    typealias S = SSTableTestSupport

    /// Rebuilds partitions from row views (copying everything out of the callback).
    struct Collector {
        var out: [TestPartition] = []
        var lastKey: [UInt8]?

        mutating func add(_ v: borrowing SSTableRowView) {
            let keyBytes = Array(v.partitionKey)
            if keyBytes != lastKey {
                lastKey = keyBytes
                out.append(TestPartition(header: PartitionHeader(key: v.decoratedKey(), deletion: v.partitionDeletion,
                                                                 rangeTombstones: v.rangeTombstones), rows: []))
            }
            #expect(out[out.count - 1].header.deletion == v.partitionDeletion)
            #expect(v.token == out[out.count - 1].header.key.token)
            switch v.kind {
            case .partition:
                #expect(v.columns.isEmpty && v.clustering.isEmpty && out[out.count - 1].rows.isEmpty)
            case .staticRow:
                #expect(v.isStatic && out[out.count - 1].rows.isEmpty && out[out.count - 1].header.staticRow == nil)
                out[out.count - 1].header.staticRow = v.row()
            case .row:
                out[out.count - 1].rows.append(v.row())
            }
        }
    }

    /// The iterator path's answer without the partitions the row-view path does not
    /// surface (no rows, no static row, no deletion, no range tombstones).
    static func visible(_ ps: [TestPartition]) -> [TestPartition] {
        ps.filter { !$0.rows.isEmpty || $0.header.staticRow != nil || !$0.header.deletion.isLive || !$0.header.rangeTombstones.isEmpty }
    }

    static func scanViews(_ r: SSTableReader, _ range: PartitionRange, _ columns: ColumnFilter) throws -> [TestPartition] {
        var c = Collector()
        try r.forEachRow(in: range, columns: columns) { v in
            c.add(v)
            return true
        }
        return c.out
    }

    static func pointViews(_ r: SSTableReader, _ key: DecoratedKey, _ columns: ColumnFilter, hashed: Bool) throws -> [TestPartition]? {
        var c = Collector()
        let hash = hashed ? key.key.withUnsafeBytes { Murmur3.hash128($0) } : nil
        let found = try r.readPartition(key, hash: hash, columns: columns) { v in
            c.add(v)
            return true
        }
        return found ? c.out : nil
    }

    static let configs: [(CompressionAlgorithm, Int, Int)] = [(.none, 16 * 1024, 128), (.lz4, 300, 2), (.snappy, 2048, 1), (.lz4, 64, 7), (.lz4, 4096, 16)]

    @Test("forEachRow and readPartition agree with the iterators", arguments: [UInt64(11), 12, 13])
    func agreesWithIterators(seed: UInt64) throws {
        let partitions = S.randomPartitions(seed: seed, count: 50, maxRows: 40, columnCount: 9)
        for (codec, chunk, interval) in Self.configs {
            var o = TableOptions()
            o.compression = codec
            o.chunkLengthBytes = chunk
            o.indexSummaryInterval = interval
            for cache in [nil, SSTableBlockCache(capacityBytes: 1 << 20)] {
                let fs = SSTableTestFileSystem()
                _ = try S.write(partitions, fs: fs, options: o)
                let r = try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1, blockCache: cache)
                var rng = SplitMix64(seed: seed &* 17)
                for round in 0..<12 {
                    let columns = round == 0 ? ColumnFilter.all
                        : ColumnFilter((0..<9).filter { _ in Bool.random(using: &rng) }.map { ColumnID($0) })
                    var range = PartitionRange.all
                    if round > 1 {
                        let lo = Int.random(in: 0..<50, using: &rng)
                        let hi = Int.random(in: lo..<55, using: &rng)
                        range = PartitionRange(lower: partitions[lo].header.key.byteComparable,
                                               upper: hi < 50 ? partitions[hi].header.key.byteComparable : nil)
                    }
                    let expected = Self.visible(try S.drain(r.scan(range, slices: .all, columns: columns)))
                    #expect(try Self.scanViews(r, range, columns) == expected, "seed \(seed) \(codec) chunk \(chunk) round \(round)")
                }
                let columns = ColumnFilter([0, 3, 4, 8])
                for p in partitions {
                    let expected = Self.visible(try S.drain(r.partition(p.header.key, slices: .all, columns: columns)!))
                    #expect(try Self.pointViews(r, p.header.key, columns, hashed: false) == expected)
                    #expect(try Self.pointViews(r, p.header.key, columns, hashed: true) == expected)
                }
                // Absent keys: not found, body never called.
                for i in 0..<40 {
                    let k = S.key("absent-\(i)")
                    let found = try r.readPartition(k, columns: .all) { _ in
                        Issue.record("callback for an absent key")
                        return true
                    }
                    #expect(!found)
                }
            }
        }
    }

    @Test("the model agrees with forEachRow (every row, both kinds of row)")
    func modelAgrees() throws {
        let partitions = S.randomPartitions(seed: 99, count: 60, maxRows: 30, columnCount: 7)
        var o = TableOptions()
        o.chunkLengthBytes = 512
        let r = try S.write(partitions, fs: SSTableTestFileSystem(), options: o)
        #expect(try Self.scanViews(r, .all, .all) == Self.visible(partitions))
    }

    @Test("stopping early and readRow")
    func stopAndReadRow() throws {
        let fs = SSTableTestFileSystem()
        let w = try SSTableWriter(fileSystem: fs, directory: "/t", generation: 1, options: TableOptions(), schema: nil, expectedPartitions: 100)
        let keys = (0..<100).map { S.key("k\($0)") }.sorted()
        for (i, k) in keys.enumerated() {
            try w.beginPartition(PartitionHeader(key: k))
            try w.append(Row(clustering: [], liveness: LivenessInfo(timestamp: 10),
                             columns: [.simple(1, .live(timestamp: 10, value: [UInt8(i)]))]))
        }
        let r = try w.finish()
        var seen = 0
        try r.forEachRow(in: .all, columns: .all) { _ in
            seen += 1
            return seen < 7
        }
        #expect(seen == 7)
        for (i, k) in keys.enumerated() {
            var values: [[UInt8]] = []
            let found = try r.readRow(k, hash: nil, columns: .all) { v in
                #expect(v.kind == .row && v.liveness.timestamp == 10)
                values.append(Array(v.cells[0].value))
                #expect(v.cells[0].column == 1 && v.columns[0].cells == 0..<1)
            }
            #expect(found && values == [[UInt8(i)]])
        }
    }

    /// A read nested in a callback gets its own scratch: the outer view stays intact.
    @Test("nested reads inside a callback")
    func nested() throws {
        let partitions = S.randomPartitions(seed: 31, count: 30, maxRows: 5, columnCount: 5)
        var o = TableOptions()
        o.chunkLengthBytes = 400
        let r = try S.write(partitions, fs: SSTableTestFileSystem(), options: o)
        let expected = Self.visible(partitions)
        var c = Collector()
        var inner = Collector()
        try r.forEachRow(in: .all, columns: .all) { v in
            let before = v.row()
            let key = v.decoratedKey()
            if inner.lastKey != Array(v.partitionKey) {
                _ = try r.readPartition(key, columns: .all) { w in
                    inner.add(w)
                    return true
                }
            }
            #expect(v.row() == before, "the outer view changed under a nested read")
            c.add(v)
            return true
        }
        #expect(c.out == expected)
        #expect(inner.out == expected)
    }

    /// Every sampled flip of Data.db or Index.db is caught by the row-view paths too.
    @Test("sampled bit flips surface as SSTableCorruptionError",
          arguments: [SSTableFormat.Component.data, .index], [false, true])
    func corruption(component: SSTableFormat.Component, cached: Bool) throws {
        let (fs, partitions, _) = try SSTableCorruptionTests.fixture(compression: .lz4)
        let p = SSTableCorruptionTests.path(component)
        let original = fs.bytes(p)
        var rng = SplitMix64(seed: 4242)
        for _ in 0..<40 {
            let at = Int.random(in: 0..<original.count, using: &rng)
            let bit = UInt8.random(in: 0..<8, using: &rng)
            var bytes = original
            bytes[at] ^= 1 << bit
            fs.setBytes(p, bytes)
            // Without a cache, point reads of lz4 blocks take the partial-decompression path.
            func open() throws -> SSTableReader {
                try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1,
                                       blockCache: cached ? SSTableBlockCache(capacityBytes: 1 << 20) : nil)
            }
            var pointThrew = false
            do {
                let r = try open()
                for part in partitions { try r.readPartition(part.header.key, columns: .all) { _ in true } }
            } catch is SSTableCorruptionError {
                pointThrew = true
            }
            #expect(pointThrew, "flip at \(at) bit \(bit) of \(component) (cached \(cached)) not detected by point reads")
            if component == .data {
                var scanThrew = false
                do {
                    try open().forEachRow(in: .all, columns: .all) { _ in true }
                } catch is SSTableCorruptionError {
                    scanThrew = true
                }
                #expect(scanThrew, "flip at \(at) bit \(bit) of the data (cached \(cached)) not detected by forEachRow")
            }
        }
        fs.setBytes(p, original)
        let r = try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1)
        #expect(try Self.scanViews(r, .all, .all) == Self.visible(partitions))
    }

    @Test("the block cache admits blocks once full only on a repeated miss")
    func admission() throws {
        // With room: everything is admitted.
        #expect(SSTableBlockCache(capacityBytes: 1 << 20).admit(owner: 1, offset: 20))
        let full = SSTableBlockCache(capacityBytes: 32 << 10)
        let e = SSTableBlockCache.Entry(header: BlockHeader(offset: 0, length: 0, entryCount: 0, rowCount: 0, segments: []), segments: [SegmentBuffer(count: 30 << 10)])
        full.put(owner: 9, offset: 0, e)
        #expect(!full.admit(owner: 1, offset: 20), "first miss of a full cache is not admitted")
        #expect(full.admit(owner: 1, offset: 20), "second miss is")
        #expect(!full.admit(owner: 2, offset: 20), "another reader's block is another block")
    }
}
