import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage

/// A failed request: the native protocol error code and Cassandra's message.
public struct QueryError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Int32, Hashable, Sendable {
        case serverError = 0x0000
        case protocolError = 0x000A
        case unavailable = 0x1000
        case overloaded = 0x1001
        case writeTimeout = 0x1100
        case readTimeout = 0x1200
        case readFailure = 0x1300
        case writeFailure = 0x1500
        case syntaxError = 0x2000
        case unauthorized = 0x2100
        case invalid = 0x2200
        case configError = 0x2300
        case alreadyExists = 0x2400
        case unprepared = 0x2500
        /// Not an answer: the request needs other replicas' data first (`deferral`); the
        /// server fetches it and runs the request again. Never sent to a client.
        case deferred = -1
    }

    public var code: Code
    public var message: String
    /// ALREADY_EXISTS: keyspace and table ("" for a keyspace).
    public var keyspace: String?
    public var table: String?
    /// UNPREPARED: the unknown statement id.
    public var unpreparedID: [UInt8]?
    /// UNAVAILABLE and READ_FAILURE: the consistency level, the replicas it needs
    /// (block for) and the replicas alive (UNAVAILABLE) or that answered (READ_FAILURE).
    public var consistency: ConsistencyLevel?
    public var required: Int32 = 0
    public var alive: Int32 = 0
    /// READ_FAILURE / WRITE_FAILURE: how many replicas failed.
    public var failures: Int32 = 0
    /// WRITE_TIMEOUT / WRITE_FAILURE: Cassandra's write type (SIMPLE, BATCH, UNLOGGED_BATCH,
    /// COUNTER, BATCH_LOG, CAS, VIEW, CDC).
    public var writeType: String?
    /// READ_TIMEOUT / READ_FAILURE: whether the replica asked for data answered.
    public var dataPresent = false
    /// `.deferred`: what to fetch before running the request again.
    public var deferral: ReplicaPrefetch?

    public init(_ code: Code, _ message: String, keyspace: String? = nil, table: String? = nil, unpreparedID: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.keyspace = keyspace
        self.table = table
        self.unpreparedID = unpreparedID
    }

    public var description: String { "[0x\(String(code.rawValue, radix: 16))] \(message)" }

    static func invalid(_ m: String) -> QueryError { QueryError(.invalid, m) }

    /// Cassandra's UnavailableException: too few replicas alive to even try.
    public static func unavailable(_ cl: ConsistencyLevel, required: Int, alive: Int, dataCenter: String? = nil) -> QueryError {
        var e = QueryError(.unavailable, "Cannot achieve consistency level \(cl)" + (dataCenter.map { " in DC \($0)" } ?? ""))
        e.consistency = cl
        e.required = Int32(required)
        e.alive = Int32(alive)
        return e
    }
    static func server(_ m: String) -> QueryError { QueryError(.serverError, m) }

    /// Cassandra's WriteTimeoutException: the replicas that acknowledged in time were
    /// fewer than the level blocks for (the write may still have reached some).
    public static func writeTimeout(_ cl: ConsistencyLevel, received: Int, blockFor: Int, writeType: String) -> QueryError {
        var e = QueryError(.writeTimeout, "Operation timed out - received only \(received) responses.")
        e.consistency = cl
        e.required = Int32(blockFor)
        e.alive = Int32(received)
        e.writeType = writeType
        return e
    }

    /// Cassandra's WriteFailureException: replicas answered with errors, so the level
    /// cannot be met any more.
    public static func writeFailure(_ cl: ConsistencyLevel, received: Int, blockFor: Int, failures: Int,
                                    writeType: String) -> QueryError {
        var e = QueryError(.writeFailure, "Operation failed - received \(received) responses and \(failures) failures")
        e.consistency = cl
        e.required = Int32(blockFor)
        e.alive = Int32(received)
        e.failures = Int32(failures)
        e.writeType = writeType
        return e
    }

    /// Cassandra's ReadTimeoutException (read_request_timeout / range_request_timeout).
    public static func readTimeout(_ cl: ConsistencyLevel, received: Int, blockFor: Int, dataPresent: Bool) -> QueryError {
        var e = QueryError(.readTimeout, "Operation timed out - received only \(received) responses.")
        e.consistency = cl
        e.required = Int32(blockFor)
        e.alive = Int32(received)
        e.dataPresent = dataPresent
        return e
    }

    /// Cassandra's ReadFailureException: replicas answered a read with errors.
    public static func readFailure(_ cl: ConsistencyLevel, received: Int, blockFor: Int, failures: Int,
                                   dataPresent: Bool, reason: String) -> QueryError {
        var e = QueryError(.readFailure, "Operation failed - received \(received) responses and \(failures) failures: \(reason)")
        e.consistency = cl
        e.required = Int32(blockFor)
        e.alive = Int32(received)
        e.failures = Int32(failures)
        e.dataPresent = dataPresent
        return e
    }

    init(_ e: CQLAnalysisError) {
        let code = Code(rawValue: e.code.rawValue) ?? .invalid
        self.init(code, e.message, keyspace: e.existing?.keyspace, table: e.existing?.table)
    }

    init(_ e: CQLSyntaxError) {
        self.init(.syntaxError, e.description)
    }

    /// Any error of a read as the client sees it: query errors as they are, analysis
    /// errors with their codes, anything else (storage, corruption) as a server error.
    init(reading error: any Error) {
        switch error {
        case let e as QueryError: self = e
        case let e as CQLAnalysisError: self.init(e)
        case let e as SSTableCorruptionError:
            // The replica's read failed: Cassandra answers READ_FAILURE (0x1300), not a
            // server error; the message names the file and offset.
            self.init(.readFailure, "Operation failed - received 0 responses and 1 failures: \(e)")
            failures = 1
            required = 1
        case let e as TombstoneOverwhelmingError:
            // The replica's read failed (Cassandra's READ_TOO_MANY_TOMBSTONES).
            self.init(.readFailure, "Operation failed - received 0 responses and 1 failures: READ_TOO_MANY_TOMBSTONES (\(e))")
            failures = 1
            required = 1
        default: self.init(.serverError, "\(error)")
        }
    }
}

