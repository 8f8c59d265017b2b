import NIOCore

/// The server side of one CQL connection, between the frame codec and the query layer:
/// decodes requests (decompressing), answers OPTIONS and STARTUP itself, enforces the
/// in-flight limit, turns every `ProtocolError` into ERROR 0x000A on the offending stream
/// (closing afterwards when framing is lost), and encodes the query layer's responses
/// (compressing once STARTUP negotiated it).
///
/// Pipeline: `ByteToMessageHandler(CQLFrameDecoder)`, `MessageToByteHandler(CQLFrameEncoder)`,
/// this handler, then the query layer, which reads `CQLRequestEnvelope`s and writes
/// `CQLResponseEnvelope`s (with the request's stream; EVENTs on stream -1).
public final class CQLServerConnectionHandler: ChannelDuplexHandler {
    public typealias InboundIn = CQLFrame
    public typealias InboundOut = CQLRequestEnvelope
    public typealias OutboundIn = CQLResponseEnvelope
    public typealias OutboundOut = CQLFrame

    private let configuration: CQLServerConfiguration
    private var stateMachine: CQLServerConnectionStateMachine
    private var codec: CQLMessageCodec
    private var inFlight = 0
    private var closing = false
    /// A read() was held back because too many requests are in flight.
    private var readPending = false

    public init(configuration: CQLServerConfiguration = CQLServerConfiguration()) {
        self.configuration = configuration
        self.stateMachine = CQLServerConnectionStateMachine(supportedOptions: configuration.supportedOptions,
                                                            authenticator: configuration.authenticator)
        self.codec = CQLMessageCodec(maxUncompressedBodyBytes: configuration.maxUncompressedBodyBytes)
    }

    /// Requests handed on and not yet answered.
    public var inFlightRequests: Int { inFlight }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        let envelope: CQLRequestEnvelope
        do {
            envelope = try codec.decodeRequest(frame, allocator: context.channel.allocator)
        } catch let error as ProtocolError {
            answer(error, context: context)
            return
        } catch {
            answer(.malformedBody("\(error)", stream: frame.stream), context: context)
            return
        }

        switch stateMachine.requestReceived(envelope.request, stream: envelope.stream) {
        case .reply(let response):
            writeDirect(response, stream: envelope.stream, context: context)
        case .startupAccepted(let compression, let reply):
            // The reply to STARTUP goes out uncompressed (any client can read it); from now
            // on bodies in both directions may be compressed.
            writeDirect(reply, stream: envelope.stream, context: context)
            codec.compression = compression
        case .protocolError(let error):
            answer(error, context: context)
        case .forward:
            guard inFlight < configuration.maxInFlightRequestsHardLimit else {
                let overloaded = CQLErrorMessage(.overloaded,
                    "Too many in-flight requests on this connection (max \(configuration.maxInFlightRequestsHardLimit))")
                writeDirect(.error(overloaded), stream: envelope.stream, context: context)
                return
            }
            inFlight += 1
            context.fireChannelRead(wrapInboundOut(envelope))
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let envelope = unwrapOutboundIn(data)
        if envelope.stream >= 0, inFlight > 0 {
            inFlight -= 1
            if readPending, inFlight < configuration.maxInFlightRequests {
                readPending = false
                context.read()
            }
        }
        stateMachine.responseWritten(envelope.response)
        do {
            let frame = try codec.encodeResponse(envelope, allocator: context.channel.allocator)
            context.write(wrapOutboundOut(frame), promise: promise)
        } catch {
            // The response cannot be put on the wire (e.g. an oversized [string]): the
            // client still gets an answer on its stream instead of waiting forever.
            let serverError = CQLErrorMessage(.serverError, "Cannot encode the response: \(error)")
            if let frame = try? codec.encodeResponse(CQLResponseEnvelope(stream: envelope.stream, response: .error(serverError)),
                                                     allocator: context.channel.allocator) {
                context.write(wrapOutboundOut(frame), promise: promise)
            } else {
                promise?.fail(error)
            }
        }
    }

    /// Back-pressure: no socket reads while the query layer has its hands full.
    public func read(context: ChannelHandlerContext) {
        if inFlight >= configuration.maxInFlightRequests {
            readPending = true
        } else {
            context.read()
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let protocolError = error as? ProtocolError {
            // From the frame decoder: bad version, oversized or unknown frame.
            answer(protocolError, context: context)
        } else {
            context.fireErrorCaught(error)
        }
    }

    /// Writes a reply that bypasses the query layer (never counted as in flight).
    private func writeDirect(_ response: CQLResponse, stream: Int16, context: ChannelHandlerContext) {
        do {
            let frame = try codec.encodeResponse(CQLResponseEnvelope(stream: stream, response: response),
                                                 allocator: context.channel.allocator)
            context.write(wrapOutboundOut(frame), promise: nil)
        } catch {
            context.fireErrorCaught(error)
        }
    }

    /// ERROR 0x000A on the offending stream, in a plain (uncompressed) v4 frame so that a
    /// client that spoke another version or lost track of compression can still read it;
    /// then close if the framing cannot be trusted any more.
    private func answer(_ error: ProtocolError, context: ChannelHandlerContext) {
        guard !closing else { return }
        let plain = CQLMessageCodec(compression: nil)
        guard let frame = try? plain.encodeResponse(CQLResponseEnvelope(stream: error.stream, response: .error(error.errorMessage)),
                                                    allocator: context.channel.allocator) else {
            context.close(promise: nil)
            return
        }
        if error.closesConnection {
            closing = true
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in
                channel.close(promise: nil)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds the frame decoder, frame encoder and `CQLServerConnectionHandler`; the caller
    /// adds its query handler after them.
    public func addCQLServerHandlers(configuration: CQLServerConfiguration = CQLServerConfiguration()) throws {
        try addHandler(ByteToMessageHandler(CQLFrameDecoder(role: .server, maxBodyBytes: configuration.maxBodyBytes)))
        try addHandler(MessageToByteHandler(CQLFrameEncoder()))
        try addHandler(CQLServerConnectionHandler(configuration: configuration))
    }
}
