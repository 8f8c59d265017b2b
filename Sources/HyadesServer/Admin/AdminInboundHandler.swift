import HyadesProtocol
import Logging
import NIOCore

/// A storage_port connection that speaks the management protocol (its first bytes were
/// "HYAD"): requests in, one answer per request, in order. Each request runs in a task
/// (flush and compaction take a while); the next one is read only after its answer is
/// written. A malformed frame is answered ERROR 1 and the connection closed: a byte stream
/// that lost its framing cannot be resynchronised.
final class AdminInboundHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: AdminService
    private let logger: Logger
    private var buffer: [UInt8] = []
    private var busy = false
    private var closing = false

    init(service: AdminService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if let chunk = bytes.readBytes(length: bytes.readableBytes) { buffer.append(contentsOf: chunk) }
        guard buffer.count <= AdminFormat.headerBytes + AdminFormat.maxPayloadBytes + AdminFormat.trailerBytes else {
            fail(context, "management request over the frame limit")
            return
        }
        next(context)
    }

    /// Starts the next buffered request if none is running.
    private func next(_ context: ChannelHandlerContext) {
        guard !busy, !closing else { return }
        let request: AdminRequest
        do {
            guard let (type, payload, consumed) = try AdminCodec.decodeFrame(buffer[...]) else { return }
            buffer.removeFirst(consumed)
            request = try AdminCodec.decodeRequest(type: type, payload: payload)
        } catch {
            fail(context, error.message)
            return
        }
        busy = true
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        logger.debug("nodetool request from \(peer): \(request)")
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let service = self.service
        Task {
            let (response, afterWrite) = await service.answer(request)
            loop.execute {
                let (handler, context) = bound.value
                handler.answer(context, response, afterWrite: afterWrite)
            }
        }
    }

    /// After a drain's answer the connection is closed: the node no longer serves.
    private func answer(_ context: ChannelHandlerContext, _ response: AdminResponse, afterWrite: (@Sendable () -> Void)?) {
        busy = false
        guard context.channel.isActive else {
            afterWrite?()
            return
        }
        let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: AdminCodec.encode(response))))
        if let afterWrite {
            closing = true
            let channel = context.channel
            written.whenComplete { _ in
                channel.close(promise: nil)
                afterWrite()
            }
            return
        }
        next(context)
    }

    private func fail(_ context: ChannelHandlerContext, _ message: String) {
        closing = true
        logger.warning("management connection from \(context.channel.remoteAddress.map { "\($0)" } ?? "?") closed: \(message)")
        let frame = AdminCodec.encode(AdminResponse.error(code: AdminFormat.errorProtocol, message: message))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: frame))).whenComplete { _ in channel.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