/// Per-connection state (the session keyspace set by USE).
public struct ClientState: Sendable, Hashable {
    public var keyspace: String?
    public init(keyspace: String? = nil) { self.keyspace = keyspace }
}

/// Per-request options of QUERY / EXECUTE.
public struct QueryOptions: Sendable, Hashable {
    public var consistency: ConsistencyLevel
    /// Rows per page; nil or <= 0 = no paging.
    public var pageSize: Int?
    public var pagingState: [UInt8]?
    /// Client-supplied write timestamp (µs).
    public var timestamp: Int64?
    public var skipMetadata: Bool
    /// The serial consistency of a conditional statement (SERIAL when not given).
    public var serialConsistency: ConsistencyLevel? = nil
    /// BATCH messages: LOGGED, UNLOGGED or COUNTER (client warnings and limits depend on it).
    public var batchType: BatchType = .logged
    /// Where the request's client warnings go (the RESULT's warnings, flag 0x08); nil: dropped.
    public var warnings: ClientWarnings? = nil
    /// QUERY / EXECUTE flag 0x40: the values' names, matched to the bind markers' names
    /// (`QueryProcessor+NamedValues.swift`); nil = positional.
    public var valueNames: [String]? = nil
    /// Set by the server: writes record what they must reach before the answer
    /// (`WriteAcknowledgement`) instead of blocking this thread until then.
    public var acknowledgement: WriteAcknowledgement? = nil
    /// Point reads that need other replicas record them instead of waiting (the server's
    /// requests set this; the request then ends `.deferred` and is run again).
    public var defersReads = false
    /// On the re-run of a deferred request: the partitions fetched from the replicas.
    public var prefetch: ReplicaPrefetch? = nil

    public init(consistency: ConsistencyLevel = .one, pageSize: Int? = nil, pagingState: [UInt8]? = nil,
                timestamp: Int64? = nil, skipMetadata: Bool = false) {
        self.consistency = consistency
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.timestamp = timestamp
        self.skipMetadata = skipMetadata
    }
}

/// The kind of a BATCH message (or `BEGIN [UNLOGGED | COUNTER] BATCH`).
public enum BatchType: UInt8, Sendable, Hashable {
    case logged = 0, unlogged = 1, counter = 2
}

/// Collects the warnings Cassandra sends with a RESULT (batch too large, unlogged batch
/// across too many partitions, aggregation without a partition key, too many tombstones
/// read): one collector per request, read by the server when it writes the response.
public final class ClientWarnings: @unchecked Sendable, Hashable {
    private let lock = NSLock()
    private var messages: [String] = []

    public init() {}

    public func add(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        messages.append(message)
    }

    /// The warnings so far, and none after.
    public func take() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        defer { messages = [] }
        return messages
    }

    public var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return messages
    }

    public static func == (a: ClientWarnings, b: ClientWarnings) -> Bool { a === b }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

/// One page of rows: column specs, the rows already in the native protocol's
/// `<rows_content>` form (per row, per column, a [bytes]: big-endian i32 length, -1 =
/// null, then the value) so the server copies them into a frame without touching a row,
/// and the opaque state to fetch the next page (nil when done).
public struct ResultPage: Sendable, Hashable {
    public var columns: [ColumnSpecification]
    public var rowCount: Int
    /// `rowCount` × `columns.count` [bytes] cells.
    public var content: [UInt8]
    public var pagingState: [UInt8]?

