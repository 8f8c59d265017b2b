import Foundation
import HyadesCore
import NIOCore

/// Splits a byte stream into `StreamingMessage`s. The length is checked against the limit
/// as soon as its 4 bytes arrive, before any of the frame is waited for, so a garbled or
/// hostile length never becomes a large allocation. The checksum is verified before the
/// payload is parsed; chunk data is a zero-copy slice.
///
/// Use as `ByteToMessageHandler(StreamingFrameDecoder(...))`; errors are `StreamingProtocolError`.
public struct StreamingFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = StreamingMessage

    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = StreamingFormat.defaultMaxFrameBytes) {
        self.maxFrameBytes = maxFrameBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = try Self.decodeFrame(from: &buffer, maxFrameBytes: maxFrameBytes) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let n = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: n)
            throw StreamingProtocolError.malformed("connection closed inside a frame (\(n) bytes of it received)")
        }
        return .needMoreData
    }

    /// One whole message from `buffer`, or nil (reader index untouched) if more bytes are needed.
    public static func decodeFrame(from buffer: inout ByteBuffer, maxFrameBytes: Int) throws -> StreamingMessage? {
        let start = buffer.readerIndex
        guard let length = buffer.getInteger(at: start, as: UInt32.self) else { return nil }
        guard length >= 1 else { throw StreamingProtocolError.malformed("frame length 0 (no message type)") }
        guard Int(length) <= maxFrameBytes else {
            throw StreamingProtocolError(.tooLarge, "frame of \(length) bytes exceeds the limit of \(maxFrameBytes)")
        }
        let total = 4 + Int(length) + StreamingFormat.frameTrailerBytes
        guard buffer.readableBytes >= total else { return nil }
        let computed = buffer.withUnsafeReadableBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(4 + Int(length))])) }
        let stored = buffer.getInteger(at: start + 4 + Int(length), as: UInt32.self)!
        guard computed == stored else {
            throw StreamingProtocolError.malformed(
                "frame checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): garbled in transit")
        }
        let type = buffer.getInteger(at: start + 4, as: UInt8.self)!
        var payload = buffer.getSlice(at: start + StreamingFormat.frameHeaderBytes, length: Int(length) - 1)!
        buffer.moveReaderIndex(forwardBy: total)
        let message = try parse(type: type, payload: &payload)
        guard payload.readableBytes == 0 else {
            throw StreamingProtocolError.malformed("message 0x\(String(type, radix: 16)) has \(payload.readableBytes) unexpected trailing bytes")
        }
        return message
    }

    static func parse(type: UInt8, payload p: inout ByteBuffer) throws -> StreamingMessage {
        switch type {
        case StreamingFormat.typeInit:
            guard let magic = p.readBytes(length: 4), magic == StreamingFormat.magic else {
                throw StreamingProtocolError.malformed("not a Hyades streaming client (bad INIT magic)")
            }
            let version: UInt16 = try int(&p, "version")
            guard version == StreamingFormat.version else {
                throw StreamingProtocolError.malformed("unsupported streaming version \(version) (this node speaks \(StreamingFormat.version))")
            }
            let id = try uuid(&p, "session id")
            let keyspace = try string(&p, "keyspace")
            let table = try string(&p, "table")
            let count: UInt32 = try int(&p, "file count")
            guard count <= StreamingFormat.maxFilesPerSession else {
                throw StreamingProtocolError(.tooLarge, "\(count) files in one session (at most \(StreamingFormat.maxFilesPerSession))")
            }
            var files: [StreamingFileInfo] = []
            files.reserveCapacity(Int(count))
            for i in 0..<count {
                let name = try string(&p, "file \(i) name")
                let size: UInt64 = try int(&p, "file \(i) size")
                files.append(StreamingFileInfo(name: name, sizeBytes: size))
            }
            return .initSession(sessionID: id, keyspace: keyspace, table: table, files: files)
        case StreamingFormat.typeChunk:
            let index: UInt32 = try int(&p, "file index")
            let offset: UInt64 = try int(&p, "offset")
            let data = p.readSlice(length: p.readableBytes)!
            return .chunk(fileIndex: index, offset: offset, data: data)
        case StreamingFormat.typeFileEnd:
            return .fileEnd(fileIndex: try int(&p, "file index"), crc32c: try int(&p, "file checksum"))
        case StreamingFormat.typeCommit:
            return .commit
        case StreamingFormat.typeStage:
            return .stage(loadID: try uuid(&p, "load id"))
        case StreamingFormat.typeAdoptLoad:
            return .adoptLoad(loadID: try uuid(&p, "load id"), keyspace: try string(&p, "keyspace"), table: try string(&p, "table"))
        case StreamingFormat.typeAbortLoad:
            return .abortLoad(loadID: try uuid(&p, "load id"), keyspace: try string(&p, "keyspace"), table: try string(&p, "table"))
        case StreamingFormat.typeStaged:
            return .staged(sstables: try int(&p, "sstable count"), partitions: try int(&p, "partition count"),
                           bytes: try int(&p, "byte count"))
        case StreamingFormat.typeLoadAborted:
            return .loadAborted
        case StreamingFormat.typeDescribeTable:
            return .describeTable(keyspace: try string(&p, "keyspace"), table: try string(&p, "table"))
        case StreamingFormat.typeTableSchema:
            let keyspace = try string(&p, "keyspace")
            let table = try string(&p, "table")
            let count: UInt16 = try int(&p, "column count")
            var columns: [StreamingTableSchema.Column] = []
            for i in 0..<count {
                let id: UInt16 = try int(&p, "column \(i) id")
                let rawKind: UInt8 = try int(&p, "column \(i) kind")
                guard let kind = StreamingTableSchema.Kind(rawValue: rawKind) else {
                    throw StreamingProtocolError.malformed("column \(i) has unknown kind \(rawKind)")
                }
                let descending: UInt8 = try int(&p, "column \(i) order")
                let name = try string(&p, "column \(i) name")
                let type = try string(&p, "column \(i) type")
                columns.append(.init(id: id, name: name, type: type, kind: kind, descending: descending != 0))
            }
            return .tableSchema(StreamingTableSchema(keyspace: keyspace, table: table, columns: columns))
        case StreamingFormat.typeSessionAccepted:
            return .sessionAccepted
        case StreamingFormat.typeFileAccepted:
            return .fileAccepted(fileIndex: try int(&p, "file index"))
        case StreamingFormat.typeCommitted:
            return .committed(sstables: try int(&p, "sstable count"), partitions: try int(&p, "partition count"),
                              bytes: try int(&p, "byte count"))
        case StreamingFormat.typeAlreadyImported:
            return .alreadyImported
        case StreamingFormat.typeError:
            let raw: UInt16 = try int(&p, "error code")
            // An unknown code from a newer node is still an error: report it as a node error.
            let code = StreamingErrorCode(rawValue: raw) ?? .nodeError
            return .error(code: code, message: try string(&p, "error message"))
        default:
            throw StreamingProtocolError.malformed("unknown message type 0x\(String(type, radix: 16))")
        }
    }

    private static func int<T: FixedWidthInteger>(_ p: inout ByteBuffer, _ what: String) throws -> T {
        guard let v = p.readInteger(as: T.self) else { throw truncated(what) }
        return v
    }

    private static func uuid(_ p: inout ByteBuffer, _ what: String) throws -> UUID {
        guard let b = p.readBytes(length: 16) else { throw truncated(what) }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    private static func string(_ p: inout ByteBuffer, _ what: String) throws -> String {
        guard let n = p.readInteger(as: UInt16.self) else { throw truncated(what) }
        guard let bytes = p.readBytes(length: Int(n)) else { throw truncated(what) }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw StreamingProtocolError.malformed("\(what) is not valid UTF-8")
        }
        return s
    }

    private static func truncated(_ what: String) -> StreamingProtocolError {
        .malformed("message truncated: \(what) missing")
    }

    private static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}
