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
    // node → client
    case sessionAccepted
    case fileAccepted(fileIndex: UInt32)
    case committed(sstables: UInt32, partitions: UInt64, bytes: UInt64)
    case alreadyImported
    case error(code: StreamingErrorCode, message: String)

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
        }
    }
}
