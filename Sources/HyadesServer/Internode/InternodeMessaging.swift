import Foundation
import HyadesCluster
import Logging

import NIOCore
import NIOPosix

/// Internode messaging over storage_port (docs/formats/internode.md), Cassandra's
/// MessagingService shape: one outbound connection per peer carries everything this node
/// sends it (requests and the answers to its requests); what a peer sends arrives on the
/// connection it opened (`InternodeInboundHandler`). Each peer's outbound side is the pure
/// `OutboundQueue` state machine: frames wait (bounded; over the bound they are dropped and
/// counted, never buffered without limit) while the connection is made, reconnects back off
/// with jitter, and the first frame on every connection is HANDSHAKE.
public final class InternodeMessaging: @unchecked Sendable {
    public typealias Handler = @Sendable (InternodeFrame, InternodeAddress) -> Void

    /// Who this node is on the internode network (its port settled once the listener bound).
    var identity: HyadesCluster.NodeIdentity { lock.withLock { localIdentity } }
    private var localIdentity: HyadesCluster.NodeIdentity
    let clusterName: String
    let maxPayloadBytes: Int
    let group: any EventLoopGroup
    let logger: Logger
    let queueConfiguration: OutboundQueue.Configuration

    private final class Peer {
        var queue: OutboundQueue
        var channel: (any Channel)?
        let eventLoop: any EventLoop
        /// A flush is scheduled on the event loop (touched only there): frames written
        /// meanwhile go out with it, one syscall for a burst instead of one per frame.
        var flushScheduled = false
        init(queue: OutboundQueue, eventLoop: any EventLoop) {
            self.queue = queue
            self.eventLoop = eventLoop
        }
    }

    private let lock = NSLock()
    private var peers: [InternodeAddress: Peer] = [:]
    private var handlers: [InternodeVerb: Handler] = [:]
    private var nextMessageID: UInt64 = 1
    private var rng = SystemRandomNumberGenerator()
    private var stopped = false
    private var identified: (@Sendable (InternodeHandshake) -> Void)?

    public init(identity: HyadesCluster.NodeIdentity, clusterName: String, group: any EventLoopGroup,
                maxPayloadBytes: Int = InternodeFormat.defaultMaxPayloadBytes,
                queueConfiguration: OutboundQueue.Configuration = OutboundQueue.Configuration(),
                logger: Logger = Logger(label: "hyades.internode")) {
        self.localIdentity = identity
        self.clusterName = clusterName
        self.group = group
        self.maxPayloadBytes = maxPayloadBytes
        self.queueConfiguration = queueConfiguration
        self.logger = logger
    }

