import HyadesProtocol
import NIOCore

/// Last handler of a client pipeline: gives each request a free stream id, matches
/// answers back by stream, hands EVENT frames (stream -1) to a callback, fails requests
/// that time out, and batches flushes (one flush per event-loop tick or per read burst,
/// so a thousand pipelined requests cost one `writev`).
///
/// All state is confined to the channel's event loop; `send` may be called from anywhere.
final class CQLRequestMultiplexer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = CQLResponseEnvelope
    typealias OutboundOut = CQLRequestEnvelope

    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var streams = StreamTable()
    private var inRead = false
    private var flushNeeded = false
    private var flushScheduled = false
    private var closedReason: String?
    private var sweeper: RepeatedTask?
    let onEvent: (@Sendable (CQLEvent) -> Void)?
    let maxInFlight: Int
    /// Requests beyond `maxInFlight`, sent in order as answers free slots.
    private var waiting = CircularBuffer<Waiting>()

    struct Waiting {
        var request: CQLRequest
        var promise: EventLoopPromise<CQLResponseEnvelope>
        var timeoutNanos: UInt64
    }

    init(eventLoop: any EventLoop, maxInFlight: Int = 2048, onEvent: (@Sendable (CQLEvent) -> Void)?) {
        self.eventLoop = eventLoop
        self.maxInFlight = maxInFlight
        self.onEvent = onEvent
    }

    var inFlight: Int { streams.inFlight }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // Timeouts are checked by a sweep, not a timer per request: scheduling and
        // cancelling a task per request would cost more than the request itself.
        sweeper = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(50)) { [weak self] _ in
            self?.sweep()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweeper?.cancel()
        self.context = nil
    }

    /// Sends `request`; the future fails with `CQLClientError`. `timeoutNanos` 0 = wait forever.
    func send(_ request: CQLRequest, timeoutNanos: UInt64) -> EventLoopFuture<CQLResponseEnvelope> {
        let promise = eventLoop.makePromise(of: CQLResponseEnvelope.self)
        if eventLoop.inEventLoop {
            sendOnLoop(request, promise: promise, timeoutNanos: timeoutNanos)
        } else {
            eventLoop.execute { self.sendOnLoop(request, promise: promise, timeoutNanos: timeoutNanos) }
        }
        return promise.futureResult
    }

    private func sendOnLoop(_ request: CQLRequest, promise: EventLoopPromise<CQLResponseEnvelope>, timeoutNanos: UInt64) {
        guard let context, closedReason == nil else {
            promise.fail(CQLClientError.connectionClosed(closedReason ?? "connection closed"))
            return
        }
        if streams.inFlight >= maxInFlight {
            waiting.append(Waiting(request: request, promise: promise, timeoutNanos: timeoutNanos))
            return
        }
        let deadline = timeoutNanos == 0 ? 0 : NIODeadline.now().uptimeNanoseconds &+ timeoutNanos
        guard let stream = streams.acquire(promise, deadline: deadline) else {
            promise.fail(CQLClientError.tooManyInFlight)
            return
        }
        context.write(wrapOutboundOut(CQLRequestEnvelope(stream: stream, request: request)), promise: nil)
        if inRead {
            flushNeeded = true   // flushed once in channelReadComplete
        } else if !flushScheduled {
            flushScheduled = true
            eventLoop.execute { self.flushNow() }
        }
    }

    private func flushNow() {
        flushScheduled = false
        flushNeeded = false
        context?.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inRead = true
        let envelope = unwrapInboundIn(data)
        if envelope.stream < 0 {
            if case .event(let e) = envelope.response { onEvent?(e) }
            return
        }
        guard let promise = streams.complete(envelope.stream) else { return }
        if case .error(let e) = envelope.response {
            promise.fail(CQLClientError.server(e))
        } else {
            promise.succeed(envelope)
        }
        sendWaiting()
    }

    private func sendWaiting() {
        while streams.inFlight < maxInFlight, let w = waiting.popFirst() {
            sendOnLoop(w.request, promise: w.promise, timeoutNanos: w.timeoutNanos)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        if flushNeeded {
            flushNeeded = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A frame we cannot decode leaves the byte stream unaligned: nothing after it can be trusted.
        failAll("connection failed: \(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(closedReason ?? "connection closed by the server")
        context.fireChannelInactive()
    }

    private func failAll(_ reason: String) {
        if closedReason == nil { closedReason = reason }
        for p in streams.drain() { p.fail(CQLClientError.connectionClosed(reason)) }
        while let w = waiting.popFirst() { w.promise.fail(CQLClientError.connectionClosed(reason)) }
    }

    private func sweep() {
        guard streams.inFlight > 0 || !waiting.isEmpty else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let expired = streams.expire(now: now)
        for p in expired { p.fail(CQLClientError.timeout) }
        if !expired.isEmpty { sendWaiting() }
    }
}
