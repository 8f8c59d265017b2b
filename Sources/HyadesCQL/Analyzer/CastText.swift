import HyadesCore

/// `CAST(x AS text)`: the text Cassandra's serializers give (`toCQLLiteral`, Java's
/// toString of the value), which is not cqlsh's form: `1.0E20` for a large double,
/// `6.3` for a decimal, `2015-05-21T11:03:02.000Z` for a timestamp, `11:03:02.000000000`
/// for a time, IPv6 addresses uncompressed.
enum CastText {
    static func text(_ b: [UInt8], _ type: CQLType) -> String? {
        switch type.unfrozen {
        case .ascii, .text: return String(decoding: b, as: UTF8.self)
        case .tinyint, .smallint, .int, .bigint, .counter:
            guard [1, 2, 4, 8].contains(b.count) else { return nil }
            return String(CQLNumber.signExtend(b))
        case .varint: return CQLVarint.decimalString(b)
        case .float:
            guard b.count == 4 else { return nil }
            let f = Float(bitPattern: b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            return javaFloating(f.description, Double(f))
        case .double:
            guard b.count == 8 else { return nil }
            let d = Double(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            return javaFloating(d.description, d)
        case .decimal:
            guard b.count >= 5, let unscaled = CQLVarint.decimalString(Array(b[4...])) else { return nil }
            return bigDecimal(unscaled, scale: Int(Int32(truncatingIfNeeded: CQLNumber.signExtend(Array(b[0..<4])))))
        case .boolean:
            guard b.count == 1 else { return nil }
            return b[0] == 0 ? "false" : "true"
        case .inet:
            if b.count == 4 { return b.map { String($0) }.joined(separator: ".") }
            guard b.count == 16 else { return nil }
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }.joined(separator: ":")
        case .timestamp:
            guard let ms = CQLLiteralBytes.readInt64(b) else { return nil }
            let days = ms >= 0 ? ms / ScalarFunction.millisPerDay : (ms - ScalarFunction.millisPerDay + 1) / ScalarFunction.millisPerDay
            let rem = ms - days * ScalarFunction.millisPerDay
            return dateText(days) + "T" + clock(rem / 1000) + "." + pad(rem % 1000, 3) + "Z"
        case .date:
            guard b.count == 4 else { return nil }
            return dateText(Int64(b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) - (1 << 31))
        case .time:
            guard let nanos = CQLLiteralBytes.readInt64(b) else { return nil }
            return clock(nanos / 1_000_000_000) + "." + pad(nanos % 1_000_000_000, 9)
        case .uuid, .timeuuid:
            guard b.count == 16 else { return nil }
            let hex = b.map { pad(Int64($0), 2, radix: 16) }
            return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
        default:
            return nil
        }
    }

    static func pad(_ v: Int64, _ width: Int, radix: Int = 10) -> String {
        let s = String(v, radix: radix)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func dateText(_ days: Int64) -> String {
        let (y, m, d) = ScalarFunction.civil(days)
        return (y < 0 ? "-" + pad(-y, 4) : pad(y, 4)) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    static func clock(_ seconds: Int64) -> String {
        pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
    }

    /// Java's Double.toString / Float.toString from the shortest digits Swift prints:
    /// plain in [10^-3, 10^7) with at least one fraction digit, else `d.dddE±n`.
    static func javaFloating(_ description: String, _ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        var s = Substring(description)
        let negative = s.hasPrefix("-")
        if negative { s = s.dropFirst() }
        var exponent = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(s[s.index(after: e)...]) ?? 0
            s = s[..<e]
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = parts[0], frac = parts.count > 1 ? parts[1] : ""
        var digits = String(intPart + frac)
        var point = intPart.count + exponent  // value = 0.digits × 10^point
        while digits.count > 1, digits.hasPrefix("0") { digits.removeFirst(); point -= 1 }
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        let magnitude = abs(value)
        var out: String
        if magnitude >= 1e-3 && magnitude < 1e7 {
            if point <= 0 {
                out = "0." + String(repeating: "0", count: -point) + digits
            } else if point >= digits.count {
                out = digits + String(repeating: "0", count: point - digits.count) + ".0"
            } else {
                out = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
            }
        } else {
            let rest = digits.dropFirst()
            out = String(digits.prefix(1)) + "." + (rest.isEmpty ? "0" : String(rest)) + "E" + String(point - 1)
        }
        return negative ? "-" + out : out
    }

    /// Java's BigDecimal.toString: plain when the scale is not negative and the adjusted
    /// exponent is at least -6, else scientific (`1.23E+5`).
    static func bigDecimal(_ unscaled: String, scale: Int) -> String {
        let negative = unscaled.hasPrefix("-")
        let coefficient = negative ? String(unscaled.dropFirst()) : unscaled
        let sign = negative ? "-" : ""
        let adjusted = -scale + (coefficient.count - 1)
        if scale >= 0 && adjusted >= -6 {
            if scale == 0 { return sign + coefficient }
            if coefficient.count > scale {
                return sign + String(coefficient.dropLast(scale)) + "." + String(coefficient.suffix(scale))
            }
            return sign + "0." + String(repeating: "0", count: scale - coefficient.count) + coefficient
        }
        let rest = coefficient.dropFirst()
        return sign + String(coefficient.prefix(1)) + (rest.isEmpty ? "" : "." + rest) + "E" + (adjusted >= 0 ? "+" : "") + String(adjusted)
    }
}
