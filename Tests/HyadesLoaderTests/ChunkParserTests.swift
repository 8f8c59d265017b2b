import Testing
import HyadesCore
import HyadesTestSupport
import Foundation
@testable import HyadesLoader

/// The parser writes each row's clustering into its record; a clustering of signed
/// fixed-width columns is encoded there directly, any other through `ByteComparable`.
/// Both must give exactly `ClusteringEncoding.encode`'s bytes, and the ref's prefix must
/// be the 8 bytes after the first separator.
@Suite struct ChunkParserTests {
    static func parse(_ table: TableMetadata, header: [String], _ body: String) throws -> RowBatch {
        let plan = try LoadPlan(table: table, header: header, mapping: LoadMapping(), file: "t.csv")
        var parser = ChunkParser(plan: plan)
        defer { parser.release() }
        let bytes = Array(body.utf8)
        return bytes.withUnsafeBufferPointer { parser.parse($0.baseAddress!, count: $0.count, batchIndex: 0) }
    }

    /// (clustering bytes, prefix) of every ref, from the records.
    static func clusterings(_ batch: RowBatch) -> [([UInt8], UInt64)] {
        batch.refs.map { r in
            let rec = UnsafeRawPointer(batch.arena.base) + Int(r.offset)
            let keyLength = Int(rec.loadUnaligned(as: UInt16.self))
            let n = Int((rec + 2 + keyLength).loadUnaligned(as: UInt16.self))
            return (Array(UnsafeRawBufferPointer(start: rec + 4 + keyLength, count: n)), r.clusteringPrefix)
        }
    }

    static func prefix(_ c: [UInt8]) -> UInt64 { (1..<9).reduce(0) { $0 << 8 | UInt64($1 < c.count ? c[$1] : 0) } }

