import NIOCore

/// The client side of one CQL connection, between the frame codec and the driver: encodes
/// `CQLRequestEnvelope`s and decodes `CQLResponseEnvelope`s, and switches compression on
/// as the spec orders it. The driver does stream allocation, request matching and the
/// STARTUP / OPTIONS / auth conversation itself.
///
/// Compression: after a STARTUP asking for `COMPRESSION`, incoming bodies flagged
/// compressed are decompressed at once (the server may compress its very reply);
/// outgoing bodies are compressed once READY or AUTHENTICATE arrives.
///
/// Pipeline: `ByteToMessageHandler(CQLFrameDecoder(role: .client))`,
/// `MessageToByteHandler(CQLFrameEncoder())`, this handler, then the driver.
public final class CQLClientConnectionHandler: ChannelDuplexHandler {
    public typealias InboundIn = CQLFrame
    public typealias InboundOut = CQLResponseEnvelope
    public typealias OutboundIn = CQLRequestEnvelope
    public typealias OutboundOut = CQLFrame

    private var inbound: CQLMessageCodec
    private var outbound = CQLMessageCodec()
    private var requestedCompression: CQLCompression?

    public init(maxUncompressedBodyBytes: Int = CQLProtocol.defaultMaxUncompressedBodyBytes) {
        self.inbound = CQLMessageCodec(maxUncompressedBodyBytes: maxUncompressedBodyBytes)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let envelope = unwrapOutboundIn(data)
        if case .startup(let options) = envelope.request,
           let name = options[CQLProtocol.StartupKey.compression],
           let compression = CQLCompression(rawValue: name.lowercased()) {
            requestedCompression = compression
            inbound.compression = compression
        }
        do {
            let frame = try outbound.encodeRequest(envelope, allocator: context.channel.allocator)
            context.write(wrapOutboundOut(frame), promise: promise)
        } catch {
            promise?.fail(error)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let envelope: CQLResponseEnvelope
        do {
            envelope = try inbound.decodeResponse(frame, allocator: context.channel.allocator)
        } catch {
            context.fireErrorCaught(error)
            return
        }
        switch envelope.response {
        case .ready, .authenticate:
            outbound.compression = requestedCompression
        default:
            break
        }
        context.fireChannelRead(wrapInboundOut(envelope))
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// Adds the client-side frame decoder, frame encoder and `CQLClientConnectionHandler`.
    public func addCQLClientHandlers(maxBodyBytes: Int = 256 * 1024 * 1024,
                                     maxUncompressedBodyBytes: Int = CQLProtocol.defaultMaxUncompressedBodyBytes) throws {
        try addHandler(ByteToMessageHandler(CQLFrameDecoder(role: .client, maxBodyBytes: maxBodyBytes)))
        try addHandler(MessageToByteHandler(CQLFrameEncoder()))
        try addHandler(CQLClientConnectionHandler(maxUncompressedBodyBytes: maxUncompressedBodyBytes))
    }
}
