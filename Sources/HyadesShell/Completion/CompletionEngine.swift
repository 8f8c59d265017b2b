import HyadesCQL

/// Proposes completions for the word before the cursor from what the statement says so
/// far: after FROM/INTO/UPDATE/TABLE a table (or `keyspace.`), after USE/KEYSPACE a
/// keyspace, in a column position (select list, WHERE/AND, SET, ORDER BY, an INSERT's
/// column list) the columns of the statement's table, after a column name in CREATE TABLE
/// a type, and keywords otherwise. It reads tokens with HyadesCQL's lexer, so strings and
/// comments never confuse it.
public struct CompletionEngine {
    public var names: SchemaNames?
    public var currentKeyspace: String?

    public init(names: SchemaNames?, currentKeyspace: String?) {
        self.names = names
        self.currentKeyspace = currentKeyspace
    }

    /// `text`: the statement so far (earlier lines of a continued statement, "\n", then
    /// this line up to the cursor).
    public func complete(_ text: String) -> CompletionProposal {
        let chars = Array(text)
        var start = chars.count
        while start > 0, chars[start - 1].isLetter || chars[start - 1].isNumber || chars[start - 1] == "_" || chars[start - 1] == "." {
            start -= 1
        }
        let word = String(chars[start...])
        let before = String(chars[..<start])
        guard var tokens = try? CQLLexer.tokenize(before) else { return CompletionProposal(replaceCount: 0, candidates: []) }
        tokens.removeLast()  // endOfInput
        if let semi = tokens.lastIndex(where: { $0.isSymbol(";") }) { tokens.removeSubrange(...semi) }
        let upper = prefersUpperCase(word: word, tokens: tokens)
        let candidates = candidatesFor(word: word, tokens: tokens, upper: upper)
        let lowerWord = word.lowercased()
        var seen = Set<String>()
        let matching = candidates.filter { c in
            let bare = c.hasPrefix("\"") ? String(c.dropFirst()) : c
            return (bare.lowercased().hasPrefix(lowerWord) || c.lowercased().hasPrefix(lowerWord)) && seen.insert(c).inserted
        }
        return CompletionProposal(replaceCount: word.count, candidates: matching)
    }

    func prefersUpperCase(word: String, tokens: [CQLToken]) -> Bool {
        if word.contains(where: \.isUppercase) { return true }
        if word.contains(where: \.isLowercase) { return false }
        guard let first = tokens.first(where: { $0.kind == .identifier }) else { return true }
        return !first.text.contains(where: \.isLowercase)
    }

    func keywords(_ words: [String], upper: Bool) -> [String] {
        upper ? words : words.map { $0.lowercased() }
    }

