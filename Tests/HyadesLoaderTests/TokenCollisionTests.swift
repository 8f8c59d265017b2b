import Foundation
import Testing
import HyadesCore
import HyadesStorage
@testable import HyadesLoader

/// The builder sorts a token's rows without comparing their partition keys (they almost
/// always share one) and relies on the writer noticing when they do not. Real Murmur3
/// collisions cannot be produced on demand, so every row here is given one token.
@Suite struct TokenCollisionTests {
    @Test func rowsOfDifferentKeysWithOneTokenAreWrittenInKeyOrderAndNoneIsLost() throws {
        let table = LoaderFixtures.named
        let csv = "source_id,name,mag,flag,n\n5,e,1.0,true,1\n3,c,2.0,false,2\n9,i,3.0,true,3\n3,c2,4.0,true,4\n1,a,5.0,false,5\n"
        let plan = try LoadPlan(table: table, header: ["source_id", "name", "mag", "flag", "n"], mapping: LoadMapping(), file: "t.csv")
        var parser = ChunkParser(plan: plan)
        defer { parser.release() }
        let body = Array(csv.utf8.drop { $0 != 10 }.dropFirst())
        let batch = body.withUnsafeBufferPointer { parser.parse($0.baseAddress!, count: $0.count, batchIndex: 0) }
        #expect(batch.refs.count == 5)
        for i in batch.refs.indices { batch.refs[i].token = 42 }
        let dir = LoaderFixtures.tempDir("collision")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let builder = SSTableBuilder(table: table, writeTimestamp: 1000, directory: dir, splitTokens: [], threads: 1)
        let written = try builder.write([batch], firstGeneration: 1)
        #expect(written.count == 1)
        // Four partitions (source_id 3 twice: the later row wins), keys in byte order.
        let rows = try LoaderFixtures.rows(in: dir)
        #expect(rows.map(\.key) == [1, 3, 5, 9].map { LoaderFixtures.bigEndian(Int64($0)) })
        let nameID = table.column(named: "name")!.id
        #expect(rows[1].cells[nameID] == Array("c2".utf8))
    }
}
