import HyadesCore
import NIOCore
import Testing
@testable import HyadesProtocol

/// Frames written out byte by byte from native_protocol_v4.spec, compared with what the
/// codec produces and parsed back.
@Suite struct GoldenFrameTests {
    @Test func optionsRequest() throws {
        // version 0x04, flags 0, stream 1, opcode OPTIONS 0x05, length 0, no body.
        let golden: [UInt8] = [0x04, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00]
        let frame = try CQLMessageCodec().encodeRequest(CQLRequestEnvelope(stream: 1, request: .options), allocator: allocator)
        #expect(frameBytes(frame) == golden)

        var wire = buffer(golden)
        let decoded = try #require(try CQLFrameDecoder.decodeFrame(from: &wire, role: .server, maxBodyBytes: 1024))
        #expect(decoded.stream == 1 && decoded.opcode == .options && decoded.body.readableBytes == 0)
        #expect(try CQLMessageCodec().decodeRequest(decoded, allocator: allocator).request == .options)
    }

    @Test func supportedResponse() throws {
        // [string multimap] with 2 keys, sorted: COMPRESSION -> [lz4, snappy], CQL_VERSION -> [3.4.7].
        let body: [UInt8] = [0x00, 0x02]
            + shortString("COMPRESSION") + [0x00, 0x02] + shortString("lz4") + shortString("snappy")
            + shortString("CQL_VERSION") + [0x00, 0x01] + shortString("3.4.7")
        #expect(body.count == 52)
        let golden: [UInt8] = [0x84, 0x00, 0x00, 0x01, 0x06, 0x00, 0x00, 0x00, 0x34] + body

        let response = CQLResponse.supported(CQLProtocol.defaultSupportedOptions)
        let frame = try CQLMessageCodec().encodeResponse(CQLResponseEnvelope(stream: 1, response: response), allocator: allocator)
        #expect(frameBytes(frame) == golden)

        var wire = buffer(golden)
        let decoded = try #require(try CQLFrameDecoder.decodeFrame(from: &wire, role: .client, maxBodyBytes: 1024))
        let env = try CQLMessageCodec().decodeResponse(decoded, allocator: allocator)
        #expect(env.response == .supported(["CQL_VERSION": ["3.4.7"], "COMPRESSION": ["lz4", "snappy"]]))
    }

    @Test func unsupportedVersionErrorFor0x42() throws {
        let text = "Invalid or unsupported protocol version (66); supported versions are (4/v4)"
        #expect(ProtocolError.unsupportedVersion(0x42, stream: 0).message == text)
        // Body: [int] 0x000A, [string] message. Header: response v4, stream 0, ERROR.
        let body: [UInt8] = [0x00, 0x00, 0x00, 0x0A] + shortString(text)
        let golden: [UInt8] = [0x84, 0x00, 0x00, 0x00, 0x00] + int32BE(Int32(body.count)) + body

        let error = ProtocolError.unsupportedVersion(0x42, stream: 0)
        let frame = try CQLMessageCodec().encodeResponse(
            CQLResponseEnvelope(stream: error.stream, response: .error(error.errorMessage)), allocator: allocator)
        #expect(frameBytes(frame) == golden)
    }

    @Test func startupRequest() throws {
        // [string map] {CQL_VERSION: 3.0.0, COMPRESSION: lz4}, keys sorted.
        let body: [UInt8] = [0x00, 0x02] + shortString("COMPRESSION") + shortString("lz4")
            + shortString("CQL_VERSION") + shortString("3.0.0")
        let golden: [UInt8] = [0x04, 0x00, 0x00, 0x00, 0x01] + int32BE(Int32(body.count)) + body
        let request = CQLRequest.startup(["CQL_VERSION": "3.0.0", "COMPRESSION": "lz4"])
        // Even with lz4 negotiated, STARTUP goes out uncompressed.
        let frame = try CQLMessageCodec(compression: .lz4).encodeRequest(CQLRequestEnvelope(stream: 0, request: request), allocator: allocator)
        #expect(frameBytes(frame) == golden)
    }

    @Test func queryRequestWithValuesAndPaging() throws {
        // QUERY "SELECT * FROM t WHERE k=?", LOCAL_ONE, flags values|page_size = 0x05,
        // one value int 42, page size 5000.
        let q = "SELECT * FROM t WHERE k=?"
        let body: [UInt8] = int32BE(Int32(q.utf8.count)) + Array(q.utf8)
            + [0x00, 0x0A, 0x05, 0x00, 0x01] + int32BE(4) + int32BE(42) + int32BE(5000)
        let golden: [UInt8] = [0x04, 0x00, 0x00, 0x03, 0x07] + int32BE(Int32(body.count)) + body
        let params = CQLQueryParameters(consistency: .localOne, values: [.bytes(buffer(int32BE(42)))], pageSize: 5000)
        let frame = try CQLMessageCodec().encodeRequest(CQLRequestEnvelope(stream: 3, request: .query(q, params)), allocator: allocator)
        #expect(frameBytes(frame) == golden)
    }

    @Test func voidResultAndSetKeyspace() throws {
        let void = try CQLMessageCodec().encodeResponse(CQLResponseEnvelope(stream: 9, response: .result(.void)), allocator: allocator)
        #expect(frameBytes(void) == [0x84, 0x00, 0x00, 0x09, 0x08, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01])
        let use = try CQLMessageCodec().encodeResponse(CQLResponseEnvelope(stream: 9, response: .result(.setKeyspace("gaia"))), allocator: allocator)
        #expect(frameBytes(use) == [0x84, 0x00, 0x00, 0x09, 0x08, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x03] + shortString("gaia"))
    }

    @Test func rowsResultWithGlobalTableSpec() throws {
        // Rows: flags 0x0001 (global spec), 2 columns, ks "ks", table "t",
        // (id int), (names list<text>); 1 row: 7, null.
        let body: [UInt8] = int32BE(2) + int32BE(1) + int32BE(2) + shortString("ks") + shortString("t")
            + shortString("id") + [0x00, 0x09]
            + shortString("names") + [0x00, 0x20, 0x00, 0x0D]
            + int32BE(1) + int32BE(4) + int32BE(7) + int32BE(-1)
        var rows = CQLRowsEncoder(columnCount: 2, allocator: allocator)
        rows.appendInt32(7)
        rows.appendNull()
        rows.endRow()
        let meta = CQLResultMetadata(columns: [
            ColumnSpecification(keyspace: "ks", table: "t", name: "id", type: .int),
            ColumnSpecification(keyspace: "ks", table: "t", name: "names", type: .list(.text)),
        ])
        let frame = try CQLMessageCodec().encodeResponse(
            CQLResponseEnvelope(stream: 2, response: .result(.rows(rows.finish(metadata: meta)))), allocator: allocator)
        #expect(frameBytes(frame) == [0x84, 0x00, 0x00, 0x02, 0x08] + int32BE(Int32(body.count)) + body)
    }
}
