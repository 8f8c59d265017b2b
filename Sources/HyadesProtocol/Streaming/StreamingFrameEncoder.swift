import Foundation
import HyadesCore
import NIOCore

/// Writes `StreamingMessage`s as checksummed frames (docs/formats/streaming.md).
/// Use as `MessageToByteHandler(StreamingFrameEncoder())`.
public struct StreamingFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = StreamingMessage

    public init() {}

    public func encode(data: StreamingMessage, out: inout ByteBuffer) throws {
        Self.write(data, into: &out)
    }

    /// Appends one whole frame to `out`.
    public static func write(_ message: StreamingMessage, into out: inout ByteBuffer) {
        let start = out.writerIndex
        out.writeInteger(UInt32(0))
        out.writeInteger(message.typeByte)
        switch message {
        case .initSession(let id, let keyspace, let table, let files):
            out.writeBytes(StreamingFormat.magic)
            out.writeInteger(StreamingFormat.version)
            out.writeBytes(withUnsafeBytes(of: id.uuid) { Array($0) })
            writeString(keyspace, into: &out)
            writeString(table, into: &out)
            out.writeInteger(UInt32(files.count))
            for f in files {
                writeString(f.name, into: &out)
                out.writeInteger(f.sizeBytes)
            }
        case .chunk(let index, let offset, let data):
            out.writeInteger(index)
            out.writeInteger(offset)
            out.writeImmutableBuffer(data)
        case .fileEnd(let index, let crc):
            out.writeInteger(index)
            out.writeInteger(crc)
        case .commit, .sessionAccepted, .alreadyImported, .loadAborted:
            break
        case .stage(let id):
            out.writeBytes(withUnsafeBytes(of: id.uuid) { Array($0) })
        case .adoptLoad(let id, let keyspace, let table), .abortLoad(let id, let keyspace, let table):
            out.writeBytes(withUnsafeBytes(of: id.uuid) { Array($0) })
            writeString(keyspace, into: &out)
            writeString(table, into: &out)
        case .staged(let sstables, let partitions, let bytes):
            out.writeInteger(sstables)
            out.writeInteger(partitions)
            out.writeInteger(bytes)
        case .fileAccepted(let index):
            out.writeInteger(index)
        case .committed(let sstables, let partitions, let bytes):
            out.writeInteger(sstables)
            out.writeInteger(partitions)
            out.writeInteger(bytes)
        case .describeTable(let keyspace, let table):
            writeString(keyspace, into: &out)
            writeString(table, into: &out)
        case .tableSchema(let schema):
            writeString(schema.keyspace, into: &out)
            writeString(schema.table, into: &out)
            out.writeInteger(UInt16(min(schema.columns.count, StreamingFormat.maxColumns)))
            for c in schema.columns.prefix(StreamingFormat.maxColumns) {
                out.writeInteger(c.id)
                out.writeInteger(c.kind.rawValue)
                out.writeInteger(UInt8(c.descending ? 1 : 0))
                writeString(c.name, into: &out)
                writeString(c.type, into: &out)
            }
        case .error(let code, let message):
            out.writeInteger(code.rawValue)
            // An error message is for people: cut rather than fail on an overlong one.
            var m = Array(message.utf8)
            if m.count > 4096 { m = Array(m[0..<4096]) }
            out.writeInteger(UInt16(m.count))
            out.writeBytes(m)
        }
        let end = out.writerIndex
        out.setInteger(UInt32(end - start - 4), at: start)
        let crc = out.withVeryUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
        out.writeInteger(crc)
    }

    /// Strings longer than a u16 length are cut at the limit; the sender validates
    /// names (keyspace, table, file) before it gets here.
    static func writeString(_ s: String, into out: inout ByteBuffer) {
        let bytes = Array(s.utf8.prefix(StreamingFormat.maxStringBytes))
        out.writeInteger(UInt16(bytes.count))
        out.writeBytes(bytes)
    }
}
