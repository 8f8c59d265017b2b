/// Converts a CQL constant, as the parser keeps it (its kind and source text), into the
/// serialized value of the receiving column's type, with Cassandra's assignability rules
/// (`Constants.Type.testAssignment`) and error wording:
/// `Invalid STRING constant (abc) for "k" of type int`.
///
/// Composite literals (collections, tuples, UDTs) are assembled by the analyzer from the
/// serialized elements with `CQLLiteral.collection` / `.map` / `.tuple`.
public enum CQLLiteral {
    /// The lexical kind of a constant (Cassandra's `Constants.Type`).
    public enum Kind: String, Hashable, Sendable {
        case string = "STRING", integer = "INTEGER", float = "FLOAT", boolean = "BOOLEAN"
        case uuid = "UUID", hex = "HEX", duration = "DURATION"
    }

    /// Serializes `text` (a constant of `kind`) as a value of `type` for the column (or
    /// bind variable) named `receiver`.
    public static func serialize(_ text: String, kind: Kind, type: CQLType, receiver: String) throws(CQLLiteralError) -> [UInt8] {
        let t = type.unfrozen
        func invalid() -> CQLLiteralError {
            CQLLiteralError("Invalid \(kind.rawValue) constant (\(text)) for \"\(receiver)\" of type \(type.cqlName)")
        }
        func unable(_ detail: String? = nil) -> CQLLiteralError {
            CQLLiteralError(detail ?? "Unable to make \(t.cqlName) from '\(text)'")
        }
        guard assignable(kind, to: t) else { throw invalid() }
        switch t {
        case .tinyint:
            guard let v = Int8(text) else { throw unable() }
            return [UInt8(bitPattern: v)]
        case .smallint:
            guard let v = Int16(text) else { throw unable() }
            return bigEndian(UInt64(UInt16(bitPattern: v)), 2)
        case .int:
            guard let v = Int32(text) else { throw unable() }
            return bigEndian(UInt64(UInt32(bitPattern: v)), 4)
        case .bigint, .counter:
            guard let v = Int64(text) else { throw unable() }
            return bigEndian(UInt64(bitPattern: v), 8)
        case .varint:
            guard let b = CQLVarint.bytes(fromDecimal: text) else { throw unable() }
            return b
        case .decimal:
            guard let b = decimal(text) else { throw unable("Value '\(text)' is not a valid representation of a decimal value") }
            return b
        case .float:
            guard let f = Float(floatText(text)) else { throw unable() }
            return bigEndian(UInt64(f.bitPattern), 4)
        case .double:
            guard let d = Double(floatText(text)) else { throw unable() }
            return bigEndian(d.bitPattern, 8)
        case .boolean:
            switch text.lowercased() {
            case "true": return [1]
            case "false": return [0]
            default: throw unable()
            }
        case .text:
            return Array(text.utf8)
        case .ascii:
            let b = Array(text.utf8)
            if let bad = b.firstIndex(where: { $0 >= 0x80 }) {
                throw CQLLiteralError("Invalid ASCII character in string literal \(text) at byte \(bad) for \"\(receiver)\"")
            }
            return b
        case .blob:
            guard let b = hexBlob(text) else { throw unable("cannot parse '\(text)' as hex bytes") }
            return b
        case .uuid, .timeuuid:
            guard let b = uuid(text) else { throw unable("Unable to make UUID from '\(text)'") }
            if t == .timeuuid, b[6] >> 4 != 1 {
                throw CQLLiteralError("Unsupported UUID version for \"\(receiver)\" of type timeuuid: \(text) is not a time-based (version 1) UUID")
            }
            return b
        case .timestamp:
            let ms: Int64
            if kind == .integer {
                guard let v = Int64(text) else { throw unable() }
                ms = v
            } else {
                guard let v = CQLTemporalParse.timestampMillis(text) else {
                    throw CQLLiteralError("Unable to parse a date/time from '\(text)'")
                }
                ms = v
            }
            return bigEndian(UInt64(bitPattern: ms), 8)
        case .date:
            let days: UInt32
            if kind == .integer {
                guard let v = UInt32(text) else { throw CQLLiteralError("Unable to make unsigned int (for date) from: '\(text)'") }
                days = v
            } else {
                guard let d = CQLTemporalParse.daysSinceEpoch(text),
                      let v = UInt32(exactly: d + CQLTemporal.dateEpoch) else {
                    throw CQLLiteralError("Unable to coerce '\(text)' to a formatted date (long)")
                }
                days = v
            }
            return bigEndian(UInt64(days), 4)
        case .time:
            let nanos: Int64
            if kind == .integer {
                guard let v = Int64(text), v >= 0, v < CQLTemporal.nanosPerDay else {
                    throw CQLLiteralError("Input long out of bounds: \(text)")
                }
                nanos = v
            } else {
                guard let v = CQLTemporalParse.timeNanos(text) else {
                    throw CQLLiteralError("Unable to coerce '\(text)' to a formatted time (long)")
                }
                nanos = v
            }
            return bigEndian(UInt64(bitPattern: nanos), 8)
        case .inet:
            guard let b = CQLInetParse.parse(text) else { throw CQLLiteralError("Unable to make inet address from '\(text)'") }
            return b
        case .duration:
            guard let d = CQLDurationParse.parse(text) else {
                throw CQLLiteralError("Unable to convert '\(text)' to a duration")
            }
            return CQLSerialized.duration(months: d.months, days: d.days, nanos: d.nanos)
        default:
            throw invalid()
        }
    }

