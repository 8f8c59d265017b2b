import Foundation
import HyadesProtocol
import HyadesService
import HyadesStorage
import NIOCore
import NIOPosix

/// The query layer of one client connection: runs requests on the thread pool (query
/// execution does disk I/O and must never block the event loop), answers on the
/// request's stream, and keeps the connection's session keyspace.
///
/// Requests are batched per socket read: every request decoded from one read (a driver
/// pipelining many prepared statements sends dozens per read) goes to the pool in one
/// hop, runs there one after the other, and comes back in one hop whose responses are
/// written and flushed once. One hop each way per read instead of per request is what
/// makes small requests cheap; large batches are split in chunks so both cores work.
final class CQLQueryHandler: ChannelInboundHandler {
    typealias InboundIn = CQLRequestEnvelope
    typealias OutboundOut = CQLResponseEnvelope

    /// Requests per pool task at most: big enough to amortise the hops.
    static let chunkSize = 32
    /// The pool's threads (NIOThreadPool.singleton has one per core): a read's requests
    /// are spread over at least this many tasks, so that a few heavy requests arriving
    /// together (a client paging 16 token ranges on one connection) run on every core
    /// instead of one after the other in one task.
    static let poolThreads = System.coreCount

    /// Requests per pool task for a read that decoded `pending` requests, on a pool of
    /// `threads` threads. A coordinating node's pool is large (its requests wait for
    /// replicas): there each request gets its own task, so waits overlap.
    static func chunk(of pending: Int, threads: Int = poolThreads) -> Int {
        min(chunkSize, max(1, (pending + threads - 1) / threads))
    }

    /// The request pool's threads (one per core, or `native_transport_max_threads`).
    private let threads: Int

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
    /// Requests of the current socket read, dispatched at channelReadComplete.
    private var batch: [CQLRequestEnvelope] = []

    init(processor: QueryProcessor, pool: NIOThreadPool, events: EventRegistry, tracker: RequestTracker,
         threads: Int = CQLQueryHandler.poolThreads) {
        self.threads = threads
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
            let known = types.filter { ["SCHEMA_CHANGE", "TOPOLOGY_CHANGE", "STATUS_CHANGE"].contains($0) }
            if !known.isEmpty { events.register(context.channel, types: known) }
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
        if keyspaceChangeInFlight {
            waiting.append(envelope)
        } else {
            batch.append(envelope)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !batch.isEmpty {
            var requests: [CQLRequestEnvelope] = []
            swap(&requests, &batch)
            dispatch(requests, context: context)
        }
        context.fireChannelReadComplete()
    }

    /// Whether a request may change the session keyspace (a USE statement).
    static func changesKeyspace(_ request: CQLRequest) -> Bool {
        guard case .query(let text, _) = request else { return false }
        let head = text.utf8.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }.prefix(4)
        return head.count == 4 && String(decoding: head.prefix(3), as: UTF8.self).lowercased() == "use"
            && (head.last == 0x20 || head.last == 0x09 || head.last == 0x0A || head.last == 0x22)
    }

    /// Sends `requests` to the pool: in chunks, except that a USE and everything after it
    /// run in one task in order, and later requests wait until it is done.
    private func dispatch(_ requests: [CQLRequestEnvelope], context: ChannelHandlerContext) {
        var start = 0
        let size = Self.chunk(of: requests.count, threads: threads)
        while start < requests.count && !keyspaceChangeInFlight {
            var end = min(start + size, requests.count)
            if let use = requests[start..<requests.count].firstIndex(where: { Self.changesKeyspace($0.request) }), use < end {
                // Everything from the USE on runs in this task, in order, with the new keyspace.
                end = requests.count
                keyspaceChangeInFlight = true
            }
            let chunk = Array(requests[start..<end])
            if !keyspaceChangeInFlight && Self.inlineEnabled && chunk.allSatisfy({ runsInline($0.request) }) {
                runInline(chunk, context: context)
            } else {
                run(chunk, changesKeyspace: keyspaceChangeInFlight, context: context)
            }
            start = end
        }
        if start < requests.count { waiting.append(contentsOf: requests[start...]) }
    }

