// The node measured through its CQL port, client and server in one process on this
// machine's cores: prepared single-row INSERTs and point SELECTs with many requests in
// flight (closed loop, then paced at a fixed rate for latency), and a paged token-range
// scan of the whole table. Requests are written as raw frames so the load generator
// stays cheap; the node is the real HyadesNode + CQLServer.
//
//   swift build -c release --product server-bench && .build/release/server-bench [--rows N]
//     [--reads N] [--connections C] [--depth D] [--insert-rate R] [--read-rate R]
//     [--paced-seconds S] [--scan-splits S] [--page-size P] [--external HOST:PORT]
import Foundation
import HyadesCore
import HyadesProtocol
import HyadesServer
import NIOCore
import NIOPosix

var rows = 1_000_000
var reads = 400_000
var connections = 4
var depth = 128
var insertRate = 50_000.0
var readRate = 40_000.0
var pacedSeconds = 5.0
var scanSplits = 2
var pageSize = 5000
var external: String?
var args = CommandLine.arguments.dropFirst().makeIterator()
while let a = args.next() {
    switch a {
    case "--rows": rows = Int(args.next()!)!
    case "--reads": reads = Int(args.next()!)!
    case "--connections": connections = Int(args.next()!)!
    case "--depth": depth = Int(args.next()!)!
    case "--insert-rate": insertRate = Double(args.next()!)!
    case "--read-rate": readRate = Double(args.next()!)!
    case "--paced-seconds": pacedSeconds = Double(args.next()!)!
    case "--scan-splits": scanSplits = Int(args.next()!)!
    case "--page-size": pageSize = Int(args.next()!)!
    case "--external": external = args.next()!
    default: fatalError("unknown argument \(a)")
    }
}

func say(_ s: String) { FileHandle.standardOutput.write(Data((s + "\n").utf8)) }

func report(_ name: String, _ p: Phase) {
    say(String(format: "%-26@ %9.0f ops/s  %5.1f cpu-us/op  p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  errors %d%@",
                 name as NSString, p.opsPerSecond, p.cpuMicrosPerOp, p.percentile(0.5), p.percentile(0.99), p.percentile(0.999), p.errors,
                 (p.firstError.map { " (\($0))" } ?? "") as NSString))
}

// The node (unless --external).
let dir = NSTemporaryDirectory() + "hyades-server-bench-\(UUID().uuidString)"
var node: HyadesNode?
var server: CQLServer?
let address: SocketAddress
if let external {
    let parts = external.split(separator: ":")
    address = try SocketAddress(ipAddress: String(parts[0]), port: Int(parts[1])!)
} else {
    var config = ServerConfig()
    config.dataFileDirectories = [dir]
    config.commitlogDirectory = dir + "/commitlog"
    config.nativeTransportPort = 0
    config.numTokens = 16
    node = try HyadesNode(config: config)
    server = CQLServer(processor: node!.processor, host: "127.0.0.1", port: 0, limits: config.inFlightLimits)
    address = try await server!.start()
}
say("node at \(address), \(connections) connections x \(depth) in flight, \(ProcessInfo.processInfo.activeProcessorCount) cores")

// One event loop for the whole load generator: phases need no locks.
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = clientGroup.next()
let admin = try await AdminConnection.connect(address, group: loop)
try await admin.query("CREATE KEYSPACE IF NOT EXISTS bench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
try await admin.query("CREATE TABLE IF NOT EXISTS bench.kv (k bigint PRIMARY KEY, v blob)")
let insertID = try await admin.prepare("INSERT INTO bench.kv (k, v) VALUES (?, ?)")
let readID = try await admin.prepare("SELECT k, v FROM bench.kv WHERE k = ?")

var load: [LoadConnection] = []
for _ in 0..<connections {
    let h = LoadConnection(depth: depth)
    h.insertID = insertID
    h.readID = readID
    let ch = try await ClientBootstrap(group: loop)
        .channelOption(.socketOption(.tcp_nodelay), value: 1)
        .channelInitializer { ch in
            ch.eventLoop.makeCompletedFuture {
                try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(RawFrameDecoder()))
                try ch.pipeline.syncOperations.addHandler(h)
            }
        }
        .connect(to: address).get()
    try await loop.flatSubmit { () -> EventLoopFuture<Void> in
        let p = loop.makePromise(of: Void.self)
        h.ready = p
        var buf = ch.allocator.buffer(capacity: 64)
        let frame = try! CQLMessageCodec().encodeRequest(CQLRequestEnvelope(stream: 0, request: .startup(["CQL_VERSION": "3.0.0"])),
                                                         allocator: ch.allocator)
        frame.write(to: &buf)
        ch.writeAndFlush(buf, promise: nil)
        return p.futureResult
    }.get()
    load.append(h)
}