    /// Cassandra's assignability of constant kinds to types.
    public static func assignable(_ kind: Kind, to type: CQLType) -> Bool {
        switch kind {
        case .string:
            switch type { case .ascii, .text, .inet, .date, .time, .timestamp, .duration: return true; default: return false }
        case .integer:
            switch type {
            case .bigint, .counter, .date, .decimal, .double, .float, .int, .smallint, .time, .timestamp,
                 .tinyint, .varint: return true
            default: return false
            }
        case .float:
            switch type { case .decimal, .double, .float: return true; default: return false }
        case .boolean: return type == .boolean
        case .uuid: return type == .uuid || type == .timeuuid
        case .hex: return type == .blob
        case .duration: return type == .duration
        }
    }

    static func bigEndian(_ x: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: x >> UInt64(8 * (width - 1 - $0))) }
    }

    /// `NaN`, `Infinity`, `-Infinity` as Swift spells them.
    static func floatText(_ s: String) -> String {
        switch s {
        case "NaN", "-NaN": return "nan"
        case "Infinity": return "inf"
        case "-Infinity": return "-inf"
        default: return s
        }
    }

    public static func hexBlob(_ text: String) -> [UInt8]? {
        var s = Substring(text)
        if s.hasPrefix("0x") || s.hasPrefix("0X") { s = s.dropFirst(2) }
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = hexDigit(u[i]), let l = hexDigit(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` to 16 bytes.
    public static func uuid(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count == 36, u[8] == 0x2D, u[13] == 0x2D, u[18] == 0x2D, u[23] == 0x2D else { return nil }
        let hex = u.filter { $0 != 0x2D }
        guard hex.count == 32 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: 32, by: 2) {
            guard let h = hexDigit(hex[i]), let l = hexDigit(hex[i + 1]) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    /// `-12.345e-3` as int32 scale + varint unscaled value.
    static func decimal(_ text: String) -> [UInt8]? {
        var s = Substring(text)
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(s[s.index(after: e)...]) else { return nil }
            exponent = x
            s = s[..<e]
        }
        var digits = String(s)
        var scale = 0
        if let dot = digits.firstIndex(of: ".") {
            scale = digits.distance(from: dot, to: digits.endIndex) - 1
            digits.remove(at: dot)
        }
        guard !digits.isEmpty, digits != "-", digits != "+" else { return nil }
        guard let unscaled = CQLVarint.bytes(fromDecimal: digits) else { return nil }
        let (diff, overflow) = scale.subtractingReportingOverflow(exponent)
        guard !overflow, let sc = Int32(exactly: diff) else { return nil }
        return bigEndian(UInt64(UInt32(bitPattern: sc)), 4) + unscaled
    }

    // MARK: Composite values (protocol v4 encoding)

    /// A list or set value: int32 count, then int32 length + bytes per element.
    public static func collection(_ elements: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        CQLSerialized.appendInt32(Int32(elements.count), to: &out)
        for e in elements {
            CQLSerialized.appendInt32(Int32(e.count), to: &out)
            out += e
        }
        return out
    }

    public static func map(_ entries: [([UInt8], [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        CQLSerialized.appendInt32(Int32(entries.count), to: &out)
        for (k, v) in entries {
            CQLSerialized.appendInt32(Int32(k.count), to: &out)
            out += k
            CQLSerialized.appendInt32(Int32(v.count), to: &out)
            out += v
        }
        return out
    }

    /// A tuple or UDT value: int32 length + bytes per component, -1 for null.
    public static func tuple(_ components: [[UInt8]?]) -> [UInt8] {
        var out: [UInt8] = []
        for c in components {
            if let c {
                CQLSerialized.appendInt32(Int32(c.count), to: &out)
                out += c
            } else {
                CQLSerialized.appendInt32(-1, to: &out)
            }
        }
        return out
    }

    /// Elements of a serialized list/set (or keys and values of a map, interleaved).
    public static func elements(of value: [UInt8], perEntry: Int) throws(CQLLiteralError) -> [[UInt8]] {
        let r = value.withUnsafeBytes { CQLSerialized.collectionElements($0, perEntry: perEntry).map { $0.map { Array($0) } } }
        switch r {
        case .success(let e): return e
        case .failure(let err): throw CQLLiteralError(err.message)
        }
    }
}

public struct CQLLiteralError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension CQLLiteral {
    /// Components of a serialized tuple or UDT value (nil for null components).
    public static func tupleComponents(of value: [UInt8], maxCount: Int) throws(CQLLiteralError) -> [[UInt8]?] {
        let r = value.withUnsafeBytes { CQLSerialized.tupleElements($0, maxCount: maxCount).map { $0.map { $0.map { Array($0) } } } }
        switch r {
        case .success(let e): return e
        case .failure(let err): throw CQLLiteralError(err.message)
        }
    }
}
