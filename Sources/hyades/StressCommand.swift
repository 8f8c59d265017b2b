import ArgumentParser
import Foundation
import HyadesStress
import NIOPosix
import Synchronization

/// `hyades stress write|read|mixed|scan`: load a node through the native protocol and
/// report throughput and latency percentiles, as cassandra-stress does (docs/stress.md).
struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Load a node through CQL and report op/s and latency percentiles (like cassandra-stress).",
        discussion: "write: prepared single-row INSERTs into keyspace1.standard1 (created if missing). "
            + "read: prepared point SELECTs of random keys. mixed: both (--ratio W:R). "
            + "scan: token-range SELECTs over --ranges slices of the ring, paged.")

    @Argument(help: "write, read, mixed or scan.")
    var workload: String

    @Option(help: "Node address.") var host = "127.0.0.1"
    @Option(help: "Native transport port.") var port = 9042
    @Option(help: "Requests in flight at once.") var threads = 128
    @Option(help: "Connections to each node (default: 2 for write and mixed, 1 for read and scan).") var connections: Int?
    @Option(name: .customLong("event-loops"), help: "Client event-loop threads.") var eventLoops = 1
    @Option(help: "Limit to this many operations per second.") var rate: Double?
    @Option(help: "Operations to run (scan: all ranges once).") var count: Int?
    @Option(help: "Seconds to run (instead of --count).") var duration: Double?
    @Option(help: "Key population 0..<keys.") var keys = 1_000_000
    @Option(help: "Consistency level (ONE, LOCAL_ONE, QUORUM, ...).") var consistency = "LOCAL_ONE"
    @Option(help: "Frame compression: none, lz4 or snappy.") var compression = "none"
    @Option(help: "Mixed workload writes:reads, e.g. 1:3.") var ratio = "1:1"
    @Option(help: "Scan: token ranges.") var ranges = 256
    @Option(name: .customLong("page-size"), help: "Scan: rows per page.") var pageSize: Int32 = 5000
    @Option(help: "Blob columns per row.") var columns = 5
    @Option(name: .customLong("column-size"), help: "Bytes per column value.") var columnSize = 34
    @Option(help: "Keyspace of the stress table.") var keyspace = "keyspace1"
    @Option(help: "Name of the stress table.") var table = "standard1"
    @Option(help: "Seconds between progress lines.") var interval = 1.0
    @Option(help: "Request timeout in seconds.") var timeout = 12.0

    func settings() throws -> StressSettings {
        guard let w = StressSettings.Workload(rawValue: workload.lowercased()) else {
            throw ValidationError("unknown workload '\(workload)': use write, read, mixed or scan")
        }
        var s = StressSettings(workload: w)
        s.host = host; s.port = port; s.threads = threads; s.connections = connections; s.eventLoops = eventLoops
        s.rate = rate; s.count = count; s.durationSeconds = duration; s.keys = keys
        s.ranges = ranges; s.pageSize = pageSize; s.columns = columns; s.columnSize = columnSize
        s.keyspace = keyspace; s.table = table
        s.intervalSeconds = interval; s.timeoutSeconds = timeout
        guard s.setConsistency(consistency) else { throw ValidationError("unknown consistency level '\(consistency)'") }
        guard s.setCompression(compression) else { throw ValidationError("unknown compression '\(compression)': use none, lz4 or snappy") }
        let parts = ratio.split(separator: ":")
        guard parts.count == 2, let wr = Int(parts[0]), let rd = Int(parts[1]) else {
            throw ValidationError("--ratio must look like 1:3 (writes:reads)")
        }
        s.writeRatio = wr; s.readRatio = rd
        if let p = s.problem { throw ValidationError(p) }
        return s
    }

    func run() throws {
        let s = try settings()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: s.eventLoops)
        let outcome = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        // ArgumentParser's root command is synchronous: run the async work in a Task and wait.
        Task {
            do {
                _ = try await StressRunner.run(s, group: group) { line in
                    // Unbuffered, so progress shows when piped (tee, CI logs).
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))
                }
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        try? group.syncShutdownGracefully()
        if let error = outcome.withLock({ $0 }) {
            FileHandle.standardError.write(Data("hyades stress: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
