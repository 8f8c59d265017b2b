import HyadesCluster
import Logging
import NIOCore

/// An inbound internode connection (one a peer opened to our storage_port): frames in,
/// nothing out. Cassandra's one-way connections: a peer's requests arrive here, and our
/// answers leave through our own outbound connection to that peer (`InternodeMessaging`).
///
/// The first frame must be HANDSHAKE: it says which node is calling and which cluster it is
/// in; a peer of another cluster is refused (closed) before any of its messages is looked at.
/// Any framing error closes the connection: a byte stream that lost its framing cannot be
/// resynchronised (docs/formats/internode.md).
final class InternodeInboundHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let messaging: InternodeMessaging
    private let decoder: InternodeFrameDecoder
    private var buffer: [UInt8] = []
    private var peer: InternodeAddress?
    private let logger: Logger

    init(messaging: InternodeMessaging, logger: Logger) {
        self.messaging = messaging
        self.decoder = InternodeFrameDecoder(maxPayloadBytes: messaging.maxPayloadBytes)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if let chunk = bytes.readBytes(length: bytes.readableBytes) { buffer.append(contentsOf: chunk) }
        var consumedTotal = 0
        while true {
            let result: InternodeFrameDecoder.Result
            do {
                result = try decoder.decode(buffer[consumedTotal...])
            } catch {
                logger.warning("internode connection from \(context.channel.remoteAddress.map { "\($0)" } ?? "?") closed: \(error)")
                context.close(promise: nil)
                return
            }
            guard case .frame(let frame, let consumed) = result else { break }
            consumedTotal += consumed
            if !handle(frame, context: context) { return }
        }
        if consumedTotal > 0 { buffer.removeFirst(consumedTotal) }
    }

    /// Returns false when the connection was closed.
    private func handle(_ frame: InternodeFrame, context: ChannelHandlerContext) -> Bool {
        guard let peer else {
            guard frame.verb == .handshake, let hello = try? InternodeHandshake.decode(frame.payload) else {
                logger.warning("internode connection without a handshake closed")
                context.close(promise: nil)
                return false
            }
            guard hello.clusterName == messaging.clusterName else {
                logger.warning("internode connection from \(hello.address) refused: cluster '\(hello.clusterName)' is not '\(messaging.clusterName)'")
                context.close(promise: nil)
                return false
            }
            self.peer = hello.address
            messaging.peerIdentified(hello)
            return true
        }
        messaging.deliver(frame, from: peer)
        return true
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// First handler of every storage_port connection: reads just enough to tell internode
/// messaging ("HYIN" frames) and management requests ("HYAD", `hyades nodetool`) from
/// SSTable streaming, then gets out of the way. Streaming bytes go on down the pipeline
/// untouched; for internode or management it adds that protocol's handler right after
/// itself and hands it the bytes, so the streaming handlers never see them.
final class StoragePortSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let makeInternodeHandler: @Sendable () -> (any ChannelInboundHandler)?
    private let makeAdminHandler: @Sendable () -> (any ChannelInboundHandler)?
    private var pending: ByteBuffer?
    /// Internode or management: everything after the first bytes passes straight through.
    private var passThrough = false

    init(makeInternodeHandler: @escaping @Sendable () -> (any ChannelInboundHandler)?,
         makeAdminHandler: @escaping @Sendable () -> (any ChannelInboundHandler)? = { nil }) {
        self.makeInternodeHandler = makeInternodeHandler
        self.makeAdminHandler = makeAdminHandler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if passThrough {
            context.fireChannelRead(data)
            return
        }
        var bytes = unwrapInboundIn(data)
        if var p = pending {
            p.writeBuffer(&bytes)
            pending = p
        } else {
            pending = bytes
        }
        guard let p = pending, let kind = StoragePortProtocol.classify(p.readableBytesView) else { return }
        pending = nil
        switch kind {
        case .streaming, .unknown:
            // Neither protocol's first bytes go to streaming too: its decoder answers with a
            // clear error (a frame over the limit, a bad INIT) before closing.
            context.fireChannelRead(wrapInboundOut(p))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .internode, .admin:
            // Management requests have one way in: this handler, the place a later
            // authentication of storage_port (issue 13) guards.
            guard let handler = kind == .internode ? makeInternodeHandler() : makeAdminHandler() else {
                context.close(promise: nil)   // no such service on this node
                return
            }
            do {
                try context.pipeline.syncOperations.addHandler(handler, position: .after(self))
            } catch {
                context.close(promise: nil)
                return
            }
            passThrough = true
            context.fireChannelRead(wrapInboundOut(p))
        }
    }
}
