import NIOCore

/// A request message (spec section 4.1), without frame concerns (stream, flags,
/// compression: see `CQLMessageCodec`).
public enum CQLRequest: Hashable, Sendable {
    /// Options such as CQL_VERSION and COMPRESSION; unknown keys are kept and ignored.
    case startup([String: String])
    /// SASL token; for PLAIN `\0user\0password`.
    case authResponse([UInt8]?)
    case options
    case query(String, CQLQueryParameters)
    case prepare(String)
    case execute(id: [UInt8], CQLQueryParameters)
    case batch(CQLBatch)
    /// Event types: TOPOLOGY_CHANGE, STATUS_CHANGE, SCHEMA_CHANGE.
    case register([String])

    public var opcode: CQLOpcode {
        switch self {
        case .startup: return .startup
        case .authResponse: return .authResponse
        case .options: return .options
        case .query: return .query
        case .prepare: return .prepare
        case .execute: return .execute
        case .batch: return .batch
        case .register: return .register
        }
    }

    /// Appends the body to `out`.
    public func write(to out: inout ByteBuffer) throws {
        switch self {
        case .startup(let options): try out.writeCQLStringMap(options)
        case .authResponse(let token): try out.writeCQLBytes(token)
        case .options: break
        case .query(let text, let params):
            try out.writeCQLLongString(text)
            try params.write(to: &out)
        case .prepare(let text): try out.writeCQLLongString(text)
        case .execute(let id, let params):
            try out.writeCQLShortBytes(id)
            try params.write(to: &out)
        case .batch(let batch): try batch.write(to: &out)
        case .register(let events): try out.writeCQLStringList(events)
        }
    }

    /// Decodes a body of the given opcode. Bytes after the message are ignored, as the
    /// spec asks (room for extensions). Errors are `ProtocolError`s on stream 0; the
    /// codec re-attributes them to the frame's stream.
    public static func read(opcode: CQLOpcode, from body: inout ByteBuffer) throws -> CQLRequest {
        switch opcode {
        case .startup: return .startup(try body.readCQLStringMap("STARTUP options"))
        case .authResponse: return .authResponse(try body.readCQLBytesArray("auth token"))
        case .options: return .options
        case .query:
            let text = try body.readCQLLongString("query string")
            return .query(text, try CQLQueryParameters.read(from: &body))
        case .prepare: return .prepare(try body.readCQLLongString("query string"))
        case .execute:
            let id = try body.readCQLShortBytes("prepared id")
            return .execute(id: id, try CQLQueryParameters.read(from: &body))
        case .batch: return .batch(try CQLBatch.read(from: &body))
        case .register: return .register(try body.readCQLStringList("event types"))
        default:
            throw ProtocolError.unexpectedOpcode(opcode, stream: 0)
        }
    }
}
