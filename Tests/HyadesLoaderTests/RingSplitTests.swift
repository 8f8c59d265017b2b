import Foundation
import HyadesCore
import Testing
@testable import HyadesLoader

/// With more than one node, SSTables are cut at every node's range boundary and each
/// goes to the replicas of its range.
@Suite struct RingSplitTests {
    static let ring: [(token: Int64, address: String)] = [(-100, "10.0.0.1"), (0, "10.0.0.2"), (100, "10.0.0.3")]

    @Test func replicasWalkTheRingClockwise() {
        let t = ClusterTarget(table: LoaderFixtures.named, ring: Self.ring, replicationFactor: 2, storagePort: 7000)
        #expect(t.replicas(of: -150) == ["10.0.0.1", "10.0.0.2"])
        #expect(t.replicas(of: -100) == ["10.0.0.1", "10.0.0.2"])
        #expect(t.replicas(of: -99) == ["10.0.0.2", "10.0.0.3"])
        #expect(t.replicas(of: 50) == ["10.0.0.3", "10.0.0.1"])
        #expect(t.replicas(of: 101) == ["10.0.0.1", "10.0.0.2"])   // wraps
        #expect(t.splitTokens == [-100, 0, 100])
        let single = ClusterTarget(table: LoaderFixtures.named, ring: [(5, "a"), (9, "a")], replicationFactor: 1, storagePort: 7000)
        #expect(single.splitTokens.isEmpty)
        #expect(single.replicas(of: 7) == ["a"])
    }

    final class CollectingSink: SSTableSink {
        let splitTokens: [Int64]
        var accepted: [WrittenSSTable] = []
        init(splitTokens: [Int64]) { self.splitTokens = splitTokens }
        func accept(_ sstable: WrittenSSTable) throws { accepted.append(sstable) }
        func finish() throws {}
    }

    @Test func sstablesNeverStraddleAnOwnerBoundary() throws {
        let dir = LoaderFixtures.tempDir("ring")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var text = "source_id,name,mag,flag,n\n"
        for i in 0..<2000 { text += "\(i * 7919),x,1,true,1\n" }
        LoaderFixtures.write(text, to: dir + "/r.csv")
        let bounds: [Int64] = [-4_000_000_000_000_000_000, 0, 3_000_000_000_000_000_000]
        let sink = CollectingSink(splitTokens: bounds)
        let options = LoadOptions(inputs: [dir + "/r.csv"], threads: 1, writeTimestamp: 1, workDirectory: dir + "/out")
        let summary = try BulkLoader(table: LoaderFixtures.named, options: options, sink: sink).run()
        #expect(summary.rowsLoaded == 2000)
        #expect(sink.accepted.count == 4)
        #expect(sink.accepted.reduce(0) { $0 + $1.rows } == 2000)
        for s in sink.accepted {
            // Both ends inside one range (previous bound, bound].
            let range = bounds.firstIndex { s.maxToken <= $0 } ?? bounds.count
            let rangeOfMin = bounds.firstIndex { s.minToken <= $0 } ?? bounds.count
            #expect(range == rangeOfMin, "SSTable \(s.minToken)...\(s.maxToken)")
        }
    }
}
