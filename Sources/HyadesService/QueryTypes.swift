import Foundation
import HyadesCore
import HyadesCQL

/// A failed request: the native protocol error code and Cassandra's message.
public struct QueryError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Int32, Hashable, Sendable {
        case serverError = 0x0000
        case protocolError = 0x000A
        case overloaded = 0x1001
        case syntaxError = 0x2000
        case unauthorized = 0x2100
        case invalid = 0x2200
        case configError = 0x2300
        case alreadyExists = 0x2400
        case unprepared = 0x2500
    }

    public var code: Code
    public var message: String
    /// ALREADY_EXISTS: keyspace and table ("" for a keyspace).
    public var keyspace: String?
    public var table: String?
    /// UNPREPARED: the unknown statement id.
    public var unpreparedID: [UInt8]?

    public init(_ code: Code, _ message: String, keyspace: String? = nil, table: String? = nil, unpreparedID: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.keyspace = keyspace
        self.table = table
        self.unpreparedID = unpreparedID
    }

    public var description: String { "[0x\(String(code.rawValue, radix: 16))] \(message)" }

    static func invalid(_ m: String) -> QueryError { QueryError(.invalid, m) }
    static func server(_ m: String) -> QueryError { QueryError(.serverError, m) }

    init(_ e: CQLAnalysisError) {
        let code = Code(rawValue: e.code.rawValue) ?? .invalid
        self.init(code, e.message, keyspace: e.existing?.keyspace, table: e.existing?.table)
    }

    init(_ e: CQLSyntaxError) {
        self.init(.syntaxError, e.description)
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
    /// QUERY / EXECUTE flag 0x40: the values' names, matched to the bind markers' names
    /// (`QueryProcessor+NamedValues.swift`); nil = positional.
    public var valueNames: [String]? = nil

    public init(consistency: ConsistencyLevel = .one, pageSize: Int? = nil, pagingState: [UInt8]? = nil,
                timestamp: Int64? = nil, skipMetadata: Bool = false) {
        self.consistency = consistency
        self.pageSize = pageSize
        self.pagingState = pagingState
        self.timestamp = timestamp
        self.skipMetadata = skipMetadata
    }
}

/// One page of rows: column specs, rows of serialized values (nil = null) and the opaque
/// state to fetch the next page (nil when done).
public struct ResultPage: Sendable, Hashable {
    public var columns: [ColumnSpecification]
    public var rows: [[[UInt8]?]]
    public var pagingState: [UInt8]?

    public init(columns: [ColumnSpecification], rows: [[[UInt8]?]] = [], pagingState: [UInt8]? = nil) {
        self.columns = columns
        self.rows = rows
        self.pagingState = pagingState
    }
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
