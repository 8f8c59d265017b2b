import HyadesCore
import HyadesClient
import HyadesProtocol

/// What `hyades stress` runs, as parsed from the command line.
public struct StressSettings: Sendable {
    public enum Workload: String, Sendable, CaseIterable {
        /// Prepared single-partition INSERTs of keys 0, 1, 2, ... (mod `keys`).
        case write
        /// Prepared point SELECTs of uniformly random keys in 0..<keys.
        case read
        /// Writes and reads in the ratio `writeRatio : readRatio`.
        case mixed
        /// `SELECT ... WHERE token(key) > ? AND token(key) <= ?` over `ranges` slices of the ring, paged.
        case scan
    }

    public var workload: Workload
    public var host: String = "127.0.0.1"
    public var port: Int = 9042
    /// Requests in flight at once (cassandra-stress's "threads"; here they are chains of
    /// futures on the event loops, not OS threads).
    public var threads: Int = 128
    /// Connections to each node; nil = the workload's default (`effectiveConnections`).
    public var connections: Int?
    /// Two for writes and mixed: the node runs the write path of each connection on one of
    /// its event loops, so one connection keeps it on one core (measured on 2 cores: peak
    /// writes ~25% higher). One for reads and scans: the node already hands those to its
    /// storage threads, and a second connection only halves the batches per syscall
    /// (measured: +1-2 µs client and +3-6 µs node CPU per read, lower read rates).
    public var effectiveConnections: Int {
        connections ?? (workload == .write || workload == .mixed ? 2 : 1)
    }
    /// Client event-loop threads.
    public var eventLoops: Int = 1
    /// Operations per second; nil = as fast as possible.
    public var rate: Double?
    /// Stop after this many operations...
    public var count: Int?
    /// ...or after this many seconds.
    public var durationSeconds: Double?
    /// Key population: keys 0..<keys.
    public var keys: Int = 1_000_000
    public var consistency: CQLConsistency = .localOne
    public var compression: CQLCompression?
    public var writeRatio = 1
    public var readRatio = 1
    /// Scan: number of token ranges, and rows per page.
    public var ranges: Int = 256
    public var pageSize: Int32 = 5000
    /// Regular columns and their size in bytes (cassandra-stress: 5 of 34 bytes).
    public var columns: Int = 5
    public var columnSize: Int = 34
    public var keyspace = "keyspace1"
    public var table = "standard1"
    /// Seconds between progress lines.
    public var intervalSeconds: Double = 1
    public var timeoutSeconds: Double = 12

    public init(workload: Workload) { self.workload = workload }

    /// Reads "ONE", "local_quorum", ... into `consistency`; false if unknown.
    public mutating func setConsistency(_ name: String) -> Bool {
        guard let c = CQLConsistency(name: name) else { return false }
        consistency = c
        return true
    }

    /// Reads "lz4", "snappy" or "none" into `compression`; false if unknown.
    public mutating func setCompression(_ name: String) -> Bool {
        if name.lowercased() == "none" { compression = nil; return true }
        guard let c = CQLCompression(rawValue: name.lowercased()) else { return false }
        compression = c
        return true
    }

    /// A description of the first setting that cannot work, or nil.
    public var problem: String? {
        if threads < 1 { return "--threads must be at least 1" }
        if let c = connections, c < 1 { return "--connections must be at least 1" }
        if eventLoops < 1 { return "--event-loops must be at least 1" }
        if let rate, !(rate > 0) { return "--rate must be positive" }
        if let count, count < 1 { return "--count must be at least 1" }
        if let d = durationSeconds, !(d > 0) { return "--duration must be positive" }
        if count == nil && durationSeconds == nil && workload != .scan { return "give --count or --duration" }
        if keys < 1 { return "--keys must be at least 1" }
        if writeRatio < 0 || readRatio < 0 || writeRatio + readRatio == 0 { return "--ratio needs a positive write or read share" }
        if ranges < 1 { return "--ranges must be at least 1" }
        if pageSize < 1 { return "--page-size must be at least 1" }
        if columns < 1 || columns > 100 { return "--columns must be 1...100" }
        if columnSize < 0 { return "--column-size must not be negative" }
        if !(intervalSeconds > 0) { return "--interval must be positive" }
        return nil
    }
}
