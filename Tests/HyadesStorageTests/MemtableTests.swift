import Foundation
import HyadesCore
import Synchronization
import Testing
@testable import HyadesStorage

func testKey(_ i: Int) -> DecoratedKey { DecoratedKey(key: Array("k\(i)".utf8)) }
func testRow(_ ck: Int, ts: Int64, _ cells: [(ColumnID, [UInt8])], liveness: Bool = true) -> Row {
    Row(clustering: ck < 0 ? [] : ModelSchema.clustering(ck), liveness: liveness ? LivenessInfo(timestamp: ts) : .empty,
        columns: cells.map { .simple($0.0, .live(timestamp: ts, value: $0.1)) })
}
func collect(_ it: any UnfilteredPartitionIterator) throws -> [(PartitionHeader, [Row])] {
    var out: [(PartitionHeader, [Row])] = []
    while let h = try it.nextPartition() {
        var rows: [Row] = []
        while let r = try it.nextRow() { rows.append(r) }
        out.append((h, rows))
    }
    return out
}

@Suite struct MemtableTests {
    let table = TableID(high: 1, low: 2)

    @Test func reconcilesOverwritesPerCell() throws {
        let m = Memtable()
        m.apply(PartitionUpdate(table: table, key: testKey(1), rows: [testRow(1, ts: 10, [(1, [1]), (2, [2])])]))
        m.apply(PartitionUpdate(table: table, key: testKey(1), rows: [testRow(1, ts: 5, [(1, [9])])]))   // older: loses
        m.apply(PartitionUpdate(table: table, key: testKey(1), rows: [testRow(1, ts: 20, [(2, [7])], liveness: false)]))
        let parts = try collect(m.scan(.all))
        #expect(parts.count == 1)
        let row = parts[0].1[0]
        #expect(row.liveness.timestamp == 10)
        #expect(row.columns == [.simple(1, .live(timestamp: 10, value: [1])), .simple(2, .live(timestamp: 20, value: [7]))])
        #expect(m.minTimestamp == 5)
    }

    @Test func scansInTokenOrderAcrossBatchesAndHonoursRangeAndSlices() throws {
        let m = Memtable()
        for i in 0..<300 {
            m.apply(PartitionUpdate(table: table, key: testKey(i), rows: [testRow(0, ts: 1, [(1, [UInt8(i & 0xFF)])])]))
        }
        for ck in 0..<300 { m.apply(PartitionUpdate(table: table, key: testKey(7), rows: [testRow(ck, ts: 2, [(1, [1])])])) }
        let parts = try collect(m.scan(.all))
        #expect(parts.count == 300)
        #expect(zip(parts, parts.dropFirst()).allSatisfy { $0.0.key < $1.0.key })
        #expect(parts.first { $0.0.key == testKey(7) }!.1.count == 300)
        let mid = parts[100].0.key, end = parts[200].0.key
        let ranged = try collect(m.scan(PartitionRange(lower: mid.byteComparable, upper: end.byteComparable)))
        #expect(ranged.map(\.0.key) == parts[100..<200].map(\.0.key))
        let slice = Slices([ClusteringSlice(start: ModelSchema.clustering(10), end: ModelSchema.clustering(20)),
                            ClusteringSlice(start: ModelSchema.clustering(250), end: ClusteringEncoding.top)])
        let one = try collect(m.partition(testKey(7), slices: slice, columns: .all)!)
        #expect(one[0].1.map { Int($0.clustering.last!) } == Array(10..<20) + Array(250..<300).map { $0 & 0xFF })
        #expect(m.partition(testKey(1000)) == nil)
    }

    @Test func projectionDropsUnselectedColumns() throws {
        let m = Memtable()
        m.apply(PartitionUpdate(table: table, key: testKey(1), staticRow: testRow(-1, ts: 1, [(3, [3])], liveness: false),
                                rows: [testRow(1, ts: 1, [(1, [1]), (2, [2])])]))
        let parts = try collect(m.scan(.all, columns: ColumnFilter([2])))
        #expect(parts[0].1[0].columns.map(\.column) == [2])
        #expect(parts[0].0.staticRow?.columns.isEmpty == true)
    }

    /// Readers copy rows under the lock: a row written as (v1 = x, v2 = x) is never seen
    /// with v1 != v2 while writers overwrite it.
    @Test func concurrentReadersNeverSeeTornRows() throws {
        let m = Memtable()
        let done = Atomic<Bool>(false)
        let torn = Atomic<Int>(0)
        let table = self.table
        let group = DispatchGroup()
        for w in 0..<2 {
            group.enter()
            Thread {
                for i in 0..<20_000 {
                    let v = [UInt8(truncatingIfNeeded: i), UInt8(w)]
                    m.apply(PartitionUpdate(table: table, key: testKey(i % 50), rows: [
                        testRow(i % 7, ts: Int64(i * 2 + w), [(1, v), (2, v)])]))
                }
                group.leave()
            }.start()
        }
        let reader = Thread {
            while !done.load(ordering: .relaxed) {
                guard let parts = try? collect(m.scan(.all)) else { continue }
                for (_, rows) in parts {
                    for r in rows where r.columns.count == 2 {
                        if case .simple(_, let a) = r.columns[0], case .simple(_, let b) = r.columns[1], a != b { torn.add(1, ordering: .relaxed) }
                    }
                }
            }
        }
        reader.start()
        group.wait()
        done.store(true, ordering: .relaxed)
        #expect(torn.load(ordering: .relaxed) == 0)
        #expect(m.partitionCount == 50)
    }
}
