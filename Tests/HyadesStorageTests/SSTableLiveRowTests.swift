import Foundation
import HyadesCore
@testable import HyadesStorage
import Testing

/// `appendLiveRow` (the bulk loader's path) writes the same bytes as `append(Row)` with
/// live cells at the row timestamp, and checks its input the same way.
@Suite struct SSTableLiveRowTests {
    static func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("hyades-liverow-\(UUID().uuidString)").path
        try PosixFileSystem().createDirectory(d)
        return d
    }

    @Test func sameBytesAsAppendRow() throws {
        let a = try Self.dir(), b = try Self.dir()
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        let fs = PosixFileSystem()
        var options = TableOptions()
        options.chunkLengthBytes = 1024   // several blocks, partitions across blocks
        let ts: Int64 = 1_700_000_000_000_000
        var keys = (0..<60).map { DecoratedKey(key: [UInt8(truncatingIfNeeded: $0), 7]) }
        keys.sort()
        let wa = try SSTableWriter(fileSystem: fs, directory: a, generation: 1, options: options, schema: nil, expectedPartitions: keys.count)
        let wb = try SSTableWriter(fileSystem: fs, directory: b, generation: 1, options: options, schema: nil, expectedPartitions: keys.count)
        var seed: UInt64 = 3
        func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 33 }
        for k in keys {
            try wa.beginPartition(PartitionHeader(key: k))
            try wb.beginPartition(PartitionHeader(key: k))
            for r in 0..<Int(next() % 40) {
                let clustering: [UInt8] = [0x40, UInt8(r >> 8), UInt8(r & 0xFF)]
                var ids: [ColumnID] = []
                var values: [[UInt8]] = []
                for id in ColumnID(2)...ColumnID(6) where next() % 4 != 0 {
                    ids.append(id)
                    values.append((0..<Int(next() % 12)).map { _ in UInt8(next() & 0xFF) })
                }
                try wa.append(Row(clustering: clustering, liveness: LivenessInfo(timestamp: ts),
                                  columns: zip(ids, values).map { .simple($0, Cell.live(timestamp: ts, value: $1)) }))
                let raw = values.map { v -> UnsafeRawBufferPointer in
                    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(v.count, 1), alignment: 1)
                    p.copyBytes(from: v)
                    return UnsafeRawBufferPointer(rebasing: p[0..<v.count])
                }
                defer { for p in raw { UnsafeMutableRawPointer(mutating: p.baseAddress!).deallocate() } }
                try clustering.withUnsafeBytes { c in
                    try ids.withUnsafeBufferPointer { i in
                        try raw.withUnsafeBufferPointer { v in
                            try wb.appendLiveRow(clustering: c, timestamp: ts, columnIDs: i, values: v)
                        }
                    }
                }
            }
        }
        _ = try wa.finish()
        _ = try wb.finish()
        for c in SSTableFormat.Component.allCases {
            let name = SSTableFormat.fileName(generation: 1, c)
            #expect(FileManager.default.contents(atPath: a + "/" + name) == FileManager.default.contents(atPath: b + "/" + name), "\(name)")
        }
    }

    @Test func outOfOrderInputIsAnError() throws {
        let d = try Self.dir()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let w = try SSTableWriter(fileSystem: PosixFileSystem(), directory: d, generation: 1, options: TableOptions(), schema: nil, expectedPartitions: 1)
        try w.beginPartition(PartitionHeader(key: DecoratedKey(key: [1])))
        let ids: [ColumnID] = [3, 2]
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let values = [empty, empty]
        try [UInt8]([0x40, 1]).withUnsafeBytes { c in
            try ids.withUnsafeBufferPointer { i in
                try values.withUnsafeBufferPointer { v in
                    #expect(throws: SSTableWriterError.self) { try w.appendLiveRow(clustering: c, timestamp: 1, columnIDs: i, values: v) }
                    try w.appendLiveRow(clustering: c, timestamp: 1, columnIDs: UnsafeBufferPointer(rebasing: i[1...]), values: UnsafeBufferPointer(rebasing: v[1...]))
                    // The same clustering again: out of order.
                    #expect(throws: SSTableWriterError.self) {
                        try w.appendLiveRow(clustering: c, timestamp: 1, columnIDs: UnsafeBufferPointer(rebasing: i[1...]), values: UnsafeBufferPointer(rebasing: v[1...]))
                    }
                }
            }
        }
        w.abort()
    }
}
