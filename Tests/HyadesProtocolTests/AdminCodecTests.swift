import HyadesCore
import Testing
@testable import HyadesProtocol

/// The management frames of `hyades nodetool` (docs/formats/admin.md): every message
/// survives the round trip and any split into pieces; a flipped byte, a wrong magic or
/// version, an oversized length, a truncated or overlong payload are errors.
@Suite struct AdminCodecTests {
    static let requests: [AdminRequest] = [
        .gossipInfo, .tableStats([]), .tableStats(["ks", "ks.t", "é.ü"]),
        .flush(keyspace: nil, tables: []), .flush(keyspace: "ks", tables: []), .flush(keyspace: "ks", tables: ["a", "b"]),
        .compact(keyspace: nil, tables: []), .compact(keyspace: "ks", tables: ["a"]), .drain,
    ]

    static let responses: [AdminResponse] = [
        .gossipInfo([]),
        .gossipInfo([AdminEndpointState(host: "127.0.0.1", port: 7000, generation: 1_700_000_000, heartbeat: -1,
                                        states: [AdminApplicationState(key: 0, version: 9, value: "NORMAL,-42"),
                                                 AdminApplicationState(key: 13, version: Int32.max, value: String(repeating: "1,", count: 40_000))]),
                     AdminEndpointState(host: "::1", port: 65535, generation: 0, heartbeat: 0, states: [])]),
        .tableStats([]),
        .tableStats([AdminTableStats(keyspace: "ks", table: "t",
                                     figures: [("sstable_count", 3), ("space_used_live", Int64.max), ("x", -1)])]),
        .done,
        .error(code: AdminFormat.errorUnknownTable, message: "Unknown keyspace/cf pair (ks.nope)"),
    ]

    @Test func requestsRoundTripInAnyPieces() throws {
        for r in Self.requests {
            let bytes = AdminCodec.encode(r)
            for cut in [0, 1, 4, AdminFormat.headerBytes, bytes.count - 1] where cut < bytes.count {
                #expect(try AdminCodec.decodeFrame(bytes[..<cut]) == nil, "\(r) cut at \(cut)")
            }
            let (type, payload, consumed) = try #require(try AdminCodec.decodeFrame(bytes[...] + [0x48]))
            #expect(consumed == bytes.count)
            #expect(try AdminCodec.decodeRequest(type: type, payload: payload) == r)
        }
    }

    @Test func responsesRoundTrip() throws {
        for r in Self.responses {
            let bytes = AdminCodec.encode(r)
            let (type, payload, _) = try #require(try AdminCodec.decodeFrame(bytes[...]))
            #expect(try AdminCodec.decodeResponse(type: type, payload: payload) == r)
        }
    }

    @Test func everyFlippedByteIsCaught() {
        let bytes = AdminCodec.encode(AdminRequest.flush(keyspace: "ks", tables: ["t"]))
        for i in bytes.indices {
            var bad = bytes
            bad[i] ^= 0x10
            // A flipped length may leave the frame "incomplete" (nil) or over the limit;
            // it never decodes as a frame.
            let decoded = try? AdminCodec.decodeFrame(bad[...])
            #expect(decoded == nil || decoded! == nil, "byte \(i)")
        }
    }

    @Test func badHeadersAreErrors() {
        var v2 = AdminCodec.encode(AdminRequest.drain)
        v2[4] = 2
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeFrame(v2[...]) }
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeFrame(Array("HYIN".utf8)[...]) }
        // A length over the limit is refused from the header, before any payload arrives.
        var huge = Array(AdminCodec.encode(AdminRequest.drain).prefix(AdminFormat.headerBytes))
        huge[6] = 0x7F
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeFrame(huge[...]) }
    }

    @Test func payloadsThatDoNotParseExactlyAreErrors() {
        // Tables without a keyspace, an unknown type, a truncated and an overlong payload.
        #expect(throws: AdminProtocolError.self) {
            try AdminCodec.decodeRequest(type: AdminFormat.typeFlush, payload: [0, 0, 0, 1, 0, 1, 0x61])
        }
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeRequest(type: 0x7E, payload: []) }
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeRequest(type: AdminFormat.typeTableStats, payload: [0, 1, 0, 5, 0x61]) }
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeRequest(type: AdminFormat.typeDrain, payload: [0]) }
        #expect(throws: AdminProtocolError.self) { try AdminCodec.decodeResponse(type: AdminFormat.typeError, payload: [0, 1, 0, 0, 0, 9]) }
    }
}
