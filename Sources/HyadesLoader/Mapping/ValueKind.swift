import HyadesCore

/// How one CSV field becomes a CQL value: a fast path for the types catalogues are
/// made of, and Core's literal rules for the rest.
/// A trivial value (no payload): the parser reads one per field, and an enum carrying a
/// `CQLType` cost a retain and a release per copy.
public enum ValueKind: Sendable, Equatable {
    case bigint, int, smallint, tinyint, double, float, boolean, text, ascii
    /// Any other scalar type (the column's): through `CQLLiteral.serialize` (slower, rare
    /// in catalogues).
    case generic

    /// nil when the type cannot come from one CSV field (non-frozen collections, UDTs,
    /// counters).
    public init?(_ type: CQLType) {
        switch type {
        case .bigint: self = .bigint
        case .int: self = .int
        case .smallint: self = .smallint
        case .tinyint: self = .tinyint
        case .double: self = .double
        case .float: self = .float
        case .boolean: self = .boolean
        case .text: self = .text
        case .ascii: self = .ascii
        case .counter, .list, .set, .map, .udt, .tuple, .frozen: return nil
        default: self = .generic
        }
    }

    public var isFloatingPoint: Bool { self == .double || self == .float }
    public var isText: Bool { self == .text || self == .ascii }
}

/// Why a field's text is not a value of its column's type.
struct ValueError: Error {
    var message: String
}

enum ValueEncoder {
    /// Appends the serialized value of `text` to `out`; throws a reason on bad text.
    @inline(__always)
    /// `column` (for messages only) is evaluated on failure: no String retained per field.
    /// `type` (the column's) is evaluated only for `.generic`.
    /// `readable` (at least `n`) bytes from `p` may be loaded: numbers are read 8 bytes
    /// at a time, past the field's end.
    static func encode(_ kind: ValueKind, _ p: UnsafePointer<UInt8>, _ n: Int, readable: Int, column columnName: @autoclosure () -> String,
                       type columnType: @autoclosure () -> CQLType, into out: inout ByteArena) throws(ValueError) {
        switch kind {
        case .bigint:
            guard let v = FastNumberParser.parseInt64(p, n, readable: readable) else { throw bad(kind, p, n, columnName()) }
            out.appendBigEndian(UInt64(bitPattern: v), width: 8)
        case .int:
            guard let v = FastNumberParser.parseInt64(p, n, readable: readable), let x = Int32(exactly: v) else { throw bad(kind, p, n, columnName()) }
            out.appendBigEndian(UInt64(UInt32(bitPattern: x)), width: 4)
        case .smallint:
            guard let v = FastNumberParser.parseInt64(p, n, readable: readable), let x = Int16(exactly: v) else { throw bad(kind, p, n, columnName()) }
            out.appendBigEndian(UInt64(UInt16(bitPattern: x)), width: 2)
        case .tinyint:
            guard let v = FastNumberParser.parseInt64(p, n, readable: readable), let x = Int8(exactly: v) else { throw bad(kind, p, n, columnName()) }
            out.appendBigEndian(UInt64(UInt8(bitPattern: x)), width: 1)
        case .double:
            guard let v = FastNumberParser.parseDouble(p, n, readable: readable) else { throw bad(kind, p, n, columnName()) }
            out.appendBigEndian(v.bitPattern, width: 8)
        case .float:
            guard let v = FastNumberParser.parseFloat(p, n, readable: readable) else { throw bad(kind, p, n, columnName()) }
            out.appendBigEndian(UInt64(v.bitPattern), width: 4)
        case .boolean:
            let b = UnsafeBufferPointer(start: p, count: n)
            if b.elementsEqual("true".utf8) || b.elementsEqual("True".utf8) || b.elementsEqual("TRUE".utf8) || b.elementsEqual("1".utf8) {
                out.append(1)
            } else if b.elementsEqual("false".utf8) || b.elementsEqual("False".utf8) || b.elementsEqual("FALSE".utf8) || b.elementsEqual("0".utf8) {
                out.append(0)
            } else {
                throw bad(kind, p, n, columnName())
            }
        case .text:
            let b = UnsafeBufferPointer(start: p, count: n)
            // Plain ASCII is the common case; validate UTF-8 only when a high byte appears.
            var ascii = true
            for c in b where c >= 0x80 { ascii = false; break }
            if !ascii && String(validating: b, as: UTF8.self) == nil {
                throw ValueError(message: "invalid UTF-8 in text column \(columnName())")
            }
            out.append(UnsafeRawBufferPointer(b))
        case .ascii:
            let b = UnsafeBufferPointer(start: p, count: n)
            for c in b where c >= 0x80 { throw ValueError(message: "non-ASCII byte in ascii column \(columnName())") }
            out.append(UnsafeRawBufferPointer(b))
        case .generic:
            let type = columnType()
            let text = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
            var lastError: CQLLiteralError?
            for k in literalKinds(type, text) {
                do {
                    let v = try CQLLiteral.serialize(text, kind: k, type: type, receiver: columnName())
                    v.withUnsafeBytes { out.append($0) }
                    return
                } catch {
                    lastError = error
                }
            }
            throw ValueError(message: lastError?.message ?? "invalid \(type.cqlName) '\(text)' for \(columnName())")
        }
    }

    static func literalKinds(_ type: CQLType, _ text: String) -> [CQLLiteral.Kind] {
        switch type.unfrozen {
        case .uuid, .timeuuid: return [.uuid]
        case .blob: return [.hex]
        case .varint: return [.integer]
        case .decimal: return [.integer, .float]
        case .timestamp, .date, .time:
            return text.allSatisfy({ $0.isNumber }) ? [.integer, .string] : [.string]
        case .duration: return [.duration, .string]
        default: return [.string]
        }
    }

    static func bad(_ kind: ValueKind, _ p: UnsafePointer<UInt8>, _ n: Int, _ column: String) -> ValueError {
        // Only the fast kinds fail here; `.generic` reports CQLLiteral's own message.
        let text = String(decoding: UnsafeBufferPointer(start: p, count: min(n, 64)), as: UTF8.self)
        let type: String
        switch kind {
        case .bigint: type = "bigint"
        case .int: type = "int"
        case .smallint: type = "smallint"
        case .tinyint: type = "tinyint"
        case .double: type = "double"
        case .float: type = "float"
        case .boolean: type = "boolean"
        case .text: type = "text"
        case .ascii: type = "ascii"
        case .generic: type = "value"
        }
        return ValueError(message: "invalid \(type) '\(text)' for column \(column)")
    }
}
