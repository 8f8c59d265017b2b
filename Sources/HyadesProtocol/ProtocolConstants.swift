// The numbers of native protocol v4 (Cassandra's doc/native_protocol_v4.spec), in one
// place, so every codec file names them instead of repeating literals.

/// Protocol-wide constants and the limits Hyades applies by default.
public enum CQLProtocol {
    /// The only protocol version served: requests carry 0x04, responses 0x84.
    public static let version: UInt8 = 0x04
    /// Bit 7 of the version byte: set on responses (server to client).
    public static let responseDirectionBit: UInt8 = 0x80
    public static let requestVersion: UInt8 = 0x04
    public static let responseVersion: UInt8 = 0x84

    /// version, flags, stream (i16), opcode, length (u32).
    public static let headerLength = 9
    /// Protocol v1 and v2 used a one-byte stream, so their header is 8 bytes; we only
    /// need that to answer them with "unsupported version" on the right stream.
    static let legacyHeaderLength = 8

    /// Cassandra's `native_transport_max_frame_size` default (16 MiB).
    public static let defaultMaxBodyBytes = 16 * 1024 * 1024
    /// Largest body we agree to decompress to. Compressed input is already capped by the
    /// frame limit; this caps what a tiny "decompression bomb" may expand into.
    public static let defaultMaxUncompressedBodyBytes = 64 * 1024 * 1024

    /// The CQL language version advertised in SUPPORTED and accepted in STARTUP.
    public static let cqlVersion = "3.4.7"
    /// Stream id of server-pushed EVENT frames.
    public static let eventStream: Int16 = -1

    /// What SUPPORTED says by default.
    public static var defaultSupportedOptions: [String: [String]] {
        [
            StartupKey.cqlVersion: [cqlVersion],
            StartupKey.compression: CQLCompression.allCases.map(\.rawValue),
        ]
    }

    /// STARTUP option keys we act on (others, such as DRIVER_NAME, are ignored).
    public enum StartupKey {
        public static let cqlVersion = "CQL_VERSION"
        public static let compression = "COMPRESSION"
        public static let noCompact = "NO_COMPACT"
        public static let throwOnOverload = "THROW_ON_OVERLOAD"
    }

    /// The exact text drivers match when falling back to a lower version.
    public static func unsupportedVersionMessage(_ version: UInt8) -> String {
        "Invalid or unsupported protocol version (\(version)); supported versions are (4/v4)"
    }
}

/// Frame header flags (spec section 2.2).
public struct CQLFrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let compressed = CQLFrameFlags(rawValue: 0x01)
    public static let tracing = CQLFrameFlags(rawValue: 0x02)
    public static let customPayload = CQLFrameFlags(rawValue: 0x04)
    public static let warning = CQLFrameFlags(rawValue: 0x08)
}

/// Message opcodes (spec section 2.4). There is no 0x04 in v4.
public enum CQLOpcode: UInt8, Hashable, Sendable, CaseIterable {
    case error = 0x00
    case startup = 0x01
    case ready = 0x02
    case authenticate = 0x03
    case options = 0x05
    case supported = 0x06
    case query = 0x07
    case result = 0x08
    case prepare = 0x09
    case execute = 0x0A
    case register = 0x0B
    case event = 0x0C
    case batch = 0x0D
    case authChallenge = 0x0E
    case authResponse = 0x0F
    case authSuccess = 0x10

    /// Whether a client may send this opcode.
    public var isRequest: Bool {
        switch self {
        case .startup, .authResponse, .options, .query, .prepare, .execute, .batch, .register: return true
        default: return false
        }
    }
}

/// RESULT kinds (spec section 4.2.5).
enum CQLResultKind {
    static let void: Int32 = 0x0001
    static let rows: Int32 = 0x0002
    static let setKeyspace: Int32 = 0x0003
    static let prepared: Int32 = 0x0004
    static let schemaChange: Int32 = 0x0005
}

/// Rows / prepared metadata flags (spec sections 4.2.5.2 and 4.2.5.4).
enum CQLMetadataFlag {
    static let globalTablesSpec: Int32 = 0x0001
    static let hasMorePages: Int32 = 0x0002
    static let noMetadata: Int32 = 0x0004
}

/// QUERY / EXECUTE / BATCH parameter flags (spec section 4.1.4).
enum CQLQueryFlag {
    static let values: UInt8 = 0x01
    static let skipMetadata: UInt8 = 0x02
    static let pageSize: UInt8 = 0x04
    static let pagingState: UInt8 = 0x08
    static let serialConsistency: UInt8 = 0x10
    static let defaultTimestamp: UInt8 = 0x20
    static let namesForValues: UInt8 = 0x40
}
