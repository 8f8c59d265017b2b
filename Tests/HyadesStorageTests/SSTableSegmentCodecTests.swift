import Foundation
import HyadesCore
@testable import HyadesStorage
import Testing

/// Per-column codec decisions of the writer (`SegmentCodecPolicy`): a column whose values
/// do not compress is stored with codec 0 without running the codec on most blocks, a
/// compressible one stays compressed, and one that becomes compressible is compressed
/// again after the next probe. What the user sees: the same rows read back, and segments
/// that do not pay stored raw.
@Suite struct SSTableSegmentCodecTests {
    static func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("hyades-segcodec-\(UUID().uuidString)").path
        try PosixFileSystem().createDirectory(d)
        return d
    }

    /// Every block's directory of a Data.db: per block, column id → (codec, layout).
    static func directories(_ path: String) throws -> [[UInt16: SegmentDescriptor]] {
        let data = try #require(FileManager.default.contents(atPath: path))
        var out: [[UInt16: SegmentDescriptor]] = []
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var offset = SSTableFormat.fileHeaderSize
            while offset < raw.count {
                let block = UnsafeRawBufferPointer(rebasing: raw[offset...])
                let h = try BlockHeader.parse(block, offset: Int64(offset), limit: Int64(block.count), path: path)
                var d: [UInt16: SegmentDescriptor] = [:]
                for s in h.segments { d[s.columnID] = s }
                out.append(d)
                offset += h.length
            }
        }
        return out
    }

    /// One partition of `rows` rows; column 1 random, column 2 constant, column 3 random
    /// for the first `switchAt` rows and constant after.
    static func write(dir: String, rows: Int, switchAt: Int, minCompressRatio: Double? = nil) throws -> (reader: SSTableReader, attempts: [ColumnID: Int]) {
        var options = TableOptions()
        options.chunkLengthBytes = 1024
        if let minCompressRatio { options.minCompressRatio = minCompressRatio }
        let w = try SSTableWriter(fileSystem: PosixFileSystem(), directory: dir, generation: 1, options: options, schema: nil, expectedPartitions: 1)
        var rng = SplitMix64(seed: 11)
        let ts: Int64 = 1_700_000_000_000_000
        try w.beginPartition(PartitionHeader(key: SSTableTestSupport.key("p")))
        for r in 0..<rows {
            let random = (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let third = r < switchAt ? (0..<8).map { _ in UInt8.random(in: 0...255, using: &rng) } : [1, 2, 3, 4, 5, 6, 7, 8]
            try w.append(Row(clustering: SSTableTestSupport.clustering(r), liveness: LivenessInfo(timestamp: ts), columns: [
                .simple(1, .live(timestamp: ts, value: random)),
                .simple(2, .live(timestamp: ts, value: [9, 9, 9, 9, 9, 9, 9, 9])),
                .simple(3, .live(timestamp: ts, value: third)),
            ]))
        }
        var attempts: [ColumnID: Int] = [:]
        for (i, id) in w.state.block.builderIDs.enumerated() { attempts[id] = w.state.block.builders[i].codecPolicy.attempts }
        return (try w.finish(), attempts)
    }

    @Test func incompressibleColumnIsStoredRawWithoutTryingTheCodec() throws {
        let d = try Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let (reader, attempts) = try Self.write(dir: d, rows: 6000, switchAt: 3000)
        let blocks = try Self.directories(d + "/" + SSTableFormat.fileName(generation: 1, .data))
        #expect(blocks.count > 150)
        // Column 1: random bytes, never worth it; the codec ran on the first window and
        // one probe per skip period only.
        #expect(blocks.allSatisfy { $0[1]?.codec == CompressionAlgorithm.none })
        let tries = try #require(attempts[1])
        #expect(tries <= SegmentCodecPolicy.window + blocks.count / SegmentCodecPolicy.skipBlocks + 1)
        // Column 2: constant, compressed in every block; so is the entries segment.
        #expect(blocks.allSatisfy { $0[2]?.codec == .lz4 })
        #expect(blocks.allSatisfy { $0[SSTableFormat.entriesSegmentID]?.codec == .lz4 })
        // Column 3: raw while random, compressed again once constant (after the next probe).
        let half = blocks.count / 2
        #expect(blocks[10..<(half - 5)].allSatisfy { $0[3]?.codec == CompressionAlgorithm.none })
        #expect(blocks[(half + SegmentCodecPolicy.skipBlocks + 5)...].allSatisfy { $0[3]?.codec == .lz4 })
        // And every row reads back.
        let parts = try SSTableTestSupport.drain(reader.scan(.all, slices: .all, columns: .all))
        #expect(parts.count == 1 && parts[0].rows.count == 6000)
        if case .simple(_, let c) = parts[0].rows[5999].columns[2] { #expect(c.value == [1, 2, 3, 4, 5, 6, 7, 8]) }
        else { Issue.record("column 3 missing") }
    }

    @Test func ratioAtMostOneTriesTheCodecOnEveryBlock() throws {
        let d = try Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let (_, attempts) = try Self.write(dir: d, rows: 3000, switchAt: 3000, minCompressRatio: 0)
        let blocks = try Self.directories(d + "/" + SSTableFormat.fileName(generation: 1, .data))
        // The last block is finished after the attempts were read.
        #expect(attempts[1] == blocks.count - 1)
    }

    @Test func minCompressRatioComesFromTheCompressionOptions() throws {
        var p = TableParams()
        p.compression["min_compress_ratio"] = "2.5"
        #expect(TableOptions(params: p).minCompressRatio == 2.5)
        #expect(TableOptions(params: TableParams()).minCompressRatio == TableOptions.defaultMinCompressRatio)
    }
}
