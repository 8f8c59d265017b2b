import HyadesCQL

/// `COPY [ks.]table [(col, ...)] TO|FROM 'file'|STDOUT|STDIN [WITH opt = value [AND ...]]`,
/// cqlsh's CSV import/export. Options understood: HEADER, DELIMITER, QUOTE, ESCAPE, NULL,
/// MAXROWS (TO), SKIPROWS (FROM), PAGESIZE (TO), MAXBATCHSIZE... (ignored with a note).
public struct CopyCommand: Hashable, Sendable {
    public enum Direction: Hashable, Sendable { case to, from }

    public var keyspace: String?
    public var table: String
    /// nil: every column of the table (or the header's names for FROM WITH HEADER).
    public var columns: [String]?
    public var direction: Direction
    /// nil means STDOUT (TO) / STDIN (FROM).
    public var file: String?
    public var header = false
    public var delimiter: Character = ","
    public var quote: Character = "\""
    public var escape: Character = "\\"
    public var nullText = ""
    public var maxRows: Int?
    public var skipRows = 0
    public var pageSize = 1000

    static let usage = "Improper COPY command: use COPY [<keyspace>.]<table> [(<column>, ...)] TO|FROM '<file>' [WITH HEADER = true [AND <option> = <value> ...]]"

    public static func parse(_ text: String) throws(ShellUsageError) -> CopyCommand {
        let tokens: [CQLToken]
        do { tokens = try CQLLexer.tokenize(text) } catch { throw ShellUsageError("Improper COPY command: \(error.headline)") }
        var i = 1  // past COPY
        func peek() -> CQLToken { tokens[min(i, tokens.count - 1)] }
        func name() throws(ShellUsageError) -> String {
            let t = peek()
            guard t.kind == .identifier || t.kind == .quotedIdentifier else { throw ShellUsageError(usage) }
            i += 1
            return t.kind == .identifier ? t.lower : t.text
        }
        var keyspace: String?
        var table = try name()
        if peek().isSymbol(".") {
            i += 1
            keyspace = table
            table = try name()
        }
        var columns: [String]?
        if peek().isSymbol("(") {
            i += 1
            var cols: [String] = []
            while true {
                cols.append(try name())
                if peek().isSymbol(",") { i += 1; continue }
                guard peek().isSymbol(")") else { throw ShellUsageError(usage) }
                i += 1
                break
            }
            columns = cols
        }
        let direction: Direction
        if peek().isKeyword("to") { direction = .to } else if peek().isKeyword("from") { direction = .from } else { throw ShellUsageError(usage) }
        i += 1
        var file: String?
        let target = peek()
        if target.kind == .string {
            file = target.text
        } else if target.isKeyword("stdout") && direction == .to || target.isKeyword("stdin") && direction == .from {
            file = nil
        } else {
            throw ShellUsageError(usage)
        }
        i += 1
        var c = CopyCommand(keyspace: keyspace, table: table, columns: columns, direction: direction, file: file)
        if peek().isKeyword("with") {
            i += 1
            while true {
                let opt = peek()
                guard opt.kind == .identifier else { throw ShellUsageError(usage) }
                i += 1
                guard peek().isSymbol("=") else { throw ShellUsageError(usage) }
                i += 1
                let v = peek()
                guard v.kind != .endOfInput, v.kind != .symbol else { throw ShellUsageError(usage) }
                i += 1
                try c.set(option: opt.lower, value: v.text)
                if peek().isKeyword("and") { i += 1; continue }
                break
            }
        }
        guard peek().kind == .endOfInput || (peek().isSymbol(";") && i == tokens.count - 2) else {
            throw ShellUsageError(usage)
        }
        return c
    }

    mutating func set(option: String, value: String) throws(ShellUsageError) {
        func bool() throws(ShellUsageError) -> Bool {
            switch value.lowercased() {
            case "true", "yes", "1": return true
            case "false", "no", "0": return false
            default: throw ShellUsageError("COPY option \(option.uppercased()) expects true or false, not '\(value)'")
            }
        }
        func char() throws(ShellUsageError) -> Character {
            guard value.count == 1, let c = value.first else {
                throw ShellUsageError("COPY option \(option.uppercased()) expects one character, not '\(value)'")
            }
            return c
        }
        func int() throws(ShellUsageError) -> Int {
            guard let n = Int(value), n >= 0 else { throw ShellUsageError("COPY option \(option.uppercased()) expects a number, not '\(value)'") }
            return n
        }
        switch option {
        case "header": header = try bool()
        case "delimiter": delimiter = try char()
        case "quote": quote = try char()
        case "escape": escape = try char()
        case "null", "nullval": nullText = value
        case "maxrows": maxRows = try int()
        case "skiprows": skipRows = try int()
        case "pagesize": pageSize = max(1, try int())
        default: throw ShellUsageError("Unrecognized COPY \(direction == .to ? "TO" : "FROM") option: \(option.uppercased())")
        }
    }
}