let conns = load
func run(_ kind: Phase.Kind, total: Int, keySpace: Int, rate: Double) async throws -> Phase {
    let load = conns
    let phase = Phase(kind: kind, total: total, keySpace: keySpace, rate: rate, eventLoop: loop)
    let timer = try await loop.submit { () -> RepeatedTask? in
        phase.start = nowNanos()
        phase.cpuStart = cpuMicros()
        for (i, c) in load.enumerated() {
            // Each connection takes an equal share of the requests.
            c.start(phase)
            _ = i
        }
        guard rate > 0 else { return nil }
        return loop.scheduleRepeatedTask(initialDelay: .zero, delay: .microseconds(100)) { _ in
            let now = nowNanos()
            for c in load { c.pump(now: now) }
        }
    }.get()
    try await phase.done.futureResult.get()
    timer?.cancel()
    return phase
}

// 1. Inserts as fast as the window allows.
let ins = try await run(.insert, total: rows, keySpace: rows, rate: 0)
report("insert (closed loop)", ins)
// 2. Point reads of existing keys, memtables + SSTables as the inserts left them.
let rd = try await run(.read, total: reads, keySpace: rows, rate: 0)
report("read (closed loop)", rd)
// 3. Latency at fixed rates.
let pi = try await run(.insert, total: Int(insertRate * pacedSeconds), keySpace: rows, rate: insertRate)
report(String(format: "insert @ %.0f/s", insertRate), pi)
let pr = try await run(.read, total: Int(readRate * pacedSeconds), keySpace: rows, rate: readRate)
report(String(format: "read @ %.0f/s", readRate), pr)

// 4. Flush and compact (in process only), then reads again and the scan.
if let node {
    let t0 = nowNanos()
    for ks in node.schema.snapshot.keyspaces.values where ks.name == "bench" {
        for t in ks.tables.values {
            try node.schema.tableStore(t.id)?.flush()
            try node.schema.tableStore(t.id)?.compact(major: true)
        }
    }
    say(String(format: "flush + major compaction: %.1f s", Double(nowNanos() - t0) / 1e9))
    let rc = try await run(.read, total: reads, keySpace: rows, rate: 0)
    report("read compacted", rc)
    let prc = try await run(.read, total: Int(readRate * pacedSeconds), keySpace: rows, rate: readRate)
    report(String(format: "read compacted @ %.0f/s", readRate), prc)
}

// 5. Token-range scans: the ring split in `scanSplits` ranges, one connection each, paged.
func scan(_ columns: String, splits scanSplits: Int, pageSize: Int) async throws {
    let scanID = try await admin.prepare("SELECT \(columns) FROM bench.kv WHERE token(k) > ? AND token(k) <= ?")
    var conns: [AdminConnection] = []
    for _ in 0..<scanSplits { conns.append(try await AdminConnection.connect(address, group: loop)) }
    let step = UInt64.max / UInt64(scanSplits)
    let t0 = nowNanos()
    let c0 = cpuMicros()
    let total = try await withThrowingTaskGroup(of: Int.self) { group in
        for s in 0..<scanSplits {
            let lower = Int64.min &+ Int64(bitPattern: step &* UInt64(s))
            let upper = s == scanSplits - 1 ? Int64.max : Int64.min &+ Int64(bitPattern: step &* UInt64(s + 1))
            let c = conns[s]
            group.addTask {
                var n = 0
                var paging: ByteBuffer?
                repeat {
                    var lo = ByteBuffer(), hi = ByteBuffer()
                    lo.writeInteger(lower)
                    hi.writeInteger(upper)
                    let params = CQLQueryParameters(values: [.bytes(lo), .bytes(hi)], skipMetadata: true,
                                                    pageSize: Int32(pageSize), pagingState: paging)
                    guard case .result(.rows(let page)) = try await c.send(.execute(id: scanID, params)) else {
                        throw BenchError("scan page failed")
                    }
                    n += page.rowCount
                    paging = page.metadata.pagingState
                } while paging != nil
                return n
            }
        }
        var sum = 0
        for try await n in group { sum += n }
        return sum
    }
    let seconds = Double(nowNanos() - t0) / 1e9
    say(String(format: "scan SELECT %@: %d rows in %.2f s = %.0f rows/s, %.3f cpu-us/row (%d splits, pages of %d)",
                 columns as NSString, total, seconds, Double(total) / seconds, (cpuMicros() - c0) / Double(max(1, total)),
                 scanSplits, pageSize))
    for c in conns { try? await c.channel.close() }
}
try await scan("k, v", splits: scanSplits, pageSize: pageSize)
try await scan("k", splits: scanSplits, pageSize: pageSize)

try? await admin.channel.close()
if let server, let node {
    await server.stop()
    try node.drain()
    _ = server
    try? FileManager.default.removeItem(atPath: dir)
}