    func candidatesFor(word: String, tokens: [CQLToken], upper: Bool) -> [String] {
        if let dot = word.lastIndex(of: ".") {
            return qualifiedNames(qualifier: String(word[..<dot]))
        }
        guard let last = tokens.last else { return keywords(CQLKeywords.statementStarts, upper: upper) }
        let prev = last.kind == .identifier ? last.lower : (last.kind == .symbol ? last.text : "")
        let prev2 = tokens.count >= 2 ? tokens[tokens.count - 2].lower : ""
        let first = tokens[0].lower
        let table = tableReference(tokens)

        switch prev {
        case "from", "into", "update", "truncate", "columnfamily", "copy":
            if first == "create" { return [] }
            return tableNames()
        case "table":
            if first == "create" { return keywords(["IF NOT EXISTS"], upper: upper) }
            return tableNames()
        case "on" where tokens.contains(where: { $0.isKeyword("index") }):
            return tableNames()
        case "use":
            return keyspaceNames()
        case "keyspace":
            if first == "create" { return keywords(["IF NOT EXISTS"], upper: upper) }
            return keyspaceNames()
        case "desc", "describe":
            return keywords(CQLKeywords.following["describe"]!, upper: upper) + keyspaceNames() + tableNames()
        case "consistency":
            return ConsistencyLevelNames.all.map { upper ? $0 : $0.lowercased() }
        default:
            break
        }

        // Types after a column name being defined in CREATE TABLE / ALTER ... ADD.
        if first == "create" || first == "alter", last.kind == .identifier || last.kind == .quotedIdentifier,
           prev2 == "(" || prev2 == "," || prev2 == "add" {
            return CQLKeywords.types.map { upper ? $0.uppercased() : $0 }
        }

        let inValues = tokens.contains(where: { $0.isKeyword("values") })
        let columnPositions: Set<String> = ["select", "where", "and", "set", "by", ",", "(", "distinct", "if"]
        if columnPositions.contains(prev), !inValues, first != "create" {
            if let (ks, t) = table {
                let cols = columnNames(ks, t)
                if prev == "select" {
                    return cols + keywords(["DISTINCT", "JSON", "COUNT(*)"], upper: upper)
                }
                return cols
            }
            if first == "select", !tokens.contains(where: { $0.isKeyword("from") }) {
                // The select list comes before FROM: offer the columns of the current
                // keyspace's tables.
                var cols: [String] = []
                if let ks = currentKeyspace, let names {
                    for t in names.tableNames(keyspace: ks) { cols += names.columnNames(keyspace: ks, table: t).map(SchemaDescriber.quoted) }
                }
                let extra = prev == "select" ? keywords(["*", "DISTINCT", "JSON", "COUNT(*)"], upper: upper) : []
                return Array(Set(cols)).sorted() + extra
            }
        }

        // Just after the table name.
        if table != nil, last.kind == .identifier || last.kind == .quotedIdentifier {
            let tableWord = tokens.count >= 2 ? tokens[tokens.count - 2] : nil
            let afterTable = tableWord.map { $0.isKeyword("from") || $0.isKeyword("into") || $0.isKeyword("update") || $0.isSymbol(".") } ?? false
            if afterTable {
                switch first {
                case "select": return keywords(["WHERE", "LIMIT", "ORDER BY", "PER PARTITION LIMIT", "ALLOW FILTERING"], upper: upper)
                case "update": return keywords(["SET", "USING"], upper: upper)
                case "insert": return ["("] + keywords(["JSON"], upper: upper)
                case "delete": return keywords(["WHERE", "USING"], upper: upper)
                default: break
                }
            }
        }
        if first == "select", !tokens.contains(where: { $0.isKeyword("from") }),
           last.kind == .identifier || last.kind == .quotedIdentifier || last.isSymbol("*") || last.isSymbol(")") {
            return keywords(["FROM", "AS"], upper: upper)
        }
        if let next = CQLKeywords.following[prev] {
            return keywords(next, upper: upper)
        }
        guard !word.isEmpty else { return [] }
        return keywords(CQLKeywords.all, upper: upper)
    }

    /// The table the statement is about: the name after FROM, INTO, UPDATE, TABLE, COPY or
    /// an index's ON, with its keyspace (or the current one).
    func tableReference(_ tokens: [CQLToken]) -> (String, String)? {
        var found: (String, String)?
        for (i, t) in tokens.enumerated() {
            guard t.isKeyword("from") || t.isKeyword("into") || t.isKeyword("update") || t.isKeyword("table")
                || t.isKeyword("copy") || t.isKeyword("on") || t.isKeyword("truncate") else { continue }
            guard i + 1 < tokens.count, let n1 = nameText(tokens[i + 1]) else { continue }
            if i + 3 < tokens.count, tokens[i + 2].isSymbol("."), let n2 = nameText(tokens[i + 3]) {
                found = (n1, n2)
            } else if let ks = currentKeyspace {
                found = (ks, n1)
            }
        }
        return found
    }

    func nameText(_ t: CQLToken) -> String? {
        switch t.kind {
        case .identifier: return t.lower
        case .quotedIdentifier: return t.text
        default: return nil
        }
    }

    func keyspaceNames() -> [String] {
        (names?.keyspaceNames() ?? []).map(SchemaDescriber.quoted)
    }

    /// Tables of the current keyspace, then `keyspace.` for every keyspace.
    func tableNames() -> [String] {
        var out: [String] = []
        if let ks = currentKeyspace, let names { out += names.tableNames(keyspace: ks).map(SchemaDescriber.quoted) }
        out += keyspaceNames().map { $0 + "." }
        return out
    }

    func columnNames(_ ks: String, _ t: String) -> [String] {
        (names?.columnNames(keyspace: ks, table: t) ?? []).map(SchemaDescriber.quoted)
    }

    /// `ks.` -> `ks.table` for each table of ks.
    func qualifiedNames(qualifier: String) -> [String] {
        guard let names else { return [] }
        let ksName = qualifier.lowercased()
        let match = names.keyspaceNames().first { $0 == ksName || $0 == qualifier }
        guard let ks = match else { return [] }
        return names.tableNames(keyspace: ks).map { qualifier + "." + SchemaDescriber.quoted($0) }
    }
}

enum ConsistencyLevelNames {
    static let all = ["ANY", "ONE", "TWO", "THREE", "QUORUM", "ALL", "LOCAL_QUORUM", "EACH_QUORUM", "SERIAL", "LOCAL_SERIAL", "LOCAL_ONE"]
}
