/// Splits shell input into statements at `;` outside strings, quoted names and comments,
/// keeping `BEGIN BATCH ... APPLY BATCH` whole (its inner `;` do not end it). What is left
/// after the last complete statement is returned as `remainder`, so a shell can keep
/// reading lines until a statement is complete.
public enum CQLStatementSplitter {
    public static func split(_ text: String) -> (statements: [String], remainder: String) {
        var lexer = CQLLexer(text)
        let bytes = lexer.bytes
        var statements: [String] = []
        var statementStart: Int?      // byte offset of the statement's first token
        var inBatch = false
        var previous: CQLToken?         // last token of the current statement
        var sawApply = false
        func slice(_ from: Int, _ to: Int) -> String {
            String(decoding: bytes[from..<min(max(from, to), bytes.count)], as: UTF8.self)
        }
        while true {
            let token: CQLToken
            let before = lexer.index
            do {
                token = try lexer.next()
            } catch {
                _ = error
                if lexer.index >= bytes.count { break }  // unterminated string/comment: incomplete
                if statementStart == nil { statementStart = before }
                continue
            }
            if token.kind == .endOfInput { break }
            if token.isSymbol(";") {
                if let start = statementStart {
                    if inBatch && !sawApply { previous = token; continue }
                    statements.append(slice(start, token.range.start.offset).trimmingSpaces())
                }
                statementStart = nil
                inBatch = false
                sawApply = false
                previous = nil
                continue
            }
            if statementStart == nil {
                statementStart = token.range.start.offset
                inBatch = token.isKeyword("begin")
            }
            if inBatch, token.isKeyword("batch"), previous?.isKeyword("apply") == true { sawApply = true }
            previous = token
        }
        let remainder = statementStart.map { slice($0, bytes.count).trimmingSpaces() } ?? ""
        return (statements, remainder)
    }
}

extension String {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
