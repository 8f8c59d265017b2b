import HyadesProtocol
import NIOCore
import Synchronization

/// The node-wide budgets of requests being executed or answered (Cassandra's
/// `native_transport_max_concurrent_requests_in_bytes` and `..._per_ip`, plus a request
/// count): what the query layer may hold in memory at once. A request that would go over
/// any of them is answered ERROR Overloaded (0x1001) at once, never queued, so memory stays
/// bounded however many clients push; the driver retries it on another connection or later.
public struct InFlightLimitSettings: Sendable, Hashable {
    /// Requests in flight on the whole node.
    public var maxRequests: Int
    /// Frame bytes (header + body) of requests in flight on the whole node.
    public var maxBytes: Int
    /// Frame bytes of requests in flight from one client IP address (all its connections).
    public var maxBytesPerIP: Int

    public init(maxRequests: Int = 8192, maxBytes: Int = 256 << 20, maxBytesPerIP: Int = 64 << 20) {
        self.maxRequests = maxRequests
        self.maxBytes = maxBytes
        self.maxBytesPerIP = maxBytesPerIP
    }
}

/// The shared counters behind `InFlightLimitSettings`; one per listener.
public final class InFlightLimits: Sendable {
    public let settings: InFlightLimitSettings

    struct Counters {
        var requests = 0
        var bytes = 0
        /// Bytes and open connections per client IP (entries go with the last connection).
        var perIP: [String: (bytes: Int, connections: Int)] = [:]
    }
    private let counters = Mutex(Counters())

    public init(_ settings: InFlightLimitSettings = InFlightLimitSettings()) { self.settings = settings }

    /// Why a request of `bytes` from `ip` cannot be admitted now, or nil (and it is counted).
    func admit(bytes: Int, ip: String) -> String? {
        counters.withLock { c -> String? in
            if c.requests + 1 > settings.maxRequests {
                return "Too many requests in flight on this node (max \(settings.maxRequests))"
            }
            if c.bytes + bytes > settings.maxBytes {
                return "Requests in flight on this node would exceed native_transport_max_concurrent_requests_in_bytes (\(settings.maxBytes) bytes)"
            }
            let mine = c.perIP[ip]?.bytes ?? 0
            if mine + bytes > settings.maxBytesPerIP {
                return "Requests in flight from \(ip) would exceed native_transport_max_concurrent_requests_in_bytes_per_ip (\(settings.maxBytesPerIP) bytes)"
            }
            c.requests += 1
            c.bytes += bytes
            c.perIP[ip, default: (0, 0)].bytes = mine + bytes
            return nil
        }
    }

    func release(requests: Int, bytes: Int, ip: String) {
        guard requests > 0 else { return }
        counters.withLock { c in
            c.requests -= requests
            c.bytes -= bytes
            c.perIP[ip]?.bytes -= bytes
        }
    }

    func connectionOpened(ip: String) {
        counters.withLock { $0.perIP[ip, default: (0, 0)].connections += 1 }
    }

    func connectionClosed(ip: String) {
        counters.withLock { c in
            guard var e = c.perIP[ip] else { return }
            e.connections -= 1
            c.perIP[ip] = e.connections <= 0 && e.bytes <= 0 ? nil : e
        }
    }

    /// (requests, bytes) in flight now: for tests and metrics.
    public var inFlight: (requests: Int, bytes: Int) { counters.withLock { ($0.requests, $0.bytes) } }
}

/// Per connection, between the frame codec and `CQLServerConnectionHandler`: counts the
/// frames of QUERY / PREPARE / EXECUTE / BATCH against `InFlightLimits` until their
/// response frame goes out, and answers ERROR Overloaded on the request's stream when a
/// budget is spent. Other opcodes (STARTUP, OPTIONS heartbeats, REGISTER, AUTH) are cheap
/// and always pass, so a busy node still answers heartbeats.
final class InFlightLimitHandler: ChannelDuplexHandler {
    typealias InboundIn = CQLFrame
    typealias InboundOut = CQLFrame
    typealias OutboundIn = CQLFrame
    typealias OutboundOut = CQLFrame

    private let limits: InFlightLimits
    private var ip = "unknown"
    private var registered = false
    /// Bytes counted per stream of an admitted request, until its response.
    private var pending: [Int16: Int] = [:]
    /// A refusal was written during this read and awaits the read's flush.
    private var refused = false

    init(limits: InFlightLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { register(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        register(context)
        context.fireChannelActive()
    }

    private func register(_ context: ChannelHandlerContext) {
        guard !registered else { return }
        registered = true
        ip = context.channel.remoteAddress?.ipAddress ?? "unknown"
        limits.connectionOpened(ip: ip)
    }

    func channelInactive(context: ChannelHandlerContext) {
        releaseAll()
        if registered {
            limits.connectionClosed(ip: ip)
            registered = false
        }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        releaseAll()
        if registered {
            limits.connectionClosed(ip: ip)
            registered = false
        }
    }

    private func releaseAll() {
        var bytes = 0
        for (_, b) in pending { bytes += b }
        limits.release(requests: pending.count, bytes: bytes, ip: ip)
        pending.removeAll()
    }

    static func counted(_ opcode: CQLOpcode) -> Bool {
        switch opcode {
        case .query, .prepare, .execute, .batch: return true
        default: return false
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard Self.counted(frame.opcode), frame.stream >= 0 else {
            context.fireChannelRead(data)
            return
        }
        let bytes = CQLProtocol.headerLength + frame.body.readableBytes
        if let old = pending.removeValue(forKey: frame.stream) {
            // A client reusing a stream still in flight: count the new request instead.
            limits.release(requests: 1, bytes: old, ip: ip)
        }
        if let reason = limits.admit(bytes: bytes, ip: ip) {
            let error = CQLErrorMessage(.overloaded, reason)
            let plain = CQLMessageCodec(compression: nil)
            if let out = try? plain.encodeResponse(CQLResponseEnvelope(stream: frame.stream, response: .error(error)),
                                                   allocator: context.channel.allocator) {
                context.write(wrapOutboundOut(out), promise: nil)
                refused = true
            }
            return
        }
        pending[frame.stream] = bytes
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if refused {
            refused = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        if frame.stream >= 0, let bytes = pending.removeValue(forKey: frame.stream) {
            limits.release(requests: 1, bytes: bytes, ip: ip)
        }
        context.write(data, promise: promise)
    }
}
