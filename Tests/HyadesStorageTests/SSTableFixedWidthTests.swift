import HyadesCore
@testable import HyadesStorage
import Testing

/// Fixed-width column segments (format version 2): a column whose cells in a block are
/// all simple live cells at their row's timestamp with one value width is stored as a
/// bitmap, the width and the values; anything else in the block (another width, a
/// tombstone, a TTL of its own) keeps the cells layout. Every read path returns the rows
/// as written, and version 1 files (no fixed-width segments) stay readable.
@Suite("SSTable fixed-width segments")
struct SSTableFixedWidthTests {
    typealias S = SSTableTestSupport
    static let ts: Int64 = 1_700_000_000_000_000

    static func value(_ n: Int, _ rng: inout SplitMix64) -> [UInt8] { S.randomBytes(n, &rng) }

    /// Partitions whose columns are: 1 doubles (always), 2 floats (a third missing), 3
    /// eight bytes but one of five in partition 7, 4 sixteen bytes but one tombstone in
    /// partition 20, 5 two bytes but one cell with its own TTL in partition 30, 6 a
    /// constant (compressible) eight bytes; partition 33's rows expire (their cells use
    /// the row's TTL, still fixed-width).
    static func partitions() -> [TestPartition] {
        var rng = SplitMix64(seed: 77)
        var keys = (0..<40).map { S.key("fixed-\($0)") }
        keys.sort()
        return keys.enumerated().map { p, key in
            var rows: [Row] = []
            for r in 0..<Int.random(in: 1...30, using: &rng) {
                let liveness = p == 33 ? LivenessInfo(timestamp: ts, ttl: 100, localExpirationTime: 1_700_000_100) : LivenessInfo(timestamp: ts)
                func live(_ v: [UInt8]) -> Cell {
                    Cell(timestamp: ts, ttl: liveness.ttl, localDeletionTime: liveness.localExpirationTime, isTombstone: false, path: [], value: v)
                }
                var cols: [ColumnData] = [.simple(1, live(value(8, &rng)))]
                if Int.random(in: 0..<3, using: &rng) != 0 { cols.append(.simple(2, live(value(4, &rng)))) }
                cols.append(.simple(3, live(value(p == 7 && r == 0 ? 5 : 8, &rng))))
                cols.append(.simple(4, p == 20 && r == 0 ? .tombstone(timestamp: ts, nowInSeconds: 1_700_000_000) : live(value(16, &rng))))
                cols.append(.simple(5, p == 30 && r == 0
                    ? .expiring(timestamp: ts, ttl: 50, nowInSeconds: 1_700_000_000, value: value(2, &rng)) : live(value(2, &rng))))
                cols.append(.simple(6, live([1, 2, 3, 4, 5, 6, 7, 8])))
                rows.append(Row(clustering: S.clustering(r), liveness: liveness, columns: cols))
            }
            return TestPartition(header: PartitionHeader(key: key), rows: rows)
        }
    }

    static func options() -> TableOptions {
        var o = TableOptions()
        o.chunkLengthBytes = 2048
        o.indexSummaryInterval = 4
        return o
    }

    static func write(_ ps: [TestPartition], fs: SSTableTestFileSystem, version: UInt16 = SSTableFormat.currentVersion) throws -> SSTableReader {
        let w = try SSTableWriter(fileSystem: fs, directory: "/t", generation: 1, options: options(), schema: nil,
                                  expectedPartitions: ps.count, formatVersion: version)
        for p in ps {
            try w.beginPartition(p.header)
            for r in p.rows { try w.append(r) }
        }
        return try w.finish()
    }

    static func path(_ c: SSTableFormat.Component) -> String { "/t/" + SSTableFormat.fileName(generation: 1, c) }

