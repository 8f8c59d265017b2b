import HyadesCore
import NIOCore
import Testing
@testable import HyadesProtocol

@Suite struct RowsEncoderTests {
    static let columns = [
        ColumnSpecification(keyspace: "gaia", table: "source", name: "source_id", type: .bigint),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "ra", type: .double),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "phot_g_mean_mag", type: .float),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "designation", type: .text),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "flags", type: .list(.int)),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "ok", type: .boolean),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "s", type: .smallint),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "t", type: .tinyint),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "n", type: .int),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "raw", type: .blob),
    ]

    @Test func typedAppendsWriteTheSerializedForms() throws {
        var enc = CQLRowsEncoder(columnCount: Self.columns.count, allocator: allocator)
        enc.appendInt64(4_295_806_720)
        enc.appendDouble(45.5)
        enc.appendFloat(-1.25)
        enc.appendUTF8("Gaia DR3 4295806720")
        // list<int> [1, 2] built in place: count, then [bytes] per element.
        let at = enc.beginValue()
        enc.withValueBuffer { b in
            b.writeInteger(Int32(2))
            b.writeInteger(Int32(4)); b.writeInteger(Int32(1))
            b.writeInteger(Int32(4)); b.writeInteger(Int32(2))
        }
        enc.endValue(startedAt: at)
        enc.appendBool(true)
        enc.appendInt16(-2)
        enc.appendInt8(-1)
        enc.appendInt32(0x01020304)
        [UInt8]([0xCA, 0xFE]).withUnsafeBytes { enc.append(bytes: $0) }
        enc.endRow()
        #expect(enc.rowCount == 1)

        let rows = enc.finish(metadata: CQLResultMetadata(columns: Self.columns))
        let cells = try rows.decodedRows()[0].map { $0.map(bytes) }
        #expect(cells[0] == [0x00, 0x00, 0x00, 0x01, 0x00, 0x0C, 0xCF, 0x00])
        #expect(cells[1] == Array(withUnsafeBytes(of: (45.5).bitPattern.bigEndian, Array.init)))
        #expect(cells[2] == Array(withUnsafeBytes(of: Float(-1.25).bitPattern.bigEndian, Array.init)))
        #expect(cells[3] == Array("Gaia DR3 4295806720".utf8))
        #expect(cells[4] == int32BE(2) + int32BE(4) + int32BE(1) + int32BE(4) + int32BE(2))
        #expect(cells[5] == [1])
        #expect(cells[6] == [0xFF, 0xFE])
        #expect(cells[7] == [0xFF])
        #expect(cells[8] == [1, 2, 3, 4])
        #expect(cells[9] == [0xCA, 0xFE])
        // Core's validator agrees the list value is well formed.
        #expect(throws: Never.self) { try CQLType.list(.int).validate(cells[4]!) }
    }

    @Test func appendsFromBuffersAndSequencesAndNulls() throws {
        var enc = CQLRowsEncoder(columnCount: 3, allocator: allocator)
        var source = buffer([9, 9, 1, 2, 3])
        source.moveReaderIndex(forwardBy: 2)
        enc.append(source)
        enc.append(bytes: [UInt8]([4, 5]).lazy.map { $0 * 2 })
        enc.appendNull()
        enc.endRow()
        enc.append(bytes: [UInt8]())
        enc.appendNull()
        enc.appendUTF8("")
        enc.endRow()
        let rows = try enc.finish(metadata: CQLResultMetadata(noMetadataColumnCount: 3)).decodedRows()
        #expect(rows.map { $0.map { $0.map(bytes) } } == [[[1, 2, 3], [8, 10], nil], [[], nil, []]])
    }

    @Test func byteCountTracksThePageSize() {
        var enc = CQLRowsEncoder(columnCount: 2, allocator: allocator)
        #expect(enc.byteCount == 0)
        enc.appendInt64(1)
        enc.appendNull()
        enc.endRow()
        #expect(enc.byteCount == 12 + 4)
    }

    @Test func pagingStateDecidedAfterTheRows() throws {
        var enc = CQLRowsEncoder(columnCount: 1, allocator: allocator)
        for i in 0..<100 { enc.appendInt32(Int32(i)); enc.endRow() }
        let more = enc.finish(metadata: CQLResultMetadata(columns: [Self.columns[8]], pagingState: buffer([0, 0, 0, 99])))
        let env = try roundTrip(.result(.rows(more)))
        guard case .result(.rows(let rows)) = env.response else { Issue.record("not rows"); return }
        #expect(rows.rowCount == 100)
        #expect(rows.metadata.pagingState.map(bytes) == [0, 0, 0, 99])
        var sum = 0
        try rows.forEachCell { _, _, cell in sum += Int(cell!.getInteger(at: cell!.readerIndex, as: Int32.self)!) }
        #expect(sum == 4950)
    }

    @Test func largePageRoundTrips() throws {
        var enc = CQLRowsEncoder(columnCount: Self.columns.count, allocator: allocator)
        for i in 0..<5000 {
            enc.appendInt64(Int64(i)); enc.appendDouble(Double(i) / 7); enc.appendFloat(Float(i))
            enc.appendUTF8("Gaia DR3 \(i)"); enc.appendNull(); enc.appendBool(i % 2 == 0)
            enc.appendInt16(Int16(truncatingIfNeeded: i)); enc.appendInt8(Int8(truncatingIfNeeded: i)); enc.appendInt32(Int32(i))
            enc.append(bytes: [UInt8(i & 0xFF)])
            enc.endRow()
        }
        let rows = enc.finish(metadata: CQLResultMetadata(columns: Self.columns))
        for c in CQLCompression.allCases {
            let env = try roundTrip(.result(.rows(rows)), codec: CQLMessageCodec(compression: c))
            #expect(env.response == .result(.rows(rows)))
        }
    }
}

@Suite struct RowSourceTests {
    struct Counter: CQLRowSource {
        var next = 0
        let end: Int
        mutating func writeNextRow(into encoder: inout CQLRowsEncoder) throws -> Bool {
            guard next < end else { return false }
            encoder.appendInt64(Int64(next))
            encoder.appendUTF8("row \(next)")
            encoder.endRow()
            next += 1
            return true
        }
    }

    @Test func pagesStopAtRowsBytesOrExhaustion() throws {
        var source = Counter(end: 25)
        var page1 = CQLRowsEncoder(columnCount: 2, allocator: allocator)
        #expect(try page1.append(from: &source, maxRows: 10) == false)
        #expect(page1.rowCount == 10)

        var page2 = CQLRowsEncoder(columnCount: 2, allocator: allocator)
        // Each row is 12 + 4 + 5..6 bytes: a 40-byte budget stops after 2 rows.
        #expect(try page2.append(from: &source, maxRows: 10, maxBytes: 40) == false)
        #expect(page2.rowCount == 2)

        var page3 = CQLRowsEncoder(columnCount: 2, allocator: allocator)
        #expect(try page3.append(from: &source, maxRows: 100) == true)
        #expect(page3.rowCount == 13)
        let first = try page3.finish(metadata: CQLResultMetadata(noMetadataColumnCount: 2)).decodedRows()[0]
        #expect(first[0].map(bytes) == [0, 0, 0, 0, 0, 0, 0, 12])
    }
}
