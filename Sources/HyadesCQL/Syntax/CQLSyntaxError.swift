/// A statement that is not CQL. The server answers it with protocol error 0x2000
/// (Syntax error); `description` is worded like Cassandra's ANTLR messages
/// (`line 1:9 no viable alternative at input 'FORM'`, `line 1:7 mismatched input 'x'
/// expecting ...`) because users and tools recognise those.
public struct CQLSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    /// 0-based, as Cassandra reports it.
    public var column: Int
    /// The text of the offending token as written, `<EOF>` at the end of input.
    public var token: String
    /// The message without the `line L:C` prefix.
    public var message: String
    /// The statement text around the error with the offending token in brackets, as
    /// Cassandra appends it: `SELECT * [FORM] t`, `...b, c [FORM]...`. Nil at end of input
    /// and for lexical errors.
    public var snippet: String?

    public init(line: Int, column: Int, token: String, message: String, snippet: String? = nil) {
        self.line = line
        self.column = column
        self.token = token
        self.message = message
        self.snippet = snippet
    }

    public init(at position: SourcePosition, token: String, message: String, snippet: String? = nil) {
        self.init(line: position.line, column: position.column, token: token, message: message, snippet: snippet)
    }

    /// `line 1:9 mismatched input 'FORM' expecting K_FROM`
    public var headline: String { "line \(line):\(column) \(message)" }

    /// The full message sent to clients: the headline plus ` (snippet)` when there is one.
    public var description: String { headline + (snippet.map { " (\($0))" } ?? "") }
}
