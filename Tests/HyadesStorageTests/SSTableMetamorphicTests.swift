import HyadesCore
@testable import HyadesStorage
import Testing

/// The same random partitions written under different configurations (codec, block
/// size, summary interval) must answer every read identically.
@Suite("SSTable metamorphic")
struct SSTableMetamorphicTests {
    typealias S = SSTableTestSupport

    @Test("configurations agree on scans, point reads, slices and projections", arguments: [UInt64(5), 6, 7])
    func configurationsAgree(seed: UInt64) throws {
        let partitions = S.randomPartitions(seed: seed, count: 40, maxRows: 60, columnCount: 9)
        var configs: [TableOptions] = []
        for (codec, chunk, interval) in [(CompressionAlgorithm.none, 16 * 1024, 128), (.lz4, 300, 2), (.snappy, 2048, 1), (.lz4, 64, 7)] {
            var o = TableOptions()
            o.compression = codec
            o.chunkLengthBytes = chunk
            o.indexSummaryInterval = interval
            configs.append(o)
        }
        let readers = try configs.map { try S.write(partitions, fs: SSTableTestFileSystem(), options: $0) }
        var rng = SplitMix64(seed: seed &* 31)
        for _ in 0..<30 {
            let a = Int.random(in: 0..<80, using: &rng)
            let slices = Bool.random(using: &rng) ? Slices.all
                : Slices([ClusteringSlice(start: S.clustering(a), end: S.clustering(a + Int.random(in: 1..<40, using: &rng)))])
            let columns = Bool.random(using: &rng) ? ColumnFilter.all
                : ColumnFilter((0..<9).filter { _ in Bool.random(using: &rng) }.map { ColumnID($0) })
            let lo = Int.random(in: 0..<40, using: &rng)
            let range = PartitionRange(lower: partitions[lo].header.key.byteComparable, upper: nil)
            let key = partitions[Int.random(in: 0..<40, using: &rng)].header.key
            var answers: [[TestPartition]] = []
            for r in readers {
                var out = try S.drain(r.scan(range, slices: slices, columns: columns))
                if let it = try r.partition(key, slices: slices, columns: columns) { out += try S.drain(it) }
                answers.append(out)
            }
            for (i, x) in answers.enumerated().dropFirst() {
                #expect(x == answers[0], "seed \(seed): config \(i) disagrees with config 0")
            }
            // And config 0 agrees with the model.
            let model = partitions[lo...].map { p in
                var h = p.header
                h.staticRow = h.staticRow.map { S.project($0, columns) }
                return TestPartition(header: h, rows: p.rows.filter { slices.contains($0.clustering) }.map { S.project($0, columns) })
            }
            #expect(Array(answers[0].prefix(model.count)) == Array(model), "seed \(seed)")
        }
    }
}