    /// HYADES_INLINE_REQUESTS=0 sends every request through the pool (for comparison).
    static let inlineEnabled = ProcessInfo.processInfo.environment["HYADES_INLINE_REQUESTS"] != "0"

    /// An EXECUTE the processor says is short and cannot block (see
    /// `QueryProcessor.runsInline`): run on the event loop, no pool hop.
    private func runsInline(_ request: CQLRequest) -> Bool {
        guard case .execute(let id, let params) = request, params.valueNames == nil else { return false }
        return processor.runsInline(preparedID: id)
    }

    private func runInline(_ requests: [CQLRequestEnvelope], context: ChannelHandlerContext) {
        let allocator = context.channel.allocator
        tracker.begin(requests.count)
        let outcomes = requests.map { Self.execute($0.request, state: state, processor: processor, allocator: allocator) }
        Self.answer(outcomes, to: requests, channel: context.channel, processor: processor, tracker: tracker, events: nil,
                    pool: pool, session: state)
    }

    /// Writes the responses of `outcomes` (on the channel's event loop): those of requests
    /// that wrote nothing at once, the others once their writes may be acknowledged. The
    /// writes of all of them are made acknowledgeable together: one write syscall
    /// (periodic mode), or one wait for the sync thread's fsync that holds no thread
    /// (batch, group), after which the answers are written from the event loop.
    static func answer(_ outcomes: [Outcome], to requests: [CQLRequestEnvelope], channel: any Channel,
                       processor: QueryProcessor, tracker: RequestTracker, events: EventRegistry?,
                       pool: NIOThreadPool, session: ClientState) {
        // Requests deferred for other replicas' data: fetched (no thread waits), then run
        // again on the pool with it, then answered like any other.
        var outcomes = outcomes
        var requests = requests
        for i in outcomes.indices.reversed() {
            guard let prefetch = outcomes[i].deferral else { continue }
            let request = requests[i]
            let session = outcomes[i].session ?? session
            outcomes.remove(at: i)
            requests.remove(at: i)
            let allocator = channel.allocator
            processor.fetch(prefetch) { error in
                if let error {
                    let failed = Outcome(response: .error(ResultMapping.error(error)), keyspace: nil, event: nil)
                    channel.eventLoop.execute {
                        answer([failed], to: [request], channel: channel, processor: processor, tracker: tracker,
                               events: events, pool: pool, session: session)
                    }
                    return
                }
                pool.runIfActive(eventLoop: channel.eventLoop) {
                    execute(request.request, state: session, processor: processor, allocator: allocator, prefetch: prefetch)
                }.whenComplete { result in
                    let outcome = (try? result.get())
                        ?? Outcome(response: .error(CQLErrorMessage(.serverError, "request pool stopped")), keyspace: nil, event: nil)
                    answer([outcome], to: [request], channel: channel, processor: processor, tracker: tracker,
                           events: events, pool: pool, session: session)
                }
            }
        }
        var requirement: CommitLogAppend?
        var deferred: [Int] = []
        var immediate: [Int] = []
        for (i, o) in outcomes.enumerated() {
            if let r = o.acknowledgement {
                requirement = CommitLogAppend(position: max(requirement?.position ?? r.position, r.position),
                                              needsSync: (requirement?.needsSync ?? false) || r.needsSync)
            }
            if o.acknowledgement != nil || !o.replicaWaits.isEmpty {
                deferred.append(i)
            } else {
                immediate.append(i)
            }
        }
        if !immediate.isEmpty {
            let done = channel.eventLoop.makePromise(of: Void.self)
            let n = immediate.count
            done.futureResult.whenComplete { _ in tracker.end(n) }
            for (k, i) in immediate.enumerated() {
                channel.write(CQLResponseEnvelope(stream: requests[i].stream, response: outcomes[i].response,
                                                  warnings: outcomes[i].warnings),
                              promise: k == n - 1 ? done : nil)
                if let event = outcomes[i].event { events?.broadcast(.schemaChange(event)) }
            }
        }
        guard !deferred.isEmpty else {
            channel.flush()
            return
        }
        let streams = deferred.map { requests[$0].stream }
        let responses = deferred.map { outcomes[$0].response }
        let warnings = deferred.map { outcomes[$0].warnings }
        let waits = deferred.map { outcomes[$0].replicaWaits }
        let eventLoop = channel.eventLoop
        // Runs once the local commit log allows it: on this thread right after a write
        // syscall (periodic), or on the sync thread after the fsync (batch, group). Answers
        // that also wait for replicas (coordinated writes) go out as each completes.
        let localDone: @Sendable (QueryError?) -> Void = { error in
            // Answers waiting only for the commit log: written together, one flush.
            let ready = streams.indices.filter { waits[$0].isEmpty || error != nil }
            if !ready.isEmpty {
                let write: @Sendable () -> Void = {
                    let done = eventLoop.makePromise(of: Void.self)
                    done.futureResult.whenComplete { _ in tracker.end(ready.count) }
                    for (k, i) in ready.enumerated() {
                        let response = error.map { CQLResponse.error(ResultMapping.error($0)) } ?? responses[i]
                        channel.write(CQLResponseEnvelope(stream: streams[i], response: response, warnings: warnings[i]),
                                      promise: k == ready.count - 1 ? done : nil)
                    }
                    channel.flush()
                }
                if eventLoop.inEventLoop { write() } else { eventLoop.execute(write) }
            }
            guard error == nil else { return }
            for i in streams.indices where !waits[i].isEmpty {
                ReplicaWait.all(waits[i]) { replicaError in
                    let send: @Sendable () -> Void = {
                        let response = replicaError.map { CQLResponse.error(ResultMapping.error($0)) } ?? responses[i]
                        let done = eventLoop.makePromise(of: Void.self)
                        done.futureResult.whenComplete { _ in tracker.end(1) }
                        channel.writeAndFlush(CQLResponseEnvelope(stream: streams[i], response: response, warnings: warnings[i]),
                                              promise: done)
                    }
                    if eventLoop.inEventLoop { send() } else { eventLoop.execute(send) }
                }
            }
        }
        if let requirement {
            processor.whenAcknowledgeable(requirement, localDone)
        } else {
            localDone(nil)
        }
        // The immediate answers (the callbacks flush their own).
        channel.flush()
    }

