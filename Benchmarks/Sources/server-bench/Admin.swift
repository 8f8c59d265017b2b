import HyadesProtocol
import NIOCore
import NIOPosix

/// A plain request/response connection through the protocol's client handlers: setup
/// (DDL, PREPARE) and the paged scans, where decoding each page is the client's real work.
final class AdminConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = CQLResponseEnvelope
    var pending: [Int16: EventLoopPromise<CQLResponse>] = [:]
    var channel: (any Channel)!
    var nextStream: Int16 = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let e = unwrapInboundIn(data)
        pending.removeValue(forKey: e.stream)?.succeed(e.response)
    }

    static func connect(_ address: SocketAddress, group: any EventLoopGroup) async throws -> AdminConnection {
        let handler = AdminConnection()
        handler.channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addCQLClientHandlers()
                    try ch.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(to: address).get()
        _ = try await handler.send(.startup(["CQL_VERSION": "3.0.0"]))
        return handler
    }

    func send(_ request: CQLRequest) async throws -> CQLResponse {
        let channel = self.channel!
        return try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<CQLResponse> in
            self.nextStream = self.nextStream == Int16.max ? 1 : self.nextStream + 1
            let p = channel.eventLoop.makePromise(of: CQLResponse.self)
            self.pending[self.nextStream] = p
            channel.writeAndFlush(CQLRequestEnvelope(stream: self.nextStream, request: request)).cascadeFailure(to: p)
            return p.futureResult
        }.get()
    }

    @discardableResult
    func query(_ cql: String) async throws -> CQLResponse {
        let r = try await send(.query(cql, CQLQueryParameters()))
        if case .error(let e) = r { throw BenchError("\(cql): \(e.message)") }
        return r
    }

    func prepare(_ cql: String) async throws -> [UInt8] {
        guard case .result(.prepared(let p)) = try await send(.prepare(cql)) else { throw BenchError("prepare failed: \(cql)") }
        return p.id
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
