import HyadesProtocol
import NIOCore

/// Last handler of a client pipeline (after `ByteToMessageHandler(CQLFrameDecoder(role: .client))`):
/// gives each request a free stream id, encodes it, matches answers back by stream, hands
/// EVENT frames (stream -1) to a callback, fails requests that time out, and queues
/// requests beyond `maxInFlight`.
///
/// Why it encodes frames itself rather than through `CQLClientConnectionHandler` and a
/// `MessageToByteHandler`: every request written during one event-loop tick (or one read
/// burst) is appended to ONE outgoing buffer, written and flushed once. A thousand
/// pipelined requests then cost one allocation and one `write`, instead of two buffers,
/// a copy and two boxed pipeline messages each. Compression follows the same rules as
/// `CQLClientConnectionHandler`: inbound decompression from the STARTUP that asks for it,
/// outbound compression once READY (or AUTHENTICATE) arrives; STARTUP is never compressed.
///
/// All state is confined to the channel's event loop; `send` may be called from anywhere.
final class CQLRequestMultiplexer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = CQLFrame
    typealias OutboundOut = ByteBuffer

    let eventLoop: any EventLoop
    private var context: ChannelHandlerContext?
    private var streams = StreamTable()
    private var inRead = false
    private var flushScheduled = false
    private var closedReason: String?
    private var sweeper: RepeatedTask?
    let onEvent: (@Sendable (CQLEvent) -> Void)?
    let maxInFlight: Int
    /// Requests beyond `maxInFlight`, sent in order as answers free slots.
    private var waiting = CircularBuffer<Waiting>()
    /// Frames written since the last flush.
    private var pending: ByteBuffer?
    /// Size of the last flushed batch: the next buffer starts that large, so a steady
    /// stream of batches never regrows.
    private var lastBatchBytes = 4096
    private var inbound: CQLMessageCodec
    private var requestedCompression: CQLCompression?
    private var outboundCompression: CQLCompression?

    struct Waiting {
        var request: CQLRequest
        var callback: ResponseCallback
        var timeoutNanos: UInt64
    }

    init(eventLoop: any EventLoop, maxInFlight: Int = 2048,
         maxUncompressedBodyBytes: Int = CQLProtocol.defaultMaxUncompressedBodyBytes,
         onEvent: (@Sendable (CQLEvent) -> Void)?) {
        self.eventLoop = eventLoop
        self.maxInFlight = maxInFlight
        self.onEvent = onEvent
        self.inbound = CQLMessageCodec(maxUncompressedBodyBytes: maxUncompressedBodyBytes)
    }

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
        send(request, timeoutNanos: timeoutNanos) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// Sends `request`; `callback` runs once on the event loop with the answer or the error.
    @inline(__always)
    func send(_ request: CQLRequest, timeoutNanos: UInt64, callback: @escaping ResponseCallback) {
        if eventLoop.inEventLoop {
            sendOnLoop(request, callback: callback, timeoutNanos: timeoutNanos)
        } else {
            eventLoop.execute { self.sendOnLoop(request, callback: callback, timeoutNanos: timeoutNanos) }
        }
    }

    private func sendOnLoop(_ request: CQLRequest, callback: @escaping ResponseCallback, timeoutNanos: UInt64) {
        guard let context, closedReason == nil else {
            callback(.failure(CQLClientError.connectionClosed(closedReason ?? "connection closed")))
            return
        }
        if streams.inFlight >= maxInFlight {
            waiting.append(Waiting(request: request, callback: callback, timeoutNanos: timeoutNanos))
            return
        }
        let deadline = timeoutNanos == 0 ? 0 : NIODeadline.now().uptimeNanoseconds &+ timeoutNanos
        guard let stream = streams.acquire(callback, deadline: deadline) else {
            callback(.failure(CQLClientError.tooManyInFlight))
            return
        }
        do {
            try encode(request, stream: stream, allocator: context.channel.allocator)
        } catch {
            _ = streams.complete(stream)
            callback(.failure(CQLClientError.invalidArgument("cannot encode the request: \(error)")))
            return
        }
        if !inRead && !flushScheduled {
            // Flushed once, after everything else this tick wants to send.
            flushScheduled = true
            eventLoop.execute { self.flushNow() }
        }
        // During a read burst, channelReadComplete flushes.
    }

    /// Appends one frame (header + body) to the pending batch.
    private func encode(_ request: CQLRequest, stream: Int16, allocator: ByteBufferAllocator) throws {
        if case .startup(let options) = request,
           let name = options[CQLProtocol.StartupKey.compression],
           let compression = CQLCompression(rawValue: name.lowercased()) {
            requestedCompression = compression
            inbound.compression = compression
        }
        var out = pending ?? allocator.buffer(capacity: lastBatchBytes)
        pending = nil
        defer { pending = out }
        let start = out.writerIndex
        if let compression = outboundCompression, request.opcode != .startup {
            var body = allocator.buffer(capacity: 256)
            try request.write(to: &body)
            var flags: UInt8 = 0
            if body.readableBytes > 0 {
                body = try compression.compress(body, allocator: allocator)
                flags = CQLFrameFlags.compressed.rawValue
            }
            writeHeader(&out, flags: flags, stream: stream, opcode: request.opcode, length: UInt32(body.readableBytes))
            out.writeBuffer(&body)
        } else {
            writeHeader(&out, flags: 0, stream: stream, opcode: request.opcode, length: 0)
            do {
                try request.write(to: &out)
            } catch {
                out.moveWriterIndex(to: start)
                throw error
            }
            out.setInteger(UInt32(out.writerIndex - start - CQLProtocol.headerLength), at: start + 5)
        }
    }

    @inline(__always)
    private func writeHeader(_ out: inout ByteBuffer, flags: UInt8, stream: Int16, opcode: CQLOpcode, length: UInt32) {
        out.writeInteger(CQLProtocol.requestVersion)
        out.writeInteger(flags)
        out.writeInteger(stream)
        out.writeInteger(opcode.rawValue)
        out.writeInteger(length)
    }

    private func flushNow() {
        flushScheduled = false
        flushPending()
    }

    private func flushPending() {
        guard let context, let out = pending, out.readableBytes > 0 else { return }
        pending = nil
        lastBatchBytes = min(max(4096, out.readableBytes), 4 << 20)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        inRead = true
        let frame = unwrapInboundIn(data)
        let envelope: CQLResponseEnvelope
        do {
            envelope = try inbound.decodeResponse(frame, allocator: context.channel.allocator)
        } catch {
            // The frame was complete (the decoder framed it), so later frames are still
            // aligned: only this stream's request fails.
            if frame.stream >= 0, let callback = streams.complete(frame.stream) {
                callback(.failure(CQLClientError.unexpectedResponse("undecodable \(frame.opcode) response: \(error)")))
                sendWaiting()
            }
            return
        }
        switch envelope.response {
        case .ready, .authenticate: outboundCompression = requestedCompression
        default: break
        }
        if envelope.stream < 0 {
            if case .event(let e) = envelope.response { onEvent?(e) }
            return
        }
        guard let callback = streams.complete(envelope.stream) else { return }
        if case .error(let e) = envelope.response {
            callback(.failure(CQLClientError.server(e)))
        } else {
            callback(.success(envelope))
        }
        sendWaiting()
    }

    private func sendWaiting() {
        while streams.inFlight < maxInFlight, let w = waiting.popFirst() {
            sendOnLoop(w.request, callback: w.callback, timeoutNanos: w.timeoutNanos)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        flushPending()
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A frame we cannot even delimit leaves the byte stream unaligned: nothing after it can be trusted.
        failAll("connection failed: \(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(closedReason ?? "connection closed by the server")
        context.fireChannelInactive()
    }

    private func failAll(_ reason: String) {
        if closedReason == nil { closedReason = reason }
        pending = nil
        for c in streams.drain() { c(.failure(CQLClientError.connectionClosed(reason))) }
        while let w = waiting.popFirst() { w.callback(.failure(CQLClientError.connectionClosed(reason))) }
    }

    private func sweep() {
        guard streams.inFlight > 0 || !waiting.isEmpty else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let expired = streams.expire(now: now)
        for c in expired { c(.failure(CQLClientError.timeout)) }
        if !expired.isEmpty { sendWaiting() }
    }
}
