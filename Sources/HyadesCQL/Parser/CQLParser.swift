/// Entry points of the CQL front end: text in, typed AST out, or a `CQLSyntaxError`
/// (protocol error 0x2000). Pure and thread-safe; never traps on any input.
public enum CQLParser {
    /// Parses exactly one statement (an optional trailing `;` is allowed).
    public static func parse(_ text: String) throws(CQLSyntaxError) -> ParsedStatement {
        var p = try Parser(text)
        let s = try p.parseStatementWithMarkers()
        _ = p.acceptSymbol(";")
        if p.current.kind != .endOfInput {
            throw p.mismatched(expecting: "<EOF>")
        }
        return s
    }

    /// Parses a `;`-separated script (empty statements are skipped).
    public static func parseAll(_ text: String) throws(CQLSyntaxError) -> [ParsedStatement] {
        var p = try Parser(text)
        var out: [ParsedStatement] = []
        while true {
            while p.acceptSymbol(";") {}
            if p.current.kind == .endOfInput { return out }
            out.append(try p.parseStatementWithMarkers())
            if p.current.kind != .endOfInput && !p.current.isSymbol(";") {
                throw p.mismatched(expecting: "';'")
            }
        }
    }
}

/// Keywords that can never be unquoted names (Cassandra's reserved list).
let reservedKeywords: Set<String> = [
    "add", "allow", "alter", "and", "apply", "asc", "authorize", "batch", "begin", "by",
    "columnfamily", "create", "delete", "desc", "describe", "drop", "entries", "execute",
    "from", "full", "grant", "if", "in", "index", "infinity", "insert", "into", "is",
    "keyspace", "limit", "materialized", "modify", "nan", "norecursive",
    "not", "null", "of", "on", "or", "order", "primary", "rename", "revoke",
    "schema", "select", "set", "table", "to", "token", "truncate", "unlogged",
    "update", "use", "using", "view", "where", "with",
]

/// Recursive-descent parser state over the token array.
struct Parser {
    let tokens: [CQLToken]
    let source: [UInt8]
    var pos = 0
    var markers: [BindMarker] = []
    var depth = 0
    static let maxDepth = 100

    init(_ text: String) throws(CQLSyntaxError) {
        tokens = try CQLLexer.tokenize(text)
        source = Array(text.utf8)
    }

    var current: CQLToken { tokens[min(pos, tokens.count - 1)] }

    func peek(_ ahead: Int) -> CQLToken { tokens[min(pos + ahead, tokens.count - 1)] }

    @discardableResult
    mutating func advance() -> CQLToken {
        let t = current
        if pos < tokens.count - 1 { pos += 1 }
        return t
    }

    /// End of the previously consumed token.
    var previousEnd: SourcePosition { pos > 0 ? tokens[pos - 1].range.end : current.range.start }

    func range(from start: SourcePosition) -> SourceRange { SourceRange(start: start, end: previousEnd) }

    // MARK: errors

    func quoted(_ t: CQLToken) -> String { t.kind == .endOfInput ? "<EOF>" : t.raw }

    func mismatched(expecting what: String) -> CQLSyntaxError {
        let t = current
        return CQLSyntaxError(at: t.range.start, token: quoted(t),
                              message: "mismatched input '\(quoted(t))' expecting \(what)", snippet: snippet())
    }

    func noViableAlternative() -> CQLSyntaxError {
        let t = current
        return CQLSyntaxError(at: t.range.start, token: quoted(t),
                              message: "no viable alternative at input '\(quoted(t))'", snippet: snippet())
    }

    /// A few tokens before the current one, the current one in brackets, and one after, in
    /// the spirit of Cassandra's ErrorCollector (it counts whitespace tokens too, so its ten
    /// before/two after are about five/one significant tokens). Line breaks are dropped.
    func snippet() -> String? {
        let index = min(pos, tokens.count - 1)
        let offending = tokens[index]
        guard offending.kind != .endOfInput else { return nil }
        let first = tokens[max(0, index - 5)]
        let last = tokens[min(tokens.count - 2, index + 1)]
        func text(_ from: Int, _ to: Int) -> String {
            let lo = max(0, min(from, source.count))
            let hi = max(lo, min(to, source.count))
            return String(decoding: source[lo..<hi], as: UTF8.self).filter { $0 != "\n" && $0 != "\r\n" }
        }
        var out = first.range.start.offset > 0 ? "..." : ""
        out += text(first.range.start.offset, offending.range.start.offset)
        out += "[" + text(offending.range.start.offset, offending.range.end.offset) + "]"
        out += text(offending.range.end.offset, last.range.end.offset)
        if last.range.end.offset < source.count { out += "..." }
        return out
    }

    func failure(_ message: String) -> CQLSyntaxError {
        CQLSyntaxError(at: current.range.start, token: quoted(current), message: message)
    }

    mutating func enter() throws(CQLSyntaxError) {
        depth += 1
        if depth > Parser.maxDepth { throw failure("statement nested too deeply") }
    }