    private func run(_ requests: [CQLRequestEnvelope], changesKeyspace: Bool, context: ChannelHandlerContext) {
        let session = state
        let processor = self.processor
        let allocator = context.channel.allocator
        let events = self.events
        let tracker = self.tracker
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let contextBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        tracker.begin(requests.count)
        pool.runIfActive(eventLoop: context.eventLoop) { () -> [Outcome] in
            var state = session
            var outcomes: [Outcome] = []
            outcomes.reserveCapacity(requests.count)
            for r in requests {
                let o = Self.execute(r.request, state: state, processor: processor, allocator: allocator)
                if let ks = o.keyspace { state.keyspace = ks }
                outcomes.append(o)
            }
            return outcomes
        }.whenComplete { result in
            let handler = bound.value
            let context = contextBound.value
            let outcomes: [Outcome]
            switch result {
            case .success(let o): outcomes = o
            case .failure(let error):
                outcomes = requests.map { _ in
                    Outcome(response: .error(CQLErrorMessage(.serverError, "\(error)")), keyspace: nil, event: nil)
                }
            }
            // Through the channel (not the context): still safe if the connection closed
            // meanwhile; the writes then fail and the count is released all the same.
            for o in outcomes { if let ks = o.keyspace { handler.state.keyspace = ks } }
            Self.answer(outcomes, to: requests, channel: context.channel, processor: processor, tracker: tracker, events: events,
                        pool: handler.pool, session: session)
            if changesKeyspace { handler.keyspaceChangeFinished(context: context) }
        }
    }

