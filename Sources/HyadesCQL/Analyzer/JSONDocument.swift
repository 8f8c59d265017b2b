import HyadesCore

/// A parsed JSON document for `INSERT ... JSON '...'`. Numbers keep their source text so
/// that bigint, varint and decimal values arrive exactly (no trip through Double).
indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Keys in document order.
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.description == b.description }
    func hash(into h: inout Hasher) { h.combine(description) }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return "\"\(s)\""
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .object(let o): return "{" + o.map { "\"\($0.0)\": \($0.1.description)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A small strict JSON parser (RFC 8259) over UTF-8 bytes; errors name the byte offset.
struct JSONParser {
    let bytes: [UInt8]
    var i = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    static func parse(_ text: String) throws(CQLAnalysisError) -> JSONValue {
        var p = JSONParser(text)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw p.fail("unexpected data after the JSON value") }
        return v
    }

    func fail(_ what: String) -> CQLAnalysisError {
        .invalid("Could not decode JSON string: \(what) at character \(i)")
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func literal(_ word: String, _ v: JSONValue) throws(CQLAnalysisError) -> JSONValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("invalid literal") }
        i += w.count
        return v
    }

    mutating func value(depth: Int) throws(CQLAnalysisError) -> JSONValue {
        // Deep nesting is bad input, not a reason to exhaust the stack.
        guard depth < 64 else { throw fail("nesting deeper than 64") }
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1
            var out: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            while true {
                skipSpace()
                out.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "{"):
            i += 1
            var out: [(String, JSONValue)] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let k = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                skipSpace()
                out.append((k, try value(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
                throw fail("expected ',' or '}'")
            }
        default:
            return .number(try number())
        }
    }

    mutating func number() throws(CQLAnalysisError) -> String {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            let s = p.i
            while p.i < p.bytes.count, p.bytes[p.i] >= 0x30, p.bytes[p.i] <= 0x39 { p.i += 1 }
            return p.i - s
        }
        guard digits(&self) > 0 else { throw fail("invalid value") }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw fail("invalid number") }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw fail("invalid number") }
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func string() throws(CQLAnalysisError) -> String {
        i += 1   // opening quote
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            i += 1
            switch b {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard i < bytes.count else { throw fail("unterminated string") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
            default:
                guard b >= 0x20 else { throw fail("control character in string") }
                out.append(b)
            }
        }
        throw fail("unterminated string")
    }

    mutating func hex4() throws(CQLAnalysisError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            i += 1
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid \\u escape")
            }
            v = v << 4 | d
        }
        return v
    }
}

/// Turns JSON values into the CQL terms a user would have written for a column's type
/// (Cassandra's `fromJson` rules): strings for text, dates, times, inet; numbers or
/// numeric strings for numbers; "0x..." strings for blobs; arrays for lists, sets and
/// tuples; objects for maps (keys are strings, read as the key type) and user types.
enum JSONTerms {
    static func term(_ v: JSONValue, type: CQLType, column: String) throws(CQLAnalysisError) -> Term {
        func bad() -> CQLAnalysisError {
            .invalid("Error decoding JSON value for \(column): expected a value of type \(type.cqlName), got \(v.description)")
        }
        if case .null = v { return Term(.null) }
        switch type.unfrozen {
        case .list(let e), .set(let e):
            guard case .array(let items) = v else { throw bad() }
            var out: [Term] = []
            for x in items { out.append(try term(x, type: e, column: column)) }
            if case .set = type.unfrozen { return Term(.set(out)) }
            return Term(.list(out))
        case .map(let k, let val):
            guard case .object(let entries) = v else { throw bad() }
            var out: [MapEntry] = []
            for (key, x) in entries {
                // JSON keys are always strings; a non-text key is read from its text.
                let keyTerm = try term([.text, .ascii].contains(k.unfrozen) ? .string(key) : keyValue(key), type: k, column: column)
                out.append(MapEntry(key: keyTerm, value: try term(x, type: val, column: column)))
            }
            return Term(.map(out))
        case .tuple(let types):
            guard case .array(let items) = v, items.count <= types.count else { throw bad() }
            var out: [Term] = []
            for (i, x) in items.enumerated() { out.append(try term(x, type: types[i], column: column)) }
            return Term(.tuple(out))
        case .udt(_, _, let defs):
            guard case .object(let entries) = v else { throw bad() }
            var out: [FieldValue] = []
            for (name, x) in entries {
                let field = fieldName(name)
                guard let d = defs.first(where: { $0.name == field }) else {
                    throw .invalid("Unknown field '\(field)' in JSON value for \(column)")
                }
                out.append(FieldValue(field: field, value: try term(x, type: d.type, column: column)))
            }
            return Term(.userType(out))
        case .boolean:
            switch v {
            case .bool(let b): return Term(.constant(Constant(.boolean, b ? "true" : "false")))
            case .string(let s) where s.lowercased() == "true" || s.lowercased() == "false":
                return Term(.constant(Constant(.boolean, s.lowercased())))
            default: throw bad()
            }
        case .tinyint, .smallint, .int, .bigint, .varint, .counter, .decimal, .float, .double:
            let text: String
            switch v {
            case .number(let n): text = n
            case .string(let s): text = s.trimmingSpaces()
            default: throw bad()
            }
            if ["NaN", "Infinity", "-Infinity"].contains(text) { return Term(.constant(Constant(.float, text))) }
            let isInteger = !text.isEmpty && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
            return Term(.constant(Constant(isInteger ? .integer : .float, text)))
        case .uuid, .timeuuid:
            guard case .string(let s) = v else { throw bad() }
            return Term(.constant(Constant(.uuid, s)))
        case .blob:
            guard case .string(let s) = v, s.hasPrefix("0x") || s.hasPrefix("0X") else {
                throw .invalid("Error decoding JSON value for \(column): blobs are written as strings of the form \"0x...\"")
            }
            return Term(.constant(Constant(.hexBlob, s)))
        case .duration:
            guard case .string(let s) = v else { throw bad() }
            return Term(.constant(Constant(.duration, s)))
        case .timestamp, .date, .time:
            switch v {
            case .string(let s): return Term(.constant(Constant(.string, s)))
            case .number(let n): return Term(.constant(Constant(.integer, n)))
            default: throw bad()
            }
        default:
            // text, ascii, varchar, inet.
            guard case .string(let s) = v else { throw bad() }
            return Term(.constant(Constant(.string, s)))
        }
    }

    /// A map key's text as the JSON value it stands for.
    static func keyValue(_ key: String) -> JSONValue {
        if let first = key.first, first == "[" || first == "{", let v = try? JSONParser.parse(key) { return v }
        if key == "true" || key == "false" { return .bool(key == "true") }
        return .string(key)
    }

    /// JSON keys name columns and fields case-insensitively unless double-quoted inside
    /// the key, as in Cassandra: `{"\"Mixed\"": 1}`.
    static func fieldName(_ key: String) -> String {
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") {
            return String(key.dropFirst().dropLast()).unescapingDoubledQuotes
        }
        return key.lowercased()
    }
}

extension String {
    /// `""` inside a quoted name stands for one `"`.
    var unescapingDoubledQuotes: String {
        var out = ""
        var previousQuote = false
        for c in self {
            if c == "\"" && previousQuote { previousQuote = false; continue }
            previousQuote = c == "\""
            out.append(c)
        }
        return out
    }
}
