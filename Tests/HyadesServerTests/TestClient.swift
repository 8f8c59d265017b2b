import Foundation
import HyadesProtocol
import NIOCore
import NIOPosix

/// Collects responses by stream and events (stream -1) for `TestClient`.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = CQLResponseEnvelope
    // Only touched on the channel's event loop.
    var pending: [Int16: EventLoopPromise<CQLResponse>] = [:]
    var events: [CQLEvent] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if envelope.stream == -1, case .event(let e) = envelope.response {
            events.append(e)
            return
        }
        pending.removeValue(forKey: envelope.stream)?.succeed(envelope.response)
    }

    func channelInactive(context: ChannelHandlerContext) {
        for p in pending.values { p.fail(ChannelError.ioOnClosedChannel) }
        pending = [:]
        context.fireChannelInactive()
    }
}

struct UnexpectedResponse: Error, CustomStringConvertible {
    var response: CQLResponse
    var description: String { "unexpected response \(response)" }
}

/// A minimal native-protocol client on HyadesProtocol's client-side codec.
final class TestClient: @unchecked Sendable {
    let channel: any Channel
    let collector: ResponseCollector
    private var nextStream: Int16 = 0

    init(host: String, port: Int) async throws {
        let collector = ResponseCollector()
        self.collector = collector
        channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addCQLClientHandlers()
                    try ch.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port).get()
    }

    /// Connects and sends STARTUP (optionally with compression).
    static func connect(_ address: SocketAddress, compression: String? = nil) async throws -> TestClient {
        let c = try await TestClient(host: address.ipAddress!, port: address.port!)
        var options = ["CQL_VERSION": "3.0.0"]
        if let compression { options["COMPRESSION"] = compression }
        let r = try await c.send(.startup(options))
        guard case .ready = r else { throw UnexpectedResponse(response: r) }
        return c
    }

    func send(_ request: CQLRequest) async throws -> CQLResponse {
        nextStream &+= 1
        if nextStream < 0 { nextStream = 1 }
        let stream = nextStream
        let channel = self.channel
        let collector = self.collector
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<CQLResponse> in
            let p = channel.eventLoop.makePromise(of: CQLResponse.self)
            collector.pending[stream] = p
            channel.writeAndFlush(CQLRequestEnvelope(stream: stream, request: request)).cascadeFailure(to: p)
            return p.futureResult
        }.get()
    }

    /// Writes all requests at once, without waiting for answers in between.
    func sendPipelined(_ requests: [CQLRequest]) async throws -> [CQLResponse] {
        let base = Int16(1000)
        let channel = self.channel
        let collector = self.collector
        let futures = try await channel.eventLoop.submit { () -> [EventLoopFuture<CQLResponse>] in
            var out: [EventLoopFuture<CQLResponse>] = []
            for (i, r) in requests.enumerated() {
                let stream = base + Int16(i)
                let p = channel.eventLoop.makePromise(of: CQLResponse.self)
                collector.pending[stream] = p
                channel.write(CQLRequestEnvelope(stream: stream, request: r)).cascadeFailure(to: p)
                out.append(p.futureResult)
            }
            channel.flush()
            return out
        }.get()
        var responses: [CQLResponse] = []
        for f in futures { responses.append(try await f.get()) }
        return responses
    }

    func query(_ cql: String, _ params: CQLQueryParameters = CQLQueryParameters()) async throws -> CQLResult {
        let r = try await send(.query(cql, params))
        guard case .result(let result) = r else { throw UnexpectedResponse(response: r) }
        return result
    }

    /// Rows of a SELECT, decoded.
    func rows(_ cql: String, _ params: CQLQueryParameters = CQLQueryParameters()) async throws -> (rows: [[ByteBuffer?]], paging: ByteBuffer?) {
        let r = try await query(cql, params)
        guard case .rows(let rows) = r else { throw UnexpectedResponse(response: .result(r)) }
        return (try rows.decodedRows(), rows.metadata.pagingState)
    }

    /// The error a request gets (fails the test's expectation by throwing if none).
    func error(_ cql: String) async throws -> CQLErrorMessage {
        let r = try await send(.query(cql, CQLQueryParameters()))
        guard case .error(let e) = r else { throw UnexpectedResponse(response: r) }
        return e
    }

    func events() async throws -> [CQLEvent] {
        let collector = self.collector
        return try await channel.eventLoop.submit { collector.events }.get()
    }

    func close() async { try? await channel.close() }
}

extension ByteBuffer {
    var int32: Int32? { getInteger(at: readerIndex, as: Int32.self) }
    var int64: Int64? { getInteger(at: readerIndex, as: Int64.self) }
    var text: String { String(buffer: self) }

    /// Elements of a serialized list or set of text.
    var textCollection: [String] {
        var b = self
        guard let n = b.readInteger(as: Int32.self) else { return [] }
        var out: [String] = []
        for _ in 0..<n {
            guard let len = b.readInteger(as: Int32.self), let s = b.readString(length: Int(len)) else { break }
            out.append(s)
        }
        return out
    }
}

func int32Value(_ v: Int32) -> CQLValue {
    var b = ByteBuffer()
    b.writeInteger(v)
    return .bytes(b)
}

func textValue(_ s: String) -> CQLValue { .bytes(ByteBuffer(string: s)) }
