import Foundation
import HyadesProtocol
import NIOCore
import NIOPosix

@inline(__always) func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// CPU time (user + system) of the whole process, client and node, in microseconds: on a
/// shared machine this, per operation, is steadier than wall-clock rates.
func cpuMicros() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec)
}

/// One workload phase shared by all connections of the load generator's single event
/// loop (so no locks): what to send next, latencies, completion.
final class Phase: @unchecked Sendable {
    enum Kind { case insert, read }
    let kind: Kind
    let total: Int
    let keySpace: Int
    /// Paced runs: requests per second (0 = as fast as the window allows).
    let rate: Double
    var issued = 0
    var completed = 0
    var errors = 0
    var firstError: String?
    var latenciesMicros: [UInt32] = []
    var start: UInt64 = 0
    var end: UInt64 = 0
    var cpuStart = 0.0
    var cpuEnd = 0.0
    let done: EventLoopPromise<Void>
    var value: ByteBuffer

    init(kind: Kind, total: Int, keySpace: Int, rate: Double, eventLoop: any EventLoop) {
        self.kind = kind
        self.total = total
        self.keySpace = keySpace
        self.rate = rate
        done = eventLoop.makePromise()
        latenciesMicros.reserveCapacity(total)
        var v = ByteBufferAllocator().buffer(capacity: 100)
        for i in 0..<100 { v.writeInteger(UInt8(truncatingIfNeeded: i * 7)) }
        value = v
    }

    /// Intended send time of request i (paced) or nil (closed loop).
    func intended(_ i: Int) -> UInt64? {
        rate > 0 ? start + UInt64(Double(i) / rate * 1e9) : nil
    }

    func finish(_ latencyNanos: UInt64, ok: Bool, error: String?) {
        completed += 1
        latenciesMicros.append(UInt32(min(latencyNanos / 1000, UInt64(UInt32.max))))
        if !ok {
            errors += 1
            if firstError == nil { firstError = error }
        }
        if completed == total {
            end = nowNanos()
            cpuEnd = cpuMicros()
            done.succeed(())
        }
    }

    func percentile(_ p: Double) -> Double {
        let s = latenciesMicros.sorted()
        guard !s.isEmpty else { return 0 }
        return Double(s[min(s.count - 1, Int(Double(s.count) * p))]) / 1000
    }

    var cpuMicrosPerOp: Double { (cpuEnd - cpuStart) / Double(max(1, completed)) }

    var opsPerSecond: Double { Double(completed) / (Double(end - start) / 1e9) }
}

/// One connection driving a phase: up to `depth` requests in flight on streams 1...depth.
final class LoadConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = CQLFrame
    let depth: Int
    var insertID: [UInt8] = []
    var readID: [UInt8] = []
    var phase: Phase?
    var sentAt: [UInt64]
    var free: [Int16] = []
    var context: ChannelHandlerContext!
    var ready: EventLoopPromise<Void>?

    init(depth: Int) {
        self.depth = depth
        sentAt = Array(repeating: 0, count: depth + 1)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.stream == 0 {
            ready?.succeed(())
            ready = nil
            return
        }
        guard let phase, frame.stream > 0, Int(frame.stream) <= depth else { return }
        var ok = frame.opcode == .result
        var error: String?
        if !ok {
            var b = frame.body
            _ = b.readInteger(as: Int32.self)
            if let n = b.readInteger(as: UInt16.self) { error = b.readString(length: Int(n)) }
        } else if phase.kind == .read {
            ok = frame.body.getInteger(at: frame.body.readerIndex, as: Int32.self) == 2
        }
        phase.finish(nowNanos() &- sentAt[Int(frame.stream)], ok: ok, error: error)
        free.append(frame.stream)
    }

    /// Refills the window once per socket read: one write syscall for many requests.
    func channelReadComplete(context: ChannelHandlerContext) {
        if let phase, phase.rate == 0 { pump() }
    }

    /// Sends while streams are free and the phase has requests left (and, paced, are due).
    func pump(now: UInt64 = 0) {
        guard let phase else { return }
        var out: ByteBuffer?
        while let stream = free.last, phase.issued < phase.total {
            let i = phase.issued
            var due = nowNanos()
            if let t = phase.intended(i) {
                if t > now { break }
                due = t
            }
            free.removeLast()
            phase.issued += 1
            if out == nil { out = context.channel.allocator.buffer(capacity: 4096) }
            sentAt[Int(stream)] = due
            switch phase.kind {
            case .insert:
                Wire.execute(&out!, stream: stream, id: insertID, key: Wire.key(i % phase.keySpace), value: phase.value, skipMetadata: false)
            case .read:
                let k = Int(UInt64(bitPattern: Wire.key(i &* 31 &+ 7)) % UInt64(phase.keySpace))
                Wire.execute(&out!, stream: stream, id: readID, key: Wire.key(k), value: nil, skipMetadata: true)
            }
        }
        if let out { context.writeAndFlush(NIOAny(out), promise: nil) }
    }

    func start(_ p: Phase) {
        phase = p
        free = (1...depth).reversed().map { Int16($0) }
        if p.rate == 0 { pump() }
    }
}
