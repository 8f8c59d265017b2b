/// Printing serialized values: `literal` as cqlsh shows them (text and ascii single-quoted
/// with '' escaping, as cqlsh shows them inside collections and as CQL literals; temporal
/// values and inet unquoted, as cqlsh prints them), and `json` as Cassandra's
/// `SELECT JSON` / `toJson()` writes them.
///
/// Never throws: a value that is not valid for its type prints as a blob (`0x...`), the
/// empty value of a non-string type prints as nothing (literal) / `null` (JSON).
public enum CQLValueFormat {
    public static func literal(_ value: [UInt8], type: CQLType) -> String {
        value.withUnsafeBytes { literal($0, type: type) }
    }

    public static func literal(_ value: UnsafeRawBufferPointer, type: CQLType) -> String {
        if value.isEmpty, !acceptsEmpty(type) { return "" }
        guard type.problem(value) == nil else { return hex(value) }
        return formatLiteral(value, type)
    }

    public static func json(_ value: [UInt8], type: CQLType) -> String {
        value.withUnsafeBytes { json($0, type: type) }
    }

    public static func json(_ value: UnsafeRawBufferPointer, type: CQLType) -> String {
        if value.isEmpty, !acceptsEmpty(type) { return "null" }
        guard type.problem(value) == nil else { return jsonString(hex(value)) }
        return formatJSON(value, type)
    }

    static func acceptsEmpty(_ type: CQLType) -> Bool {
        switch type.unfrozen {
        case .text, .ascii, .blob, .tuple, .udt: return true
        default: return false
        }
    }

