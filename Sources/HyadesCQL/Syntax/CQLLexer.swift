/// Hand-written CQL lexer over UTF-8 bytes. Follows the token shapes of Cassandra's
/// `Lexer.g`: case-insensitive keywords (as identifiers), `"quoted"` names, `'strings'`
/// with `''` escapes and `$$pg-style$$` strings, integers, floats with exponents, `0x`
/// blobs, UUIDs, durations, `--`, `//` and `/* */` comments. Every error is a thrown
/// `CQLSyntaxError`; no input traps.
public struct CQLLexer: Sendable {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var column = 0

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    /// All tokens, ending with one `.endOfInput`.
    public static func tokenize(_ text: String) throws(CQLSyntaxError) -> [CQLToken] {
        var lexer = CQLLexer(text)
        var out: [CQLToken] = []
        while true {
            let t = try lexer.next()
            out.append(t)
            if t.kind == .endOfInput { return out }
        }
    }

    var position: SourcePosition { SourcePosition(line: line, column: column, offset: index) }

    func peek(_ ahead: Int = 0) -> UInt8? {
        let i = index + ahead
        return i < bytes.count ? bytes[i] : nil
    }

    mutating func advance() {
        guard index < bytes.count else { return }
        let b = bytes[index]
        index += 1
        if b == 0x0A {
            line += 1
            column = 0
        } else if b & 0xC0 != 0x80 {
            // Count characters, not bytes: continuation bytes do not move the column.
            column += 1
        }
    }

    mutating func advance(_ n: Int) {
        for _ in 0..<n { advance() }
    }

    func text(_ from: Int, _ to: Int) -> String {
        String(decoding: bytes[from..<min(to, bytes.count)], as: UTF8.self)
    }

    func error(_ at: SourcePosition, _ message: String, token: String) -> CQLSyntaxError {
        CQLSyntaxError(at: at, token: token, message: message)
    }

