import HyadesCore
@testable import HyadesStorage
import Testing

@Suite("SSTable corruption")
struct SSTableCorruptionTests {
    typealias S = SSTableTestSupport

    /// A small SSTable of several blocks and index groups, its partitions, and the layout
    /// of its first data block.
    static func fixture(compression: CompressionAlgorithm = .lz4) throws -> (SSTableTestFileSystem, [TestPartition], SSTableReader) {
        let fs = SSTableTestFileSystem()
        var options = TableOptions()
        options.compression = compression
        options.chunkLengthBytes = 700
        options.indexSummaryInterval = 4
        let partitions = S.randomPartitions(seed: 2024, count: 30, maxRows: 12, columnCount: 6)
        return (fs, partitions, try S.write(partitions, fs: fs, options: options))
    }

    /// Reads everything through every path; throws if anything is detected.
    static func readEverything(_ fs: SSTableTestFileSystem, _ partitions: [TestPartition]) throws -> [TestPartition] {
        let reader = try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1)
        let all = try S.drain(reader.scan(.all, slices: .all, columns: .all))
        for p in partitions {
            guard let it = try reader.partition(p.header.key, slices: .all, columns: .all) else { return [] }
            _ = try S.drain(it)
        }
        return all
    }

    static func path(_ c: SSTableFormat.Component) -> String { "/t/" + SSTableFormat.fileName(generation: 1, c) }

    /// Flips one bit at `offset` of `component` and checks both verify and reads catch it.
    static func expectDetected(_ component: SSTableFormat.Component, at offset: Int, bit: UInt8 = 3,
                               damageOffset: Int64? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (fs, partitions, _) = try fixture()
        let p = path(component)
        fs.flipBit(p, at: offset, bit: bit)
        let damage = SSTableReader.verify(fileSystem: fs, directory: "/t", generation: 1)
        #expect(!damage.isEmpty, "verify missed a flip in \(component) at \(offset)", sourceLocation: sourceLocation)
        #expect(damage.contains { $0.path == p }, "damage \(damage) does not name \(p)", sourceLocation: sourceLocation)
        if let damageOffset {
            #expect(damage.contains { $0.offset == damageOffset }, "damage \(damage) not at \(damageOffset)", sourceLocation: sourceLocation)
        }
        if component == .filter {
            // The filter fails toward "maybe present": reads stay correct, verify reports it.
            #expect(try readEverything(fs, partitions) == partitions, sourceLocation: sourceLocation)
            #expect(try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1).isFilterDegraded, sourceLocation: sourceLocation)
        } else {
            #expect(throws: SSTableCorruptionError.self, "a read returned data despite a flip in \(component) at \(offset)",
                    sourceLocation: sourceLocation) {
                _ = try readEverything(fs, partitions)
            }
        }
    }

    struct FirstBlock {
        var segments: [SegmentDescriptor]
        var length: Int
    }

    static func firstBlock(_ fs: SSTableTestFileSystem) throws -> FirstBlock {
        let bytes = fs.bytes(path(.data))
        let h = try bytes.withUnsafeBytes { raw in
            try BlockHeader.parse(UnsafeRawBufferPointer(rebasing: raw[20...]), offset: 20, limit: Int64(bytes.count - 20), path: "")
        }
        return FirstBlock(segments: h.segments, length: h.length)
    }

    @Test("the fixture is healthy")
    func healthy() throws {
        let (fs, partitions, reader) = try Self.fixture()
        #expect(reader.verify() == [])
        #expect(try Self.readEverything(fs, partitions) == partitions)
        #expect(try Self.firstBlock(fs).segments.count > 2)
    }

    @Test("a flip in a data file header")
    func dataFileHeader() throws { try Self.expectDetected(.data, at: 1, damageOffset: 0) }

    @Test("a flip in a block header")
    func blockHeader() throws { try Self.expectDetected(.data, at: 20 + 5, damageOffset: 20) }

    @Test("a flip in a block directory")
    func blockDirectory() throws { try Self.expectDetected(.data, at: 20 + 16 + 16 + 9, damageOffset: 20) }

    @Test("a flip in the entries segment")
    func entriesSegment() throws {
        let (fs, _, _) = try Self.fixture()
        let b = try Self.firstBlock(fs)
        let at = 20 + b.segments[0].offset
        try Self.expectDetected(.data, at: at + b.segments[0].storedLength / 2, damageOffset: Int64(at))
    }

    @Test("a flip in a column segment")
    func columnSegment() throws {
        let (fs, _, _) = try Self.fixture()
        let b = try Self.firstBlock(fs)
        let s = b.segments[1]
        try Self.expectDetected(.data, at: 20 + s.offset + s.storedLength - 1, damageOffset: Int64(20 + s.offset))
    }

    @Test("a flip in the last data block")
    func lastBlock() throws {
        let (fs, _, _) = try Self.fixture()
        try Self.expectDetected(.data, at: fs.bytes(Self.path(.data)).count - 2)
    }

    @Test("a flip in an index group")
    func indexGroup() throws { try Self.expectDetected(.index, at: 20 + 6, damageOffset: 20) }

    @Test("a flip in the index summary and footer")
    func indexSummary() throws {
        let (fs, _, _) = try Self.fixture()
        let n = fs.bytes(Self.path(.index)).count
        try Self.expectDetected(.index, at: n - 32 - 3)
        try Self.expectDetected(.index, at: n - 10)
    }

    @Test("a flip in the filter parameters and bits")
    func filter() throws {
        try Self.expectDetected(.filter, at: 21)
        try Self.expectDetected(.filter, at: 40)
    }

    @Test("a flip in the statistics")
    func statistics() throws {
        try Self.expectDetected(.statistics, at: 30)
        try Self.expectDetected(.statistics, at: 2)
    }

    @Test("truncated files are reported")
    func truncation() throws {
        for c in SSTableFormat.Component.allCases {
            let (fs, partitions, _) = try Self.fixture()
            let p = Self.path(c)
            fs.setBytes(p, Array(fs.bytes(p).dropLast(3)))
            #expect(!SSTableReader.verify(fileSystem: fs, directory: "/t", generation: 1).isEmpty, "\(c)")
            if c == .filter {
                #expect(try Self.readEverything(fs, partitions) == partitions)
                continue
            }
            #expect(throws: SSTableCorruptionError.self, "\(c)") { _ = try Self.readEverything(fs, partitions) }
        }
    }

    /// Every sampled bit of every file is covered by a checksum.
    @Test("sampled single-bit flips anywhere are all detected", arguments: SSTableFormat.Component.allCases)
    func sampledFlips(component: SSTableFormat.Component) throws {
        let (fs0, partitions, _) = try Self.fixture(compression: .snappy)
        let p = Self.path(component)
        let original = fs0.bytes(p)
        var rng = SplitMix64(seed: 77)
        for _ in 0..<40 {
            let at = Int.random(in: 0..<original.count, using: &rng)
            let bit = UInt8.random(in: 0..<8, using: &rng)
            var bytes = original
            bytes[at] ^= 1 << bit
            fs0.setBytes(p, bytes)
            let damage = SSTableReader.verify(fileSystem: fs0, directory: "/t", generation: 1)
            #expect(damage.contains { $0.path == p }, "flip at \(at) bit \(bit) of \(component) missed by verify")
            if component == .filter {
                #expect(try Self.readEverything(fs0, partitions) == partitions, "flip at \(at) bit \(bit) of the filter changed answers")
                continue
            }
            var threw = false
            do { _ = try Self.readEverything(fs0, partitions) } catch is SSTableCorruptionError { threw = true }
            #expect(threw, "flip at \(at) bit \(bit) of \(component) not detected by reads")
        }
        fs0.setBytes(p, original)
    }
}