    // MARK: Scalars shared by both forms

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `0x` + lower-case hex.
    public static func hex(_ v: UnsafeRawBufferPointer) -> String {
        var bytes: [UInt8] = [0x30, 0x78]
        bytes.reserveCapacity(2 + 2 * v.count)
        for b in v {
            bytes.append(hexDigits[Int(b >> 4)])
            bytes.append(hexDigits[Int(b & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func int64(_ v: UnsafeRawBufferPointer) -> Int64 {
        // Sign-extend a 1, 2, 4 or 8-byte big-endian integer.
        var x = Int64(Int8(bitPattern: v[0]))
        for i in 1..<v.count { x = x << 8 | Int64(v[i]) }
        return x
    }

    static func uuidString(_ v: UnsafeRawBufferPointer) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        for i in 0..<16 {
            if i == 4 || i == 6 || i == 8 || i == 10 { bytes.append(0x2D) }
            bytes.append(hexDigits[Int(v[i] >> 4)])
            bytes.append(hexDigits[Int(v[i] & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Shortest round-trip form (Swift's, which is Python's repr); CQL names for specials.
    static func floating<F: BinaryFloatingPoint & CustomStringConvertible>(_ x: F) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x < 0 ? "-Infinity" : "Infinity" }
        return x.description
    }

    /// Java's BigDecimal.toString (also Python's str(Decimal)): plain when the scale is
    /// non-negative and the adjusted exponent >= -6, otherwise scientific `1.23E+5`.
    static func decimalString(_ v: UnsafeRawBufferPointer) -> String {
        let scale = Int64(Int32(bitPattern: CQLSerialized.loadUInt32(v, 0)))
        let (negative, mag) = BigMagnitude.fromTwosComplement(UnsafeRawBufferPointer(rebasing: v[4...]))
        let coeff = String(decoding: mag.decimalDigits().map { $0 + 0x30 }, as: UTF8.self)
        let n = Int64(coeff.count)
        let adjusted = -scale + (n - 1)
        var s = negative ? "-" : ""
        if scale >= 0 && adjusted >= -6 {
            if scale == 0 {
                s += coeff
            } else if n > scale {
                let cut = coeff.index(coeff.startIndex, offsetBy: Int(n - scale))
                s += coeff[..<cut] + "." + coeff[cut...]
            } else {
                s += "0." + String(repeating: "0", count: Int(scale - n)) + coeff
            }
        } else {
            s += String(coeff.prefix(1))
            if n > 1 { s += "." + coeff.dropFirst() }
            s += "E" + (adjusted > 0 ? "+" : "") + String(adjusted)
        }
        return s
    }

    /// Dotted quad, or IPv6 as glibc's inet_ntop writes it (longest run of >= 2 zero groups
    /// as `::`, embedded IPv4 for ::ffff:a.b.c.d and ::a.b.c.d).
    static func inetString(_ v: UnsafeRawBufferPointer) -> String {
        if v.count == 4 { return "\(v[0]).\(v[1]).\(v[2]).\(v[3])" }
        var words = [Int](repeating: 0, count: 8)
        for i in 0..<8 { words[i] = Int(v[2 * i]) << 8 | Int(v[2 * i + 1]) }
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for i in 0..<8 {
            if words[i] == 0 {
                if curBase < 0 { curBase = i; curLen = 1 } else { curLen += 1 }
            } else if curBase >= 0 {
                if curLen > bestLen { bestBase = curBase; bestLen = curLen }
                curBase = -1
            }
        }
        if curBase >= 0, curLen > bestLen { bestBase = curBase; bestLen = curLen }
        if bestLen < 2 { bestBase = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestBase {
                out += ":"
                i += bestLen
                if i == 8 { out += ":" }
                continue
            }
            if i > 0 { out += ":" }
            if i == 6, bestBase == 0, bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF) {
                out += "\(v[12]).\(v[13]).\(v[14]).\(v[15])"
                break
            }
            out += String(words[i], radix: 16)
            i += 1
        }
        return out
    }

    static func text(_ v: UnsafeRawBufferPointer) -> String {
        String(decoding: v, as: UTF8.self)
    }

    static func quoted(_ s: String) -> String {
        "'" + s.replacingAll("'", with: "''") + "'"
    }

    // MARK: Literal

    static func formatLiteral(_ v: UnsafeRawBufferPointer, _ type: CQLType) -> String {
        switch type {
        case .ascii, .text: return quoted(text(v))
        case .blob: return hex(v)
        case .boolean: return v[0] == 0 ? "false" : "true"
        case .tinyint, .smallint, .int, .bigint, .counter: return String(int64(v))
        case .varint: return CQLVarint.decimalString(v) ?? ""
        case .decimal: return decimalString(v)
        case .float: return floating(Float(bitPattern: CQLSerialized.loadUInt32(v, 0)))
        case .double: return floating(Double(bitPattern: CQLSerialized.loadUInt64(v, 0)))
        case .timestamp:
            let ms = int64(v)
            return CQLTemporal.timestampString(millis: ms) ?? String(ms)
        case .date:
            let raw = Int64(CQLSerialized.loadUInt32(v, 0))
            return CQLTemporal.dateString(daysSinceEpoch: raw - CQLTemporal.dateEpoch) ?? String(raw)
        case .time: return CQLTemporal.timeString(nanos: int64(v))
        case .uuid, .timeuuid: return uuidString(v)
        case .inet: return inetString(v)
        case .duration:
            guard let d = CQLSerialized.readDuration(v) else { return hex(v) }
            return CQLTemporal.durationString(months: d.months, days: d.days, nanos: d.nanos)
        case .frozen(let inner): return formatLiteral(v, inner)
        case .list(let e):
            return "[" + elements(v, 1).map { formatLiteral($0, e) }.joined(separator: ", ") + "]"
        case .set(let e):
            return "{" + elements(v, 1).map { formatLiteral($0, e) }.joined(separator: ", ") + "}"
        case .map(let k, let val):
            let es = elements(v, 2)
            return "{" + (0..<(es.count / 2)).map {
                formatLiteral(es[2 * $0], k) + ": " + formatLiteral(es[2 * $0 + 1], val)
            }.joined(separator: ", ") + "}"
        case .tuple(let ts):
            let cs = components(v, ts.count)
            return "(" + cs.enumerated().map { i, c in c.map { formatLiteral($0, ts[i]) } ?? "null" }.joined(separator: ", ") + ")"
        case .udt(_, _, let fields):
            let cs = components(v, fields.count)
            return "{" + cs.enumerated().map { i, c in
                CQLType.maybeQuote(fields[i].name) + ": " + (c.map { formatLiteral($0, fields[i].type) } ?? "null")
            }.joined(separator: ", ") + "}"
        }
    }

    /// Collection elements of an already validated value.
    static func elements(_ v: UnsafeRawBufferPointer, _ perEntry: Int) -> [UnsafeRawBufferPointer] {
        (try? CQLSerialized.collectionElements(v, perEntry: perEntry).get()) ?? []
    }

    static func components(_ v: UnsafeRawBufferPointer, _ max: Int) -> [UnsafeRawBufferPointer?] {
        (try? CQLSerialized.tupleElements(v, maxCount: max).get()) ?? []
    }

    // MARK: JSON

    /// `s` as a JSON string literal, quotes included.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    static func formatJSON(_ v: UnsafeRawBufferPointer, _ type: CQLType) -> String {
        switch type {
        case .ascii, .text: return jsonString(text(v))
        case .blob: return jsonString(hex(v))
        case .boolean: return v[0] == 0 ? "false" : "true"
        case .tinyint, .smallint, .int, .bigint, .counter, .varint, .decimal:
            return formatLiteral(v, type)
        case .float:
            let x = Float(bitPattern: CQLSerialized.loadUInt32(v, 0))
            return x.isFinite ? x.description : "null"  // JSON has no NaN / Infinity (Cassandra: null)
        case .double:
            let x = Double(bitPattern: CQLSerialized.loadUInt64(v, 0))
            return x.isFinite ? x.description : "null"
        case .timestamp:
            let ms = int64(v)
            return CQLTemporal.timestampJSONString(millis: ms).map(jsonString) ?? String(ms)
        case .date, .time, .uuid, .timeuuid, .inet, .duration:
            return jsonString(formatLiteral(v, type))
        case .frozen(let inner): return formatJSON(v, inner)
        case .list(let e), .set(let e):
            return "[" + elements(v, 1).map { formatJSON($0, e) }.joined(separator: ", ") + "]"
        case .map(let k, let val):
            let es = elements(v, 2)
            return "{" + (0..<(es.count / 2)).map {
                // JSON object keys are strings: a non-string key's JSON text is quoted again.
                var key = formatJSON(es[2 * $0], k)
                if !key.hasPrefix("\"") { key = jsonString(key) }
                return key + ": " + formatJSON(es[2 * $0 + 1], val)
            }.joined(separator: ", ") + "}"
        case .tuple(let ts):
            let cs = components(v, ts.count)
            return "[" + cs.enumerated().map { i, c in c.map { formatJSON($0, ts[i]) } ?? "null" }.joined(separator: ", ") + "]"
        case .udt(_, _, let fields):
            let cs = components(v, fields.count)
            return "{" + fields.indices.map { i in
                let c = i < cs.count ? cs[i] : nil
                return jsonString(fields[i].name) + ": " + (c.map { formatJSON($0, fields[i].type) } ?? "null")
            }.joined(separator: ", ") + "}"
        }
    }
}