    static func now() -> ClusterTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ClusterTime(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// The storage_port actually bound (port 0 in the configuration: an ephemeral one).
    public func listening(onPort port: Int) {
        lock.withLock { localIdentity.address.port = UInt16(port) }
    }

    /// Handles every frame of `verb` that arrives (on an event loop: keep it short).
    public func register(_ verb: InternodeVerb, _ handler: @escaping Handler) {
        lock.withLock { handlers[verb] = handler }
    }

    /// Called when an inbound connection says who it is.
    public func onPeerIdentified(_ body: @escaping @Sendable (InternodeHandshake) -> Void) {
        lock.withLock { identified = body }
    }

    /// A fresh message id (unique per node run).
    public func newMessageID() -> UInt64 {
        lock.withLock {
            defer { nextMessageID &+= 1 }
            return nextMessageID
        }
    }

    /// Sends one message to `peer` (queued until connected). `expiresAt`: when the verb's
    /// timeout passes; a frame still queued then is dropped (nil: never).
    public func send(_ verb: InternodeVerb, payload: [UInt8], to peer: InternodeAddress,
                     messageID: UInt64? = nil, flags: UInt8 = 0, expiresAt: ClusterTime? = nil) {
        guard payload.count <= maxPayloadBytes else {
            logger.error("internode message \(verb) of \(payload.count) bytes to \(peer) not sent: over \(maxPayloadBytes)")
            return
        }
        let frame = InternodeFrame(verb: verb, messageID: messageID ?? newMessageID(), flags: flags, payload: payload)
            .encoded()
        let now = Self.now()
        let (actions, p) = lock.withLock { () -> ([OutboundQueue.Action], Peer?) in
            guard !stopped else { return ([], nil) }
            let p = peerLocked(peer)
            return (p.queue.enqueue(frame, expiresAt: expiresAt, now: now), p)
        }
        if let p { perform(actions, peer: peer, p) }
    }

    /// Frames dropped per peer (queue full or expired), for metrics and nodetool.
    public var droppedCounts: [InternodeAddress: OutboundQueue.Dropped] {
        lock.withLock { peers.mapValues(\.queue.dropped) }
    }

    private func peerLocked(_ address: InternodeAddress) -> Peer {
        if let p = peers[address] { return p }
        let p = Peer(queue: OutboundQueue(configuration: queueConfiguration), eventLoop: group.next())
        peers[address] = p
        return p
    }

    private func perform(_ actions: [OutboundQueue.Action], peer address: InternodeAddress, _ p: Peer) {
        for action in actions {
            switch action {
            case .connect:
                connect(address, p)
            case .write(let bytes):
                let channel = lock.withLock { p.channel }
                guard let channel else { continue }
                var buffer = channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                let write = {
                    channel.write(buffer, promise: nil)
                    guard !p.flushScheduled else { return }
                    p.flushScheduled = true
                    channel.eventLoop.execute {
                        p.flushScheduled = false
                        channel.flush()
                    }
                }
                if channel.eventLoop.inEventLoop { write() } else { channel.eventLoop.execute(write) }
            case .scheduleReconnect(let at):
                let delay = max(0, at.since(Self.now()))
                p.eventLoop.scheduleTask(in: .nanoseconds(delay)) { [weak self] in
                    guard let self else { return }
                    let actions = self.lock.withLock { self.stopped ? [] : p.queue.reconnectTimerFired(now: Self.now()) }
                    self.perform(actions, peer: address, p)
                }
            }
        }
    }

    private func connect(_ address: InternodeAddress, _ p: Peer) {
        let me = identity
        let hello = InternodeFrame(verb: .handshake, messageID: 0,
                                   payload: InternodeHandshake(hostID: me.hostID, address: me.address,
                                                               clusterName: clusterName).encoded()).encoded()
        ClientBootstrap(group: p.eventLoop)
            .connectTimeout(.seconds(2))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let self else { return }
                    try channel.pipeline.syncOperations.addHandler(OutboundWatcher(messaging: self, peer: address))
                }
            }
            .connect(host: address.host, port: Int(address.port))
            .whenComplete { [weak self] result in
                guard let self else { return }
                switch result {
                case .success(let channel):
                    var buffer = channel.allocator.buffer(capacity: hello.count)
                    buffer.writeBytes(hello)
                    channel.writeAndFlush(buffer, promise: nil)
                    let actions = self.lock.withLock { () -> [OutboundQueue.Action] in
                        if self.stopped {
                            channel.close(promise: nil)
                            return []
                        }
                        p.channel = channel
                        return p.queue.connected(now: Self.now())
                    }
                    self.perform(actions, peer: address, p)
                case .failure(let error):
                    self.logger.debug("internode connection to \(address) failed: \(error)")
                    self.lost(address)
                }
            }
    }

    /// The outbound connection to `address` failed or closed.
    func lost(_ address: InternodeAddress) {
        let (actions, p) = lock.withLock { () -> ([OutboundQueue.Action], Peer?) in
            guard !stopped, let p = peers[address] else { return ([], nil) }
            p.channel = nil
            return (p.queue.connectionLost(now: Self.now(), using: &rng), p)
        }
        if let p { perform(actions, peer: address, p) }
    }

    func writabilityChanged(_ address: InternodeAddress, writable: Bool) {
        let (actions, p) = lock.withLock { () -> ([OutboundQueue.Action], Peer?) in
            guard let p = peers[address] else { return ([], nil) }
            return (p.queue.writabilityChanged(writable, now: Self.now()), p)
        }
        if let p { perform(actions, peer: address, p) }
    }

    func deliver(_ frame: InternodeFrame, from peer: InternodeAddress) {
        guard let handler = lock.withLock({ stopped ? nil : handlers[frame.verb] }) else {
            logger.debug("internode \(frame.verb) from \(peer) has no handler; dropped")
            return
        }
        handler(frame, peer)
    }

    func peerIdentified(_ hello: InternodeHandshake) {
        lock.withLock { identified }?(hello)
    }

    /// Makes a handler for an inbound connection (the storage_port listener calls it).
    func makeInboundHandler() -> InternodeInboundHandler {
        InternodeInboundHandler(messaging: self, logger: logger)
    }

    /// Closes every outbound connection; later sends are dropped.
    public func shutdown() async {
        let channels = lock.withLock { () -> [any Channel] in
            stopped = true
            return peers.values.compactMap(\.channel)
        }
        for c in channels { try? await c.close() }
    }
}

/// Tells the messaging service when an outbound connection closes or its writability
/// changes (NIO's watermarks: the queue holds frames while the socket is backed up).
final class OutboundWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let messaging: InternodeMessaging
    let peer: InternodeAddress

    init(messaging: InternodeMessaging, peer: InternodeAddress) {
        self.messaging = messaging
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Outbound connections carry nothing back.
    }

    func channelInactive(context: ChannelHandlerContext) {
        messaging.lost(peer)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        messaging.writabilityChanged(peer, writable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
