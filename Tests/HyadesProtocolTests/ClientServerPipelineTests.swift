import HyadesCore
import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesProtocol

/// A client pipeline and a server pipeline wired back to back through their bytes.
@Suite struct ClientServerPipelineTests {
    final class Pair {
        let client = EmbeddedChannel()
        let server = EmbeddedChannel()

        init(_ configuration: CQLServerConfiguration = CQLServerConfiguration()) throws {
            try client.pipeline.syncOperations.addCQLClientHandlers()
            try server.pipeline.syncOperations.addCQLServerHandlers(configuration: configuration)
            try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9042)).wait()
            try server.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
        }

        /// Moves bytes both ways until both sides are quiet; returns what each bytes-crossing carried.
        @discardableResult
        func pump() throws -> (toServer: [ByteBuffer], toClient: [ByteBuffer]) {
            var up: [ByteBuffer] = [], down: [ByteBuffer] = []
            var moved = true
            while moved {
                moved = false
                while let b = try client.readOutbound(as: ByteBuffer.self) { up.append(b); try server.writeInbound(b); moved = true }
                while let b = try server.readOutbound(as: ByteBuffer.self) { down.append(b); try client.writeInbound(b); moved = true }
            }
            return (up, down)
        }

        func request(_ r: CQLRequest, stream: Int16) throws {
            try client.writeOutbound(CQLRequestEnvelope(stream: stream, request: r))
        }

        func responses() throws -> [CQLResponseEnvelope] {
            var out: [CQLResponseEnvelope] = []
            while let e = try client.readInbound(as: CQLResponseEnvelope.self) { out.append(e) }
            return out
        }

        func requests() throws -> [CQLRequestEnvelope] {
            var out: [CQLRequestEnvelope] = []
            while let e = try server.readInbound(as: CQLRequestEnvelope.self) { out.append(e) }
            return out
        }
    }

    @Test(arguments: [CQLCompression?.none, .lz4, .snappy])
    func handshakeQueryAndRows(_ compression: CQLCompression?) throws {
        let p = try Pair()
        try p.request(.options, stream: 0)
        try p.pump()
        #expect(try p.responses().map(\.response) == [.supported(CQLProtocol.defaultSupportedOptions)])

        var options = ["CQL_VERSION": "3.0.0"]
        if let compression { options["COMPRESSION"] = compression.rawValue }
        try p.request(.startup(options), stream: 1)
        try p.pump()
        #expect(try p.responses().map(\.response) == [.ready])

        let q = CQLRequest.query(String(repeating: "SELECT * FROM gaia.source; ", count: 50),
                                 CQLQueryParameters(consistency: .localOne, pageSize: 100))
        try p.request(q, stream: 2)
        let (up, _) = try p.pump()
        // With compression on, the request crossed compressed (flag byte of the header).
        #expect(up.count == 1)
        #expect((up[0].getInteger(at: up[0].readerIndex + 1, as: UInt8.self)! & 0x01 != 0) == (compression != nil))
        let got = try p.requests()
        #expect(got.map(\.request) == [q])

        var rows = CQLRowsEncoder(columnCount: 2, allocator: allocator)
        for i in 0..<1000 { rows.appendInt64(Int64(i)); rows.appendUTF8("star \(i % 10)"); rows.endRow() }
        let meta = CQLResultMetadata(columns: [
            ColumnSpecification(keyspace: "gaia", table: "source", name: "source_id", type: .bigint),
            ColumnSpecification(keyspace: "gaia", table: "source", name: "name", type: .text),
        ], pagingState: buffer([1, 2, 3]))
        let result = CQLResponse.result(.rows(rows.finish(metadata: meta)))
        try p.server.writeOutbound(CQLResponseEnvelope(stream: 2, response: result))
        let (_, down) = try p.pump()
        #expect((down[0].getInteger(at: down[0].readerIndex + 1, as: UInt8.self)! & 0x01 != 0) == (compression != nil))
        let answers = try p.responses()
        #expect(answers.map(\.stream) == [2])
        #expect(answers.first?.response == result)
    }
}
