import Foundation
import HyadesCore
import HyadesProtocol
import NIOCore
import NIOEmbedded
import Testing
@testable import HyadesServer

/// The node-wide in-flight budgets: over a limit a request is answered ERROR Overloaded
/// (0x1001) on its stream and nothing is queued; answered requests give their budget back.
@Suite struct InFlightLimitTests {
    func queryFrame(_ stream: Int16, _ cql: String) throws -> CQLFrame {
        try CQLMessageCodec(compression: nil).encodeRequest(CQLRequestEnvelope(stream: stream, request: .query(cql, CQLQueryParameters())),
                                                            allocator: ByteBufferAllocator())
    }

    @Test func handlerRefusesOverBudgetAndReleasesOnResponse() throws {
        let limits = InFlightLimits(InFlightLimitSettings(maxRequests: 2, maxBytes: 1 << 20, maxBytesPerIP: 1 << 20))
        let channel = EmbeddedChannel(handler: InFlightLimitHandler(limits: limits))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9042)).wait()
        for s: Int16 in 1...3 { try channel.writeInbound(try queryFrame(s, "SELECT * FROM t")) }
        channel.pipeline.fireChannelReadComplete()
        // Two forwarded to the query layer, the third answered Overloaded on stream 3.
        let first = try #require(try channel.readInbound(as: CQLFrame.self))
        let second = try #require(try channel.readInbound(as: CQLFrame.self))
        #expect([first.stream, second.stream] == [1, 2])
        #expect(try channel.readInbound(as: CQLFrame.self) == nil)
        let refusal = try #require(try channel.readOutbound(as: CQLFrame.self))
        let decoded = try CQLMessageCodec(compression: nil).decodeResponse(refusal, allocator: ByteBufferAllocator())
        #expect(decoded.stream == 3)
        guard case .error(let e) = decoded.response else { Issue.record("got \(decoded.response)"); return }
        #expect(e.code == 0x1001)
        #expect(limits.inFlight.requests == 2)
        // The answer to stream 1 frees a slot: stream 4 passes.
        let answer = try CQLMessageCodec(compression: nil).encodeResponse(CQLResponseEnvelope(stream: 1, response: .result(.void)),
                                                                           allocator: ByteBufferAllocator())
        try channel.writeOutbound(answer)
        _ = try channel.readOutbound(as: CQLFrame.self)
        try channel.writeInbound(try queryFrame(4, "SELECT * FROM t"))
        #expect(try channel.readInbound(as: CQLFrame.self)?.stream == 4)
        // Heartbeats always pass.
        let options = try CQLMessageCodec(compression: nil).encodeRequest(CQLRequestEnvelope(stream: 9, request: .options),
                                                                          allocator: ByteBufferAllocator())
        try channel.writeInbound(options)
        #expect(try channel.readInbound(as: CQLFrame.self)?.stream == 9)
        // Closing the connection gives back what its unanswered requests held.
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(limits.inFlight.requests == 0 && limits.inFlight.bytes == 0)
    }

    @Test func requestLargerThanThePerIPBudgetIsOverloadedOverSockets() async throws {
        let n = try await RunningNode(limits: InFlightLimitSettings(maxRequests: 100, maxBytes: 1 << 20, maxBytesPerIP: 2048))
        defer { n.remove() }
        let c = try await n.client()
        let big = "SELECT * FROM system.local WHERE key = '" + String(repeating: "x", count: 4000) + "'"
        let e = try await c.error(big)
        #expect(e.code == 0x1001)
        #expect(e.message.contains("native_transport_max_concurrent_requests_in_bytes_per_ip"))
        // Small requests still run, and nothing stays counted.
        _ = try await c.rows("SELECT key FROM system.local")
        #expect(n.server.limits.inFlight.requests == 0 && n.server.limits.inFlight.bytes == 0)
        await c.close()
        try await n.stop()
    }

    @Test func pipelinedRequestsOverTheNodeLimitAreOverloadedNotQueued() async throws {
        let n = try await RunningNode(limits: InFlightLimitSettings(maxRequests: 1))
        defer { n.remove() }
        let c = try await n.client()
        let requests = (0..<50).map { _ in CQLRequest.query("SELECT key FROM system.local", CQLQueryParameters()) }
        let responses = try await c.sendPipelined(requests)
        var ok = 0, overloaded = 0
        for r in responses {
            switch r {
            case .result(.rows): ok += 1
            case .error(let e) where e.code == 0x1001: overloaded += 1
            default: Issue.record("unexpected \(r)")
            }
        }
        #expect(ok >= 1 && overloaded >= 1 && ok + overloaded == 50)
        #expect(n.server.limits.inFlight.requests == 0)
        _ = try await c.rows("SELECT key FROM system.local")
        await c.close()
        try await n.stop()
    }

    @Test func configKeysSetTheBudgets() throws {
        let c = try ServerConfig.parse(yaml: """
            native_transport_max_concurrent_requests: 10
            native_transport_max_concurrent_requests_in_bytes: 8MiB
            native_transport_max_concurrent_requests_in_bytes_per_ip: 1MiB
            """)
        #expect(c.inFlightLimits == InFlightLimitSettings(maxRequests: 10, maxBytes: 8 << 20, maxBytesPerIP: 1 << 20))
        #expect(c.warnings.isEmpty)
    }
}