    /// Every block of the data file: its offset and header.
    static func blocks(_ fs: SSTableTestFileSystem) throws -> [BlockHeader] {
        let bytes = fs.bytes(path(.data))
        var out: [BlockHeader] = []
        var offset = SSTableFormat.fileHeaderSize
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let h = try BlockHeader.parse(UnsafeRawBufferPointer(rebasing: raw[offset...]), offset: Int64(offset),
                                              limit: Int64(raw.count - offset), path: "")
                out.append(h)
                offset += h.length
            }
        }
        return out
    }

    static func layouts(_ blocks: [BlockHeader], column: ColumnID) -> [UInt8] {
        blocks.compactMap { b in b.segments.first { $0.columnID == column }?.layout }
    }

    /// The scan, row-view scan, point reads (both paths, cached and not) and projected reads.
    static func expectAllReads(_ reader: SSTableReader, _ ps: [TestPartition], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try S.drain(reader.scan(.all, slices: .all, columns: .all)) == ps, sourceLocation: sourceLocation)
        #expect(try SSTableRowViewTests.scanViews(reader, .all, .all) == ps, sourceLocation: sourceLocation)
        for p in ps {
            let it = try #require(try reader.partition(p.header.key, slices: .all, columns: .all))
            #expect(try S.drain(it) == [p], sourceLocation: sourceLocation)
            #expect(try SSTableRowViewTests.pointViews(reader, p.header.key, .all, hashed: true) == [p], sourceLocation: sourceLocation)
        }
        for filter in [ColumnFilter([2]), ColumnFilter([3, 6]), ColumnFilter([1, 5])] {
            let want = ps.map { TestPartition(header: $0.header, rows: $0.rows.map { S.project($0, filter) }) }
            #expect(try S.drain(reader.scan(.all, slices: .all, columns: filter)) == want, sourceLocation: sourceLocation)
            #expect(try SSTableRowViewTests.scanViews(reader, .all, filter) == want, sourceLocation: sourceLocation)
            for p in want {
                #expect(try SSTableRowViewTests.pointViews(reader, p.header.key, filter, hashed: false) == [p], sourceLocation: sourceLocation)
            }
        }
    }

    @Test("fixed and cells-layout segments round trip through every read path")
    func roundTrip() throws {
        let fs = SSTableTestFileSystem()
        let ps = Self.partitions()
        let reader = try Self.write(ps, fs: fs)
        let blocks = try Self.blocks(fs)
        #expect(blocks.count > 5)
        let fixed = SSTableFormat.layoutFixedWidth, cells = SSTableFormat.layoutCells
        // Doubles, floats with nulls, the constant: fixed-width in every block.
        for c: ColumnID in [1, 2, 6] { #expect(Self.layouts(blocks, column: c).allSatisfy { $0 == fixed }, "column \(c)") }
        // One odd cell turns its own block to the cells layout, no other.
        for c: ColumnID in [3, 4, 5] {
            let l = Self.layouts(blocks, column: c)
            #expect(l.filter { $0 == cells }.count == 1 && l.filter { $0 == fixed }.count == l.count - 1, "column \(c): \(l)")
        }
        // The constant column compresses: fixed-width and lz4 together.
        #expect(blocks.allSatisfy { $0.segments.first { $0.columnID == 6 }?.codec == .lz4 })
        #expect(reader.verify() == [])
        try Self.expectAllReads(reader, ps)
    }

    @Test("a fixed-width segment stores 8 bytes per double, nothing per cell")
    func compactSize() throws {
        let fs = SSTableTestFileSystem()
        _ = try Self.write(Self.partitions(), fs: fs)
        let blocks = try Self.blocks(fs)
        for b in blocks {
            let s = try #require(b.segments.first { $0.columnID == 1 })
            // Bitmap, one-byte width, then exactly 8 bytes per row.
            #expect(s.rawLength == (b.rowCount + 7) / 8 + 1 + 8 * b.rowCount)
        }
    }

    @Test("a flipped byte in a fixed-width segment is detected by verify and by reads")
    func flipInFixedSegment() throws {
        let fs = SSTableTestFileSystem()
        let ps = Self.partitions()
        _ = try Self.write(ps, fs: fs)
        let b = try #require(try Self.blocks(fs).first)
        let s = try #require(b.segments.first { $0.columnID == 1 && $0.layout == SSTableFormat.layoutFixedWidth })
        let at = SSTableFormat.fileHeaderSize + s.offset + s.storedLength / 2
        fs.flipBit(Self.path(.data), at: at, bit: 2)
        let damage = SSTableReader.verify(fileSystem: fs, directory: "/t", generation: 1)
        #expect(damage.contains { $0.offset == Int64(SSTableFormat.fileHeaderSize + s.offset) }, "\(damage)")
        let reader = try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1)
        #expect(throws: SSTableCorruptionError.self) { _ = try S.drain(reader.scan(.all, slices: .all, columns: .all)) }
        #expect(throws: SSTableCorruptionError.self) { _ = try SSTableRowViewTests.scanViews(reader, .all, ColumnFilter([1])) }
    }

    @Test("a fixed-width segment whose values do not fill it exactly fails verify")
    func lengthMismatch() throws {
        // A directory saying fixed-width over a cells-layout segment (CRCs recomputed, as
        // a buggy writer would have made them): the structure check, not the CRC, catches it.
        let fs = SSTableTestFileSystem()
        let ps = Self.partitions()
        _ = try Self.write(ps, fs: fs, version: 1)
        var bytes = fs.bytes(Self.path(.data))
        let b = try #require(try Self.blocks(fs).first)
        let i = try #require(b.segments.firstIndex { $0.columnID == 1 })
        let d = SSTableFormat.fileHeaderSize + SSTableFormat.blockHeaderFixedSize + i * SSTableFormat.directoryEntrySize
        bytes[d + 3] = SSTableFormat.layoutFixedWidth
        let headerSize = SSTableFormat.blockHeaderFixedSize + b.segments.count * SSTableFormat.directoryEntrySize + 4
        let h0 = SSTableFormat.fileHeaderSize
        bytes.setU32(CRC32C.checksum(Array(bytes[h0..<(h0 + headerSize - 4)])), at: h0 + headerSize - 4)
        fs.setBytes(Self.path(.data), bytes)
        let damage = SSTableReader.verify(fileSystem: fs, directory: "/t", generation: 1)
        #expect(damage.contains { $0.what.contains("segment") }, "\(damage)")
    }

    @Test("version 1 files (cells layout only) stay readable")
    func version1() throws {
        let fs = SSTableTestFileSystem()
        let ps = Self.partitions()
        let reader = try Self.write(ps, fs: fs, version: 1)
        let data = fs.bytes(Self.path(.data))
        #expect(data[4] == 1 && data[5] == 0)
        let blocks = try Self.blocks(fs)
        #expect(blocks.allSatisfy { $0.segments.allSatisfy { $0.layout == SSTableFormat.layoutCells } })
        #expect(reader.verify() == [])
        try Self.expectAllReads(reader, ps)
        // The same rows take fewer bytes in version 2.
        let fs2 = SSTableTestFileSystem()
        _ = try Self.write(ps, fs: fs2)
        #expect(fs2.bytes(Self.path(.data)).count < data.count)
    }
}
