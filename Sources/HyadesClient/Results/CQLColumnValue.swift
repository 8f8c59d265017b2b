import HyadesCore
import NIOCore

/// One cell decoded by its column type. Collections, tuples and UDTs decode recursively;
/// bytes that are not valid for the type come back as `.invalid` rather than a crash.
public indirect enum CQLColumnValue: Hashable, Sendable {
    case null
    case ascii(String)
    case text(String)
    case bigint(Int64)
    case counter(Int64)
    case int(Int32)
    case smallint(Int16)
    case tinyint(Int8)
    case boolean(Bool)
    case double(Double)
    case float(Float)
    case blob([UInt8])
    case uuid([UInt8])
    case timeuuid([UInt8])
    /// Milliseconds since the epoch.
    case timestamp(Int64)
    /// Days, centred on 2^31.
    case date(UInt32)
    /// Nanoseconds since midnight.
    case time(Int64)
    case inet([UInt8])
    /// Two's-complement big-endian bytes.
    case varint([UInt8])
    case decimal(scale: Int32, unscaled: [UInt8])
    /// The serialized vint triple (months, days, nanoseconds).
    case duration([UInt8])
    case list([CQLColumnValue])
    case set([CQLColumnValue])
    case map(keys: [CQLColumnValue], values: [CQLColumnValue])
    case tuple([CQLColumnValue])
    case udt(names: [String], values: [CQLColumnValue])
    /// Bytes that do not decode as the column's type.
    case invalid([UInt8])

    /// Decodes `bytes` (nil = null) as `type`.
    public init(bytes: [UInt8]?, type: CQLType) {
        guard let bytes else { self = .null; return }
        self = bytes.withUnsafeBytes { Self.decode($0, type) }
    }

    static func decode(_ v: UnsafeRawBufferPointer, _ type: CQLType) -> CQLColumnValue {
        func int(_ width: Int) -> Int64? {
            guard v.count == width else { return nil }
            var x = Int64(Int8(bitPattern: v[0]))
            for i in 1..<width { x = x << 8 | Int64(v[i]) }
            return x
        }
        let bytes = Array(v)
        switch type.unfrozen {
        case .ascii: return .ascii(String(decoding: v, as: UTF8.self))
        case .text: return .text(String(decoding: v, as: UTF8.self))
        case .blob: return .blob(bytes)
        case .bigint: return int(8).map { .bigint($0) } ?? .invalid(bytes)
        case .counter: return int(8).map { .counter($0) } ?? .invalid(bytes)
        case .timestamp: return int(8).map { .timestamp($0) } ?? .invalid(bytes)
        case .time: return int(8).map { .time($0) } ?? .invalid(bytes)
        case .int: return int(4).map { .int(Int32($0)) } ?? .invalid(bytes)
        case .date: return int(4).map { .date(UInt32(bitPattern: Int32($0))) } ?? .invalid(bytes)
        case .smallint: return int(2).map { .smallint(Int16($0)) } ?? .invalid(bytes)
        case .tinyint: return v.count == 1 ? .tinyint(Int8(bitPattern: v[0])) : .invalid(bytes)
        case .boolean: return v.count == 1 ? .boolean(v[0] != 0) : .invalid(bytes)
        case .double: return int(8).map { .double(Double(bitPattern: UInt64(bitPattern: $0))) } ?? .invalid(bytes)
        case .float: return int(4).map { .float(Float(bitPattern: UInt32(truncatingIfNeeded: $0))) } ?? .invalid(bytes)
        case .uuid: return v.count == 16 ? .uuid(bytes) : .invalid(bytes)
        case .timeuuid: return v.count == 16 ? .timeuuid(bytes) : .invalid(bytes)
        case .inet: return v.count == 4 || v.count == 16 ? .inet(bytes) : .invalid(bytes)
        case .varint: return v.isEmpty ? .invalid(bytes) : .varint(bytes)
        case .decimal:
            guard v.count > 4 else { return .invalid(bytes) }
            let scale = Int32(bitPattern: UInt32(v[0]) << 24 | UInt32(v[1]) << 16 | UInt32(v[2]) << 8 | UInt32(v[3]))
            return .decimal(scale: scale, unscaled: Array(bytes[4...]))
        case .duration: return .duration(bytes)
        case .list(let e):
            return Self.elements(v, perEntry: 1).map { .list($0.map { Self.decodeOptional($0, e) }) } ?? .invalid(bytes)
        case .set(let e):
            return Self.elements(v, perEntry: 1).map { .set($0.map { Self.decodeOptional($0, e) }) } ?? .invalid(bytes)
        case .map(let k, let val):
            guard let flat = Self.elements(v, perEntry: 2) else { return .invalid(bytes) }
            var keys: [CQLColumnValue] = [], values: [CQLColumnValue] = []
            for i in stride(from: 0, to: flat.count, by: 2) {
                keys.append(Self.decodeOptional(flat[i], k))
                values.append(Self.decodeOptional(flat[i + 1], val))
            }
            return .map(keys: keys, values: values)
        case .tuple(let types):
            guard let parts = Self.components(v, max: types.count) else { return .invalid(bytes) }
            return .tuple(parts.enumerated().map { Self.decodeOptional($1, types[$0]) })
        case .udt(_, _, let fields):
            guard let parts = Self.components(v, max: fields.count) else { return .invalid(bytes) }
            return .udt(names: fields.prefix(parts.count).map(\.name),
                        values: parts.enumerated().map { Self.decodeOptional($1, fields[$0].type) })
        case .frozen:
            return .invalid(bytes)  // unfrozen never returns .frozen
        }
    }

    static func decodeOptional(_ v: [UInt8]?, _ type: CQLType) -> CQLColumnValue {
        guard let v else { return .null }
        return v.withUnsafeBytes { decode($0, type) }
    }

    static func readInt32(_ v: UnsafeRawBufferPointer, _ o: inout Int) -> Int32? {
        guard v.count - o >= 4 else { return nil }
        let x = Int32(bitPattern: UInt32(v[o]) << 24 | UInt32(v[o + 1]) << 16 | UInt32(v[o + 2]) << 8 | UInt32(v[o + 3]))
        o += 4
        return x
    }

    /// Collection body: int32 count, then count × perEntry [int32 length, bytes].
    static func elements(_ v: UnsafeRawBufferPointer, perEntry: Int) -> [[UInt8]?]? {
        var o = 0
        guard let n = readInt32(v, &o), n >= 0, Int(n) <= v.count / 4 else { return nil }
        var out: [[UInt8]?] = []
        for _ in 0..<(Int(n) * perEntry) {
            guard let len = readInt32(v, &o) else { return nil }
            if len < 0 { out.append(nil); continue }
            guard v.count - o >= Int(len) else { return nil }
            out.append(Array(v[o..<(o + Int(len))]))
            o += Int(len)
        }
        return out
    }

    /// Tuple / UDT body: [int32 length, bytes] per component up to the end.
    static func components(_ v: UnsafeRawBufferPointer, max: Int) -> [[UInt8]?]? {
        var o = 0
        var out: [[UInt8]?] = []
        while o < v.count {
            guard out.count < max, let len = readInt32(v, &o) else { return nil }
            if len < 0 { out.append(nil); continue }
            guard v.count - o >= Int(len) else { return nil }
            out.append(Array(v[o..<(o + Int(len))]))
            o += Int(len)
        }
        return out
    }
}
