import Foundation
import HyadesCore
import HyadesProtocol
import HyadesService
import NIOCore

/// Request tracing (frame flag 0x02): a request that asks for it gets a trace session id
/// in its response frame, and the session — what ran, for whom, when, how long — goes to
/// the processor's `TraceStore`, which `system_traces.sessions` / `events` show. This is
/// what cqlsh's `TRACING ON` and the drivers' `get_query_trace()` read. The events are
/// coarse (request received, response sent): the node does not instrument its read and
/// write paths per step.
final class QueryTracingHandler: ChannelDuplexHandler {
    typealias InboundIn = CQLRequestEnvelope
    typealias InboundOut = CQLRequestEnvelope
    typealias OutboundIn = CQLResponseEnvelope
    typealias OutboundOut = CQLResponseEnvelope

    private struct Pending {
        var sessionID: [UInt8]
        var startedAtMicros: Int64
        var startNanos: UInt64
        var command: String
        var request: String
        var parameters: [String: String]
    }

    private let traces: TraceStore
    private let coordinator: [UInt8]
    private var pending: [Int16: Pending] = [:]

    init(traces: TraceStore, coordinator: [UInt8]) {
        self.traces = traces
        self.coordinator = coordinator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if envelope.tracing, envelope.stream >= 0 {
            let micros = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let (command, request, parameters) = Self.describe(envelope.request)
            pending[envelope.stream] = Pending(sessionID: TraceStore.newSessionID(micros: micros), startedAtMicros: micros,
                                               startNanos: DispatchTime.now().uptimeNanoseconds, command: command,
                                               request: request, parameters: parameters)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !pending.isEmpty else {
            context.write(data, promise: promise)
            return
        }
        var envelope = unwrapOutboundIn(data)
        guard envelope.stream >= 0, let p = pending.removeValue(forKey: envelope.stream) else {
            context.write(data, promise: promise)
            return
        }
        let elapsed = Int32(clamping: (DispatchTime.now().uptimeNanoseconds &- p.startNanos) / 1000)
        let client = Self.addressBytes(context.channel.remoteAddress)
        let thread = "Native-Transport-Requests"
        traces.record(TraceSession(
            sessionID: p.sessionID, client: client, coordinator: coordinator, command: p.command, request: p.request,
            parameters: p.parameters, startedAtMillis: p.startedAtMicros / 1000, durationMicros: max(elapsed, 1),
            events: [
                TraceEvent(eventID: TraceStore.newSessionID(micros: p.startedAtMicros), activity: "\(p.request) received",
                           sourceElapsedMicros: 0, thread: thread),
                TraceEvent(eventID: TraceStore.newSessionID(micros: p.startedAtMicros + Int64(elapsed)),
                           activity: Self.outcome(envelope.response), sourceElapsedMicros: elapsed, thread: thread),
            ]))
        envelope.tracingID = p.sessionID
        context.write(wrapOutboundOut(envelope), promise: promise)
    }

    static func describe(_ r: CQLRequest) -> (String, String, [String: String]) {
        switch r {
        case .query(let q, let params):
            return ("QUERY", "Execute CQL3 query", ["query": q, "consistency_level": params.consistency.description])
        case .prepare(let q):
            return ("QUERY", "Preparing CQL3 query", ["query": q])
        case .execute(let id, let params):
            return ("QUERY", "Execute CQL3 prepared query",
                    ["prepared_id": id.map { String(format: "%02x", $0) }.joined(), "consistency_level": params.consistency.description])
        case .batch(let b):
            return ("QUERY", "Execute batch of CQL3 queries", ["statements": "\(b.statements.count)"])
        default:
            return ("QUERY", "\(r.opcode)", [:])
        }
    }


    static func outcome(_ r: CQLResponse) -> String {
        if case .error(let e) = r { return "Request failed: \(e.message)" }
        return "Request complete"
    }

    static func addressBytes(_ a: SocketAddress?) -> [UInt8] {
        guard let a else { return [0, 0, 0, 0] }
        switch a {
        case .v4(let v4): return withUnsafeBytes(of: v4.address.sin_addr.s_addr) { Array($0) }
        case .v6(let v6): return withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        default: return [0, 0, 0, 0]
        }
    }
}