    mutating func leave() { depth -= 1 }

    // MARK: matching

    func atKeyword(_ k: String) -> Bool { current.isKeyword(k) }

    mutating func acceptKeyword(_ k: String) -> Bool {
        if current.isKeyword(k) { advance(); return true }
        return false
    }

    mutating func expectKeyword(_ k: String) throws(CQLSyntaxError) {
        guard acceptKeyword(k) else { throw mismatched(expecting: "K_" + k.uppercased()) }
    }

    mutating func acceptSymbol(_ s: String) -> Bool {
        if current.isSymbol(s) { advance(); return true }
        return false
    }

    mutating func expectSymbol(_ s: String) throws(CQLSyntaxError) {
        guard acceptSymbol(s) else { throw mismatched(expecting: "'\(s)'") }
    }

    /// Whether the current token can be a name: a quoted identifier, or an unquoted one
    /// that is not a reserved keyword.
    var atName: Bool {
        switch current.kind {
        case .quotedIdentifier: return true
        case .identifier: return !reservedKeywords.contains(current.lower)
        default: return false
        }
    }

    func atNameAt(_ ahead: Int) -> Bool {
        let t = peek(ahead)
        switch t.kind {
        case .quotedIdentifier: return true
        case .identifier: return !reservedKeywords.contains(t.lower)
        default: return false
        }
    }

    /// A column/table/keyspace name: unquoted lower-cased, quoted as written.
    mutating func name() throws(CQLSyntaxError) -> String {
        switch current.kind {
        case .quotedIdentifier:
            return advance().text
        case .identifier where !reservedKeywords.contains(current.lower):
            return advance().lower
        default:
            throw noViableAlternative()
        }
    }

    /// Option names (`WITH x = ...`) and a few other places accept any word.
    mutating func anyWord() throws(CQLSyntaxError) -> String {
        switch current.kind {
        case .quotedIdentifier: return advance().text
        case .identifier: return advance().lower
        default: throw noViableAlternative()
        }
    }

    /// `name` or `ks.name`.
    mutating func qualifiedName() throws(CQLSyntaxError) -> QualifiedName {
        let start = current.range.start
        if current.isSymbol("?") || current.isSymbol(":") { throw failure("Bind variables cannot be used for table names") }
        let first = try name()
        if acceptSymbol(".") {
            let second = try name()
            return QualifiedName(keyspace: first, name: second, range: range(from: start))
        }
        return QualifiedName(name: first, range: range(from: start))
    }

    mutating func nameList() throws(CQLSyntaxError) -> [String] {
        var out = [try name()]
        while acceptSymbol(",") { out.append(try name()) }
        return out
    }

    mutating func ifNotExists() throws(CQLSyntaxError) -> Bool {
        if acceptKeyword("if") {
            try expectKeyword("not")
            try expectKeyword("exists")
            return true
        }
        return false
    }

    mutating func ifExists() throws(CQLSyntaxError) -> Bool {
        if acceptKeyword("if") {
            try expectKeyword("exists")
            return true
        }
        return false
    }

    // MARK: statements

    mutating func parseStatementWithMarkers() throws(CQLSyntaxError) -> ParsedStatement {
        markers = []
        let start = current.range.start
        let statement = try parseStatement()
        let end = previousEnd
        let lo = max(0, min(start.offset, source.count))
        let hi = max(lo, min(end.offset, source.count))
        let text = String(decoding: source[lo..<hi], as: UTF8.self)
        return ParsedStatement(statement: statement, bindMarkers: markers,
                               range: SourceRange(start: start, end: end), text: text)
    }

    mutating func parseStatement() throws(CQLSyntaxError) -> Statement {
        guard current.kind == .identifier else { throw noViableAlternative() }
        switch current.lower {
        case "select": return .select(try selectStatement())
        case "insert": return .insert(try insertStatement())
        case "update": return .update(try updateStatement())
        case "delete": return .delete(try deleteStatement())
        case "begin": return .batch(try batchStatement())
        case "use":
            advance()
            if current.isSymbol("?") || current.isSymbol(":") { throw failure("Bind variables cannot be used for keyspace names") }
            return .use(try name())
        case "truncate":
            advance()
            if !acceptKeyword("table") { _ = acceptKeyword("columnfamily") }
            return .truncate(try qualifiedName())
        case "create": return try createStatement()
        case "alter": return try alterStatement()
        case "drop": return try dropStatement()
        case "describe", "desc": return .describe(try describeStatement())
        case "grant", "revoke", "list":
            let kind = current.lower.uppercased()
            return unsupported(kind)
        default:
            throw noViableAlternative()
        }
    }

    /// Consumes tokens to the end of the statement (`;` or end of input) and returns an
    /// `.unsupported` node naming `kind`.
    mutating func unsupported(_ kind: String) -> Statement {
        while current.kind != .endOfInput && !current.isSymbol(";") { advance() }
        return .unsupported(kind: kind)
    }
}
