import HyadesCore
@testable import HyadesStorage
import Testing

@Suite("SSTable bloom filter")
struct SSTableBloomFilterTests {
    @Test("no false negatives and a false-positive rate within bounds on 10k keys")
    func falsePositiveRate() {
        var f = BloomFilter(expectedKeys: 10_000, fpChance: 0.01)
        for i in 0..<10_000 { f.add(Array("key-\(i)".utf8)) }
        for i in 0..<10_000 { #expect(f.mayContain(Array("key-\(i)".utf8))) }
        var fp = 0
        for i in 0..<10_000 where f.mayContain(Array("other-\(i)".utf8)) { fp += 1 }
        // Expected ~100; 2x slack, and it must not be trivially "always maybe".
        #expect(fp < 200, "false positives: \(fp)")
        #expect(f.hashCount == 7)
    }

    @Test("the reader's filter keeps its parameters and rejects absent keys")
    func throughSSTable() throws {
        let fs = SSTableTestFileSystem()
        let w = try SSTableWriter(fileSystem: fs, directory: "/t", generation: 1, options: TableOptions(), schema: nil, expectedPartitions: 10_000)
        let keys = (0..<10_000).map { DecoratedKey(key: Array("k\($0)".utf8)) }.sorted()
        for k in keys { try w.beginPartition(PartitionHeader(key: k)) }
        let r = try w.finish()
        for k in keys { #expect(r.mayContain(k)) }
        var fp = 0
        for i in 0..<10_000 where r.mayContain(DecoratedKey(key: Array("absent\(i)".utf8))) { fp += 1 }
        #expect(fp < 200, "false positives: \(fp)")
    }
}
