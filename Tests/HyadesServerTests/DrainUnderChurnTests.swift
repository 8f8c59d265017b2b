#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HyadesTestSupport
import Synchronization
import Testing

/// SIGTERM while connections keep arriving on every listener (native_transport_port and
/// storage_port): the real `hyades server` must stop accepting, end every accepted
/// connection properly, drain and exit 0. Before the fix a connection accepted on
/// storage_port during the drain trapped in swift-nio ("NIOAsyncWriter deinited without
/// finish", SIGILL) in up to 10 of 10 runs.
@Suite struct DrainUnderChurnTests {
    static let host = "127.0.0.71"

    /// Opens TCP connections to `port` in a loop until `stop`, writes a few bytes on each
    /// (a partial frame), keeps up to `keep` of them open; returns how many connected.
    static func churn(port: Int, stop: StopFlag, keep: Int, bytes: [UInt8]) -> Int {
        var open: [Int32] = []
        var connected = 0
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        while !stop.value.load(ordering: .relaxed) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if fd < 0 { usleep(1000); continue }
            let ok = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if ok == 0 {
                connected += 1
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                open.append(fd)
                if open.count > keep { close(open.removeFirst()) }
            } else {
                close(fd)
                usleep(2000)   // refused: the listener is closed; keep trying until the node exits
            }
        }
        for fd in open { close(fd) }
        return connected
    }

    /// `count` connections opened at once (non-blocking connects), left open.
    static func burst(port: Int, count: Int) -> [Int32] {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        var fds: [Int32] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            _ = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fds.append(fd)
        }
        return fds
    }

    @Test func sigtermWhileConnectionsArriveOnEveryPortDrainsAndExitsZero() throws {
        for run in 0..<6 {
            let node = try HyadesServerProcess(host: Self.host, storagePort: 0)
            defer { node.removeData() }
            try #require(node.nativePort > 0 && node.storagePort > 0, "server did not start: \(node.log.value)")
            let stop = StopFlag()
            let counts = Mutex<[Int]>([0, 0, 0, 0, 0])
            let group = DispatchGroup()
            // Two threads per port: a CQL STARTUP header cut short, a streaming INIT frame cut short.
            let targets: [(Int, [UInt8])] = [(node.nativePort, [0x04, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00]),
                                             (node.nativePort, [0x04]),
                                             (node.storagePort, [0x00, 0x00, 0x00, 0x20, 0x01, 0x48, 0x59]),
                                             (node.storagePort, [0x00]),
                                             (node.storagePort, [])]
            for (index, (port, bytes)) in targets.enumerated() {
                group.enter()
                Thread {
                    let n = Self.churn(port: port, stop: stop, keep: 30, bytes: bytes)
                    counts.withLock { $0[index] = n }
                    group.leave()
                }.start()
            }
            // Let connections pile up (60 and more open) before the signal, keep opening during the drain.
            usleep(150_000)
            // And a burst of 60 just before it: the node is still accepting them when the signal comes.
            let burst = Self.burst(port: node.storagePort, count: 60)
            defer { for fd in burst { close(fd) } }
            node.process.terminate()
            var waited = 0
            while node.process.isRunning && waited < 30_000 { usleep(10_000); waited += 10 }
            stop.value.store(true, ordering: .relaxed)
            group.wait()
            let status = node.terminate()
            let log = node.log.value
            #expect(node.process.terminationReason == .exit, "run \(run): killed by a signal:\n\(log)")
            #expect(status == 0, "run \(run): exit status \(status):\n\(log)")
            #expect(log.contains("listeners closed and every connection ended"), "run \(run):\n\(log)")
            #expect(log.contains("drained; storage engine shut down cleanly"), "run \(run):\n\(log)")
            let connected = counts.withLock { $0 }
            // Threads 0-1 churn the CQL port, 2-3 the streaming port.
            #expect(connected[0] + connected[1] > 0 && connected[2] + connected[3] + connected[4] > 0, "run \(run): connections \(connected)")
        }
    }
}

final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}
