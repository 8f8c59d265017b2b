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

    public init(line: Int, column: Int, token: String, message: String) {
        self.line = line
        self.column = column
        self.token = token
        self.message = message
    }

    public init(at position: SourcePosition, token: String, message: String) {
        self.init(line: position.line, column: position.column, token: token, message: message)
    }

    public var description: String { "line \(line):\(column) \(message)" }
}