    mutating func skipTrivia() throws(CQLSyntaxError) {
        while let b = peek() {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C {
                advance()
            } else if (b == UInt8(ascii: "-") && peek(1) == UInt8(ascii: "-"))
                        || (b == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while let c = peek(), c != 0x0A { advance() }
            } else if b == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let start = position
                advance(2)
                while true {
                    guard let c = peek() else {
                        throw error(start, "unterminated comment", token: "/*")
                    }
                    if c == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") { advance(2); break }
                    advance()
                }
            } else {
                return
            }
        }
    }

    public mutating func next() throws(CQLSyntaxError) -> CQLToken {
        try skipTrivia()
        let start = position
        let startIndex = index
        func make(_ kind: CQLToken.Kind, _ text: String) -> CQLToken {
            CQLToken(kind: kind, text: text, range: SourceRange(start: start, end: position),
                     raw: self.text(startIndex, index))
        }
        guard let b = peek() else {
            return CQLToken(kind: .endOfInput, text: "<EOF>", range: SourceRange(start: start, end: start), raw: "<EOF>")
        }
        if let n = uuidLength() {
            advance(n)
            return make(.uuid, text(startIndex, index))
        }
        if isLetter(b) {
            if let n = isoDurationLength() {
                advance(n)
                return make(.duration, text(startIndex, index))
            }
            while let c = peek(), isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") { advance() }
            return make(.identifier, text(startIndex, index))
        }
        if isDigit(b) {
            return try number(start, startIndex)
        }
        switch b {
        case UInt8(ascii: "\""):
            advance()
            var value: [UInt8] = []
            while true {
                guard let c = peek() else { throw error(start, "unterminated quoted identifier", token: text(startIndex, index)) }
                advance()
                if c == UInt8(ascii: "\"") {
                    if peek() == UInt8(ascii: "\"") { value.append(c); advance(); continue }
                    break
                }
                value.append(c)
            }
            if value.isEmpty { throw error(start, "empty quoted identifier", token: "\"\"") }
            return make(.quotedIdentifier, String(decoding: value, as: UTF8.self))
        case UInt8(ascii: "'"):
            advance()
            var value: [UInt8] = []
            while true {
                guard let c = peek() else { throw error(start, "unterminated string literal", token: text(startIndex, index)) }
                advance()
                if c == UInt8(ascii: "'") {
                    if peek() == UInt8(ascii: "'") { value.append(c); advance(); continue }
                    break
                }
                value.append(c)
            }
            return make(.string, String(decoding: value, as: UTF8.self))
        case UInt8(ascii: "$") where peek(1) == UInt8(ascii: "$"):
            advance(2)
            let from = index
            while true {
                guard let c = peek() else { throw error(start, "unterminated $$ string literal", token: "$$") }
                if c == UInt8(ascii: "$") && peek(1) == UInt8(ascii: "$") { break }
                advance()
            }
            let value = text(from, index)
            advance(2)
            return make(.string, value)
        default:
            break
        }
        // Operators: two-character ones first.
        if let c1 = peek(1) {
            let pair = [b, c1]
            for op in ["<=", ">=", "!=", "+=", "-="] where Array(op.utf8) == pair {
                advance(2)
                return make(.symbol, op)
            }
        }
        if "()[]{},;.:+-*/%?=<>".utf8.contains(b) {
            advance()
            return make(.symbol, String(UnicodeScalar(b)))
        }
        // Anything else (including a lone `!` or `$`, or a non-ASCII character).
        let scalarLength = utf8Length(b)
        advance(scalarLength)
        let bad = text(startIndex, index)
        throw error(start, "token recognition error at: '\(bad)'", token: bad)
    }

    /// Integers, floats (`1.5`, `1e10`, `2.`) and numeric durations (`1h30m`, `12mo`).
    mutating func number(_ start: SourcePosition, _ startIndex: Int) throws(CQLSyntaxError) -> CQLToken {
        func make(_ kind: CQLToken.Kind) -> CQLToken {
            let t = text(startIndex, index)
            return CQLToken(kind: kind, text: t, range: SourceRange(start: start, end: position), raw: t)
        }
        if peek() == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            advance(2)
            while let c = peek(), isHex(c) { advance() }
            if let c = peek(), isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") {
                advance()
                throw error(start, "invalid hex blob literal '\(text(startIndex, index))'", token: text(startIndex, index))
            }
            return make(.hexBlob)
        }
        if let n = numericDurationLength() {
            advance(n)
            return make(.duration)
        }
        while let c = peek(), isDigit(c) { advance() }
        var isFloat = false
        if peek() == UInt8(ascii: "."), !(peek(1).map(isLetter) ?? false) || isExponentAt(1) {
            isFloat = true
            advance()
            while let c = peek(), isDigit(c) { advance() }
        }
        if isExponentAt(0) {
            isFloat = true
            advance()
            if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { advance() }
            while let c = peek(), isDigit(c) { advance() }
        }
        return make(isFloat ? .float : .integer)
    }

    /// `e`/`E` followed by digits (optionally signed) at `index + ahead`.
    func isExponentAt(_ ahead: Int) -> Bool {
        guard let e = peek(ahead), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") else { return false }
        var i = ahead + 1
        if let s = peek(i), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { i += 1 }
        return peek(i).map(isDigit) ?? false
    }

    /// Length of a `8-4-4-4-12` hex UUID starting here, if one does (and is not followed by
    /// more name characters).
    func uuidLength() -> Int? {
        let groups = [8, 4, 4, 4, 12]
        var i = 0
        for (g, n) in groups.enumerated() {
            for _ in 0..<n {
                guard let c = peek(i), isHex(c) else { return nil }
                i += 1
            }
            if g < 4 {
                guard peek(i) == UInt8(ascii: "-") else { return nil }
                i += 1
            }
        }
        if let c = peek(i), isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") { return nil }
        return i
    }

    /// `(DIGIT+ UNIT)+` with units y mo w d h m s ms us µs ns, case-insensitive.
    func numericDurationLength() -> Int? {
        var i = 0
        var groups = 0
        while let c = peek(i), isDigit(c) {
            while let d = peek(i), isDigit(d) { i += 1 }
            guard let u = unitLength(at: i) else { return nil }
            i += u
            groups += 1
        }
        guard groups > 0 else { return nil }
        if let c = peek(i), isLetter(c) || c == UInt8(ascii: "_") { return nil }
        return i
    }

    func unitLength(at i: Int) -> Int? {
        func lower(_ j: Int) -> UInt8? { peek(j).map { $0 | 0x20 } }
        guard let a = peek(i) else { return nil }
        // µs is U+00B5 (0xC2 0xB5) followed by s.
        if a == 0xC2, peek(i + 1) == 0xB5, lower(i + 2) == UInt8(ascii: "s") { return 3 }
        let l0 = a | 0x20
        let l1 = lower(i + 1)
        switch l0 {
        case UInt8(ascii: "m"):
            if l1 == UInt8(ascii: "o") { return 2 }
            if l1 == UInt8(ascii: "s") { return 2 }
            return 1
        case UInt8(ascii: "u"), UInt8(ascii: "n"):
            return l1 == UInt8(ascii: "s") ? 2 : nil
        case UInt8(ascii: "y"), UInt8(ascii: "w"), UInt8(ascii: "d"), UInt8(ascii: "h"), UInt8(ascii: "s"):
            return 1
        default:
            return nil
        }
    }

    /// ISO 8601 durations: `P1Y2M3DT4H5M6S`, `P2W`, `P0001-02-03T04:05:06`.
    func isoDurationLength() -> Int? {
        guard let p = peek(), p | 0x20 == UInt8(ascii: "p") else { return nil }
        func lower(_ j: Int) -> UInt8? { peek(j).map { isLetter($0) ? $0 | 0x20 : $0 } }
        func digitsAt(_ j: Int) -> Int {
            var k = j
            while let c = peek(k), isDigit(c) { k += 1 }
            return k - j
        }
        func boundary(_ j: Int) -> Int? {
            if let c = peek(j), isLetter(c) || isDigit(c) || c == UInt8(ascii: "_") { return nil }
            return j
        }
        // Alternative form P0001-02-03T04:05:06.
        let pattern = Array("dddd-dd-ddTdd:dd:dd".utf8)
        var matches = true
        for (k, ch) in pattern.enumerated() {
            guard let c = peek(1 + k) else { matches = false; break }
            if ch == UInt8(ascii: "d") { if !isDigit(c) { matches = false; break } }
            else if ch == UInt8(ascii: "T") { if c | 0x20 != UInt8(ascii: "t") { matches = false; break } }
            else if c != ch { matches = false; break }
        }
        if matches { return boundary(1 + pattern.count) }
        var i = 1
        // Weeks.
        let w = digitsAt(i)
        if w > 0, lower(i + w) == UInt8(ascii: "w") { return boundary(i + w + 1) }
        var any = false
        for unit in [UInt8(ascii: "y"), UInt8(ascii: "m"), UInt8(ascii: "d")] {
            let n = digitsAt(i)
            if n > 0, lower(i + n) == unit { i += n + 1; any = true }
        }
        if lower(i) == UInt8(ascii: "t") {
            var j = i + 1
            var timeAny = false
            for unit in [UInt8(ascii: "h"), UInt8(ascii: "m"), UInt8(ascii: "s")] {
                let n = digitsAt(j)
                if n > 0, lower(j + n) == unit { j += n + 1; timeAny = true }
            }
            if timeAny { i = j; any = true }
        }
        guard any else { return nil }
        return boundary(i)
    }

    func utf8Length(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >= 0xF0 { return 4 }
        if lead >= 0xE0 { return 3 }
        if lead >= 0xC0 { return 2 }
        return 1
    }
}

@inline(__always) func isLetter(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool {
    c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
}

@inline(__always) func isHex(_ c: UInt8) -> Bool {
    isDigit(c) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "f")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "F"))
}
