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
    /// A USE is running: requests that arrive meanwhile wait for it, so that a client
    /// pipelining `USE ks` and a query gets the query run in `ks`.
    private var keyspaceChangeInFlight = false
    private var waiting: [CQLRequestEnvelope] = []

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

        dispatch(envelope, context: context)
    }

    /// Whether a request may change the session keyspace (a USE statement).
    static func changesKeyspace(_ request: CQLRequest) -> Bool {
        guard case .query(let text, _) = request else { return false }
        let head = text.utf8.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }.prefix(4)
        return head.count == 4 && String(decoding: head.prefix(3), as: UTF8.self).lowercased() == "use"
            && (head.last == 0x20 || head.last == 0x09 || head.last == 0x0A || head.last == 0x22)
    }

    private func dispatch(_ envelope: CQLRequestEnvelope, context: ChannelHandlerContext) {
        if keyspaceChangeInFlight {
            waiting.append(envelope)
            return
        }
        let stream = envelope.stream
        let request = envelope.request
        let isUse = Self.changesKeyspace(request)
        if isUse { keyspaceChangeInFlight = true }
        let session = state
        let processor = self.processor
        let allocator = context.channel.allocator
        let channel = context.channel
        let events = self.events
        let tracker = self.tracker
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let contextBound = NIOLoopBound(context, eventLoop: context.eventLoop)
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
            let handler = bound.value
            if let ks = outcome.keyspace { handler.state.keyspace = ks }
            channel.writeAndFlush(CQLResponseEnvelope(stream: stream, response: outcome.response)).whenComplete { _ in
                tracker.end()
            }
            if let event = outcome.event { events.broadcast(.schemaChange(event)) }
            if isUse { handler.keyspaceChangeFinished(context: contextBound.value) }
        }
    }

    private func keyspaceChangeFinished(context: ChannelHandlerContext) {
        keyspaceChangeInFlight = false
        while !waiting.isEmpty && !keyspaceChangeInFlight {
            dispatch(waiting.removeFirst(), context: context)
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
        do throws(QueryError) {
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
        } catch {
            // Every QueryProcessor entry point throws QueryError (typed throws).
            return Outcome(response: .error(ResultMapping.error(error)), keyspace: nil, event: nil)
        }
    }
}