    private func keyspaceChangeFinished(context: ChannelHandlerContext) {
        keyspaceChangeInFlight = false
        if waiting.isEmpty { return }
        var next: [CQLRequestEnvelope] = []
        swap(&next, &waiting)
        dispatch(next, context: context)
    }

    struct Outcome: Sendable {
        var response: CQLResponse
        /// The new session keyspace after USE.
        var keyspace: String?
        /// The schema change to announce to registered connections.
        var event: CQLSchemaChange?
        /// What the request's writes must reach before `response` may be sent.
        var acknowledgement: CommitLogAppend? = nil
        /// Client warnings for the response (flag 0x08).
        var warnings: [String] = []
        /// Coordinated writes whose replicas must acknowledge before `response` is sent.
        var replicaWaits: [ReplicaWait] = []
        /// The request needs other replicas' partitions first: fetched, then run again.
        var deferral: ReplicaPrefetch? = nil
        /// The session the deferred request ran in (its keyspace), for the re-run.
        var session: ClientState? = nil
    }

    /// Runs on the thread pool.
    static func execute(_ request: CQLRequest, state: ClientState, processor: QueryProcessor,
                        allocator: ByteBufferAllocator, prefetch: ReplicaPrefetch? = nil) -> Outcome {
        // Point reads that need other replicas are deferred, not waited for (see
        // `ReplicaPrefetch`); on a re-run the fetched partitions come along.
        var state = state
        let acknowledgement = WriteAcknowledgement()
        // Cassandra's ClientWarn for this request (batch size, aggregation, tombstones...).
        let warnings = ClientWarnings()
        do throws(QueryError) {
            let result: QueryResult
            var skipMetadata = false
            switch request {
            case .query(let text, let params):
                skipMetadata = params.skipMetadata
                var options = ResultMapping.options(params)
                options.acknowledgement = acknowledgement
                options.warnings = warnings
                options.defersReads = true
                options.prefetch = prefetch
                result = try processor.execute(text, state: &state, values: ResultMapping.boundValues(params.values),
                                               options: options)
            case .execute(let id, let params):
                skipMetadata = params.skipMetadata
                var options = ResultMapping.options(params)
                options.acknowledgement = acknowledgement
                options.warnings = warnings
                options.defersReads = true
                options.prefetch = prefetch
                result = try processor.executePrepared(id: id, state: &state, values: ResultMapping.boundValues(params.values),
                                                       options: options)
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
                var options = QueryOptions(consistency: batch.consistency)
                options.timestamp = batch.defaultTimestamp
                options.serialConsistency = batch.serialConsistency
                options.batchType = BatchType(rawValue: batch.kind.rawValue) ?? .logged
                options.acknowledgement = acknowledgement
                options.warnings = warnings
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
            return Outcome(response: .result(cql), keyspace: keyspace, event: event,
                           acknowledgement: acknowledgement.requirement, warnings: warnings.take(),
                           replicaWaits: acknowledgement.replicaWaits)
        } catch where error.code == .deferred {
            return Outcome(response: .result(.void), keyspace: nil, event: nil, deferral: error.deferral, session: state)
        } catch {
            // Every QueryProcessor entry point throws QueryError (typed throws). A request
            // that failed after some of its writes (a counter batch) still waits for them.
            return Outcome(response: .error(ResultMapping.error(error)), keyspace: nil, event: nil,
                           acknowledgement: acknowledgement.requirement, warnings: warnings.take(),
                           replicaWaits: acknowledgement.replicaWaits)
        }
    }
}