    public init(columns: [ColumnSpecification], rows: [[[UInt8]?]] = [], pagingState: [UInt8]? = nil) {
        self.columns = columns
        var w = RowsWriter()
        for r in rows {
            for cell in r { if let cell { w.append(cell) } else { w.appendNull() } }
            w.endRow()
        }
        self.rowCount = w.rowCount
        self.content = w.bytes
        self.pagingState = pagingState
    }

    public init(columns: [ColumnSpecification], rowCount: Int, content: [UInt8], pagingState: [UInt8]?) {
        self.columns = columns
        self.rowCount = rowCount
        self.content = content
        self.pagingState = pagingState
    }

    /// The rows decoded (nil = null): one array per row, for tests and slow paths.
    public var rows: [[[UInt8]?]] {
        get {
            var out: [[[UInt8]?]] = []
            out.reserveCapacity(rowCount)
            var pos = 0
            let n = columns.count
            for _ in 0..<rowCount {
                var row: [[UInt8]?] = []
                row.reserveCapacity(n)
                for _ in 0..<n {
                    let len = Int(Int32(bitPattern: UInt32(content[pos]) << 24 | UInt32(content[pos + 1]) << 16
                                        | UInt32(content[pos + 2]) << 8 | UInt32(content[pos + 3])))
                    pos += 4
                    if len < 0 { row.append(nil) } else {
                        row.append(Array(content[pos..<(pos + len)]))
                        pos += len
                    }
                }
                out.append(row)
            }
            return out
        }
        set {
            self = ResultPage(columns: columns, rows: newValue, pagingState: pagingState)
        }
    }
}

/// Builds `ResultPage.content`: cells appended in place, nothing allocated per cell once
/// the buffer has grown.
struct RowsWriter {
    var bytes: [UInt8] = []
    var rowCount = 0

    init(reservingBytes: Int = 0) {
        if reservingBytes > 0 { bytes.reserveCapacity(reservingBytes) }
    }

    @inline(__always) mutating func appendLength(_ n: Int) {
        withUnsafeBytes(of: Int32(truncatingIfNeeded: n).bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func appendNull() { appendLength(-1) }

    @inline(__always) mutating func append(_ v: UnsafeRawBufferPointer) {
        appendLength(v.count)
        bytes.append(contentsOf: v)
    }

    @inline(__always) mutating func append(_ v: [UInt8]) {
        appendLength(v.count)
        bytes.append(contentsOf: v)
    }

    @inline(__always) mutating func appendInt64(_ v: Int64) {
        appendLength(8)
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func appendInt32(_ v: Int32) {
        appendLength(4)
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func endRow() { rowCount += 1 }
}

/// What a statement returns.
public enum QueryResult: Sendable, Hashable {
    case void
    case setKeyspace(String)
    /// change ("CREATED"/"UPDATED"/"DROPPED"), target ("KEYSPACE"/"TABLE"/"TYPE"), keyspace, name.
    case schemaChange(change: String, target: String, keyspace: String, name: String?)
    case rows(ResultPage)
}

/// A prepared statement: its id, the bind variable metadata and result columns.
public struct PreparedStatement: Sendable {
    public var id: [UInt8]
    public var query: String
    public var keyspace: String?
    public var plan: StatementPlan
    public var variables: [ColumnSpecification] { plan.variables.columns }
    public var partitionKeyIndexes: [Int] { plan.variables.partitionKeyIndexes }
    public var resultColumns: [ColumnSpecification] { plan.resultColumns }
}

/// The node's identity, as system.local reports it.
public struct NodeInfo: Sendable, Hashable {
    public var clusterName: String
    public var dataCenter: String
    public var rack: String
    public var hostID: UUID
    /// The address clients connect to (rpc_address / native address).
    public var rpcAddress: [UInt8]
    public var nativePort: Int32
    public var listenAddress: [UInt8]
    public var broadcastAddress: [UInt8]
    public var tokens: [String]

    public init(clusterName: String = "Hyades", dataCenter: String = "datacenter1", rack: String = "rack1",
                hostID: UUID = UUID(), rpcAddress: [UInt8] = [127, 0, 0, 1], nativePort: Int32 = 9042,
                listenAddress: [UInt8] = [127, 0, 0, 1], broadcastAddress: [UInt8] = [127, 0, 0, 1],
                tokens: [String] = ["0"]) {
        self.clusterName = clusterName
        self.dataCenter = dataCenter
        self.rack = rack
        self.hostID = hostID
        self.rpcAddress = rpcAddress
        self.nativePort = nativePort
        self.listenAddress = listenAddress
        self.broadcastAddress = broadcastAddress
        self.tokens = tokens
    }
}