    static func value(_ v: Int64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> UInt64(8 * (width - 1 - $0))) }
    }

    @Test func signedFixedWidthClusteringsMatchTheGenericEncoding() throws {
        let table = TableMetadata(keyspace: "ks", name: "t", id: TableID(high: 5, low: 6),
                                  partitionKey: [("p", .int)],
                                  clustering: [("a", .bigint, .asc), ("b", .int, .desc), ("c", .smallint, .asc), ("d", .tinyint, .desc)],
                                  regular: [("v", .double)])
        let rows: [(Int64, Int64, Int64, Int64)] = [(0, 0, 0, 0), (-1, 1, -1, 1), (Int64.min, Int64(Int32.max), Int64(Int16.min), 127),
                                                    (Int64.max, Int64(Int32.min), Int64(Int16.max), -128), (42, -7, 300, -3)]
        let body = rows.map { "1,\($0.0),\($0.1),\($0.2),\($0.3),2.5\n" }.joined()
        let batch = try Self.parse(table, header: ["p", "a", "b", "c", "d", "v"], body)
        #expect(batch.rejects.isEmpty)
        let got = Self.clusterings(batch)
        #expect(got.count == rows.count)
        for (i, r) in rows.enumerated() {
            let expected = try ClusteringEncoding.encode([Self.value(r.0, width: 8), Self.value(r.1, width: 4), Self.value(r.2, width: 2),
                                                          Self.value(r.3, width: 1)],
                                                         types: [.bigint, .int, .smallint, .tinyint], descending: [false, true, false, true])
            #expect(got[i].0 == expected)
            #expect(got[i].1 == Self.prefix(expected))
        }
    }

    @Test func otherClusteringsGoThroughByteComparable() throws {
        let table = TableMetadata(keyspace: "ks", name: "t2", id: TableID(high: 7, low: 8),
                                  partitionKey: [("p", .int)], clustering: [("name", .text, .asc), ("n", .int, .asc)],
                                  regular: [("v", .double)])
        let batch = try Self.parse(table, header: ["p", "name", "n", "v"], "1,ab,5,1.0\n1,\"\",-5,2.0\n1,a\u{0}b,0,3.0\n")
        #expect(batch.rejects.isEmpty)
        let got = Self.clusterings(batch)
        let names = ["ab", "", "a\u{0}b"], ns: [Int64] = [5, -5, 0]
        for i in 0..<3 {
            let expected = try ClusteringEncoding.encode([Array(names[i].utf8), Self.value(ns[i], width: 4)],
                                                         types: [.text, .int], descending: [false, false])
            #expect(got[i].0 == expected)
            #expect(got[i].1 == Self.prefix(expected))
        }
    }

    /// Rows read on the word-at-a-time path (no quotes) and the same rows with quoted
    /// fields (the general scanner) are the same records, tokens and rejects: CRLF, blank
    /// lines, empty fields (null either way), NaN, bad numbers and wrong field counts
    /// included. (`null` unquoted is null, quoted it is text: not in these rows.)
    @Test func quotedAndPlainFieldsGiveTheSameRows() throws {
        let table = TableMetadata(keyspace: "gaia", name: "dr3", id: TableID(high: 1, low: 2),
                                  partitionKey: [("healpix5", .int)], clustering: [("source_id", .bigint, .asc)],
                                  regular: [("ra", .double), ("dec", .double), ("phot_g_mean_mag", .float), ("pmra", .float)])
        let header = ["source_id", "ra", "dec", "phot_g_mean_mag", "pmra"]
        let plan = try LoadPlan(table: table, header: header,
                                mapping: LoadMapping(derive: [try DeriveSpec(parsing: "healpix5=healpix(source_id,5)")]), file: "t.csv")
        var rng = SplitMix(seed: 77)
        var plain = "", quoted = ""
        for i in 0..<400 {
            var fields = ["\(rng.next() >> 2)", String(Double(bitPattern: 0x4060_0000_0000_0000 | rng.next() >> 12)),
                          String(format: "%.15f", Double(Int64(rng.next() % 180_000)) / 1000 - 90), String(Float(rng.next() % 2000) / 100),
                          ["", "NaN", "1.5e-3", "-0.0", "12345678", "2.4691198"][Int(rng.next() % 6)]]
            if i % 53 == 7 { fields[1] = "1.2.3" }            // rejected: not a double
            if i % 61 == 9 { fields.removeLast() }            // rejected: wrong field count
            if i % 67 == 11 { fields[0] = "" }                // rejected: null key source
            let end = i % 5 == 0 ? "\r\n" : "\n"
            plain += fields.joined(separator: ",") + end
            quoted += fields.enumerated().map { $0.offset % 2 == i % 2 ? "\"\($0.element)\"" : $0.element }.joined(separator: ",") + end
            if i % 37 == 0 { plain += "\n"; quoted += "\r\n" }
        }
        func run(_ text: String) -> (records: [[UInt8]], tokens: [Int64], prefixes: [UInt64], rejects: [String], rows: Int, newlines: Int) {
            var parser = ChunkParser(plan: plan)
            defer { parser.release() }
            let bytes = Array(text.utf8)
            let batch = bytes.withUnsafeBufferPointer { parser.parse($0.baseAddress!, count: $0.count, batchIndex: 0) }
            let records = batch.refs.map { Array(UnsafeRawBufferPointer(start: batch.arena.base + Int($0.offset), count: Int($0.length))) }
            // A quoted field's reject message quotes what was inside the quotes; compare lines.
            return (records, batch.refs.map(\.token), batch.refs.map(\.clusteringPrefix),
                    batch.rejects.map { "\($0.line)" }, batch.rowsRead, batch.newlines)
        }
        let a = run(plain), b = run(quoted)
        #expect(a.records.count > 300)
        #expect(!a.rejects.isEmpty)
        #expect(a.records == b.records)
        #expect(a.tokens == b.tokens)
        #expect(a.prefixes == b.prefixes)
        #expect(a.rejects == b.rejects)
        #expect(a.rows == b.rows)
        #expect(a.newlines == b.newlines)
    }

    /// Rows far shorter than the parser's guess (48 bytes a row) outgrow its ref buffer;
    /// every row still comes out, grouped by token bucket, each bucket in input order.
    @Test func manyShortRowsAllComeOutGroupedInOrder() throws {
        let table = TableMetadata(keyspace: "ks", name: "short", id: TableID(high: 9, low: 9),
                                  partitionKey: [("k", .int)], clustering: [], regular: [("v", .tinyint)])
        let plan = try LoadPlan(table: table, header: ["k", "v"], mapping: LoadMapping(), file: "t.csv")
        let buckets = TokenBuckets(ends: [-(1 << 62), 0, 1 << 62])
        for round in 0..<2 {
            // The second round reuses the first's buffer.
            var parser = ChunkParser(plan: plan, buckets: buckets)
            defer { parser.release() }
            let rows = 5000 + round
            let bytes = Array((0..<rows).map { "\($0),\($0 % 100)\n" }.joined().utf8)
            let batch = bytes.withUnsafeBufferPointer { parser.parse($0.baseAddress!, count: $0.count, batchIndex: 0) }
            #expect(batch.rejects.isEmpty)
            #expect(batch.refs.count == rows)
            var keys: [Int32] = []
            for b in 0..<buckets.count {
                let slice = batch.refs[batch.bucketStarts[b]..<batch.bucketStarts[b + 1]]
                #expect(slice.allSatisfy { buckets.bucket($0.token) == b })
                // Input order within a bucket: offsets ascend.
                #expect(zip(slice, slice.dropFirst()).allSatisfy { $0.offset < $1.offset })
                for r in slice {
                    let key = (UnsafeRawPointer(batch.arena.base) + Int(r.offset) + 2).loadUnaligned(as: UInt32.self)
                    keys.append(Int32(bitPattern: UInt32(bigEndian: key)))
                }
            }
            #expect(keys.sorted() == (0..<Int32(rows)).map { $0 })
        }
    }
}
