import Foundation
import NIOCore

/// One file of a streaming session as INIT announces it.
public struct StreamingFileInfo: Hashable, Sendable {
    /// The SSTable component's file name (`hy-<generation>-<Component>`), no directory.
    public var name: String
    public var sizeBytes: UInt64

    public init(name: String, sizeBytes: UInt64) {
        self.name = name
        self.sizeBytes = sizeBytes
    }
}

/// A table's columns as the node stores them, with the stable column ids an SSTable's
/// cells must carry: what a loader needs to write SSTables the node can adopt (the ids
/// are not visible through CQL). Key columns come first, in key order.
public struct StreamingTableSchema: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        // On-wire values: never change.
        case partitionKey = 0
        case clustering = 1
        case regular = 2
        case `static` = 3
    }

    public struct Column: Hashable, Sendable {
        public var id: UInt16
        public var name: String
        /// CQL type text, e.g. `bigint`, `frozen<list<int>>`.
        public var type: String
        public var kind: Kind
        /// Clustering columns only: CLUSTERING ORDER BY ... DESC.
        public var descending: Bool

        public init(id: UInt16, name: String, type: String, kind: Kind, descending: Bool = false) {
            self.id = id
            self.name = name
            self.type = type
            self.kind = kind
            self.descending = descending
        }
    }

    public var keyspace: String
    public var table: String
    public var columns: [Column]

    public init(keyspace: String, table: String, columns: [Column]) {
        self.keyspace = keyspace
        self.table = table
        self.columns = columns
    }

    public var partitionKeyColumns: [Column] { columns.filter { $0.kind == .partitionKey } }
    public var clusteringColumns: [Column] { columns.filter { $0.kind == .clustering } }
    /// Regular and static columns.
    public var valueColumns: [Column] { columns.filter { $0.kind == .regular || $0.kind == .static } }
}

/// Why a node refused a streaming session (ERROR's code). On-wire values: never change.
public enum StreamingErrorCode: UInt16, Hashable, Sendable {
    case protocolViolation = 1
    case unknownTable = 2
    case tooLarge = 3
    case checksumMismatch = 4
    case rejected = 5
    case nodeError = 6
    case busy = 7
}

/// The messages of the SSTable streaming protocol, both directions (one enum so one
/// decoder serves node and client; each side rejects the other side's messages).
public enum StreamingMessage: Hashable, Sendable {
    // client → node
    case initSession(sessionID: UUID, keyspace: String, table: String, files: [StreamingFileInfo])
    case chunk(fileIndex: UInt32, offset: UInt64, data: ByteBuffer)
    case fileEnd(fileIndex: UInt32, crc32c: UInt32)
    case commit
    /// Asks for the table's `StreamingTableSchema` (answered TABLE_SCHEMA); may precede INIT.
    case describeTable(keyspace: String, table: String)
    /// Instead of COMMIT (`hyades load --atomic`): verify the session's SSTables and keep
    /// them staged under the load id, beyond this connection, for ADOPT_LOAD.
    case stage(loadID: UUID)
    /// Adopt every session staged under the load id in one step (first message of a connection).
    case adoptLoad(loadID: UUID, keyspace: String, table: String)
    /// Discard every session staged under the load id (first message of a connection).
    case abortLoad(loadID: UUID, keyspace: String, table: String)
    // node → client
    case sessionAccepted
    case fileAccepted(fileIndex: UInt32)
    case committed(sstables: UInt32, partitions: UInt64, bytes: UInt64)
    case alreadyImported
    case error(code: StreamingErrorCode, message: String)
    case tableSchema(StreamingTableSchema)
    /// STAGE's answer: what the staged session holds (verified, not adopted yet).
    case staged(sstables: UInt32, partitions: UInt64, bytes: UInt64)
    /// ABORT_LOAD's answer: nothing of the load is staged any more.
    case loadAborted

    /// The type byte in the frame header.
    public var typeByte: UInt8 {
        switch self {
        case .initSession: return StreamingFormat.typeInit
        case .chunk: return StreamingFormat.typeChunk
        case .fileEnd: return StreamingFormat.typeFileEnd
        case .commit: return StreamingFormat.typeCommit
        case .sessionAccepted: return StreamingFormat.typeSessionAccepted
        case .fileAccepted: return StreamingFormat.typeFileAccepted
        case .committed: return StreamingFormat.typeCommitted
        case .alreadyImported: return StreamingFormat.typeAlreadyImported
        case .error: return StreamingFormat.typeError
        case .describeTable: return StreamingFormat.typeDescribeTable
        case .tableSchema: return StreamingFormat.typeTableSchema
        case .stage: return StreamingFormat.typeStage
        case .adoptLoad: return StreamingFormat.typeAdoptLoad
        case .abortLoad: return StreamingFormat.typeAbortLoad
        case .staged: return StreamingFormat.typeStaged
        case .loadAborted: return StreamingFormat.typeLoadAborted
        }
    }
}
