import HyadesProtocol
import HyadesService
import NIOCore
import NIOPosix

/// The query layer of one client connection: runs requests on the thread pool (query
/// execution does disk I/O and must never block the event loop), answers on the
/// request's stream, and keeps the connection's session keyspace.
final class CQLQueryHandler: ChannelInboundHandler {
    typealias InboundIn = CQLRequestEnvelope
    typealias OutboundOut = CQLResponseEnvelope

    private let processor: QueryProcessor
    private let pool: NIOThreadPool
    private let events: EventRegistry
    private let tracker: RequestTracker
    /// Session state, only touched on the event loop; requests run with a copy.
    private var state = ClientState()

    init(processor: QueryProcessor, pool: NIOThreadPool, events: EventRegistry, tracker: RequestTracker) {
        self.processor = processor
        self.pool = pool
        self.events = events
        self.tracker = tracker
    }

    func channelInactive(context: ChannelHandlerContext) {
        events.unregister(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let stream = envelope.stream
        switch envelope.request {
        case .register(let types):
            if types.contains("SCHEMA_CHANGE") { events.register(context.channel) }
            context.write(wrapOutboundOut(CQLResponseEnvelope(stream: stream, response: .ready)), promise: nil)
            return
        case .startup, .options, .authResponse:
            // The connection handler answers these; anything reaching us is unexpected.
            let e = CQLErrorMessage(.protocolError, "Unexpected message \(envelope.request.opcode)")
            context.write(wrapOutboundOut(CQLResponseEnvelope(stream: stream, response: .error(e))), promise: nil)
            return
        default:
            break
        }

        let request = envelope.request
        let session = state
        let processor = self.processor
        let allocator = context.channel.allocator
        let channel = context.channel
        let events = self.events
        let tracker = self.tracker
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        tracker.begin()
        pool.runIfActive(eventLoop: context.eventLoop) { () -> Outcome in
            Self.execute(request, state: session, processor: processor, allocator: allocator)
        }.whenComplete { result in
            let outcome: Outcome
            switch result {
            case .success(let o): outcome = o
            case .failure(let error):
                outcome = Outcome(response: .error(CQLErrorMessage(.serverError, "\(error)")), keyspace: nil, event: nil)
            }
            if let ks = outcome.keyspace { bound.value.state.keyspace = ks }
            channel.writeAndFlush(CQLResponseEnvelope(stream: stream, response: outcome.response)).whenComplete { _ in
                tracker.end()
            }
            if let event = outcome.event { events.broadcast(.schemaChange(event)) }
        }
    }

    struct Outcome: Sendable {
        var response: CQLResponse
        /// The new session keyspace after USE.
        var keyspace: String?
        /// The schema change to announce to registered connections.
        var event: CQLSchemaChange?
    }

    /// Runs on the thread pool.
    static func execute(_ request: CQLRequest, state: ClientState, processor: QueryProcessor,
                        allocator: ByteBufferAllocator) -> Outcome {
        var state = state
        do {
            let result: QueryResult
            var skipMetadata = false
            switch request {
            case .query(let text, let params):
                skipMetadata = params.skipMetadata
                result = try processor.execute(text, state: &state, values: ResultMapping.boundValues(params.values),
                                               options: ResultMapping.options(params))
            case .execute(let id, let params):
                skipMetadata = params.skipMetadata
                result = try processor.executePrepared(id: id, state: &state, values: ResultMapping.boundValues(params.values),
                                                       options: ResultMapping.options(params))
            case .prepare(let text):
                let p = try processor.prepare(text, keyspace: state.keyspace)
                return Outcome(response: .result(ResultMapping.prepared(p)), keyspace: nil, event: nil)
            case .batch(let batch):
                let children: [BatchChild] = batch.statements.map { s in
                    let values = ResultMapping.boundValues(s.values)
                    switch s.target {
                    case .query(let q): return .query(q, values: values)
                    case .prepared(let id): return .prepared(id: id, values: values)
                    }
                }
                var options = QueryOptions()
                options.timestamp = batch.defaultTimestamp
                result = try processor.executeBatch(children, state: &state, options: options)
            default:
                return Outcome(response: .error(CQLErrorMessage(.protocolError, "Unexpected message \(request.opcode)")),
                               keyspace: nil, event: nil)
            }
            let cql = ResultMapping.result(result, skipMetadata: skipMetadata, allocator: allocator)
            var keyspace: String?
            var event: CQLSchemaChange?
            if case .setKeyspace(let ks) = result { keyspace = ks }
            if case .schemaChange(let sc) = cql { event = sc }
            return Outcome(response: .result(cql), keyspace: keyspace, event: event)
        } catch let e as QueryError {
            return Outcome(response: .error(ResultMapping.error(e)), keyspace: nil, event: nil)
        } catch {
            return Outcome(response: .error(CQLErrorMessage(.serverError, "\(error)")), keyspace: nil, event: nil)
        }
    }
}
