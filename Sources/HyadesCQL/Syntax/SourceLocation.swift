/// Where a token or node sits in the statement text. `line` is 1-based and `column` is
/// 0-based, counted in characters, because that is how Cassandra's ANTLR parser reports
/// positions (`line 1:14 ...`) and drivers/cqlsh users are used to reading them.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    /// Byte offset into the UTF-8 text (for slicing the original statement).
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public var description: String { "\(line):\(column)" }
}

/// A half-open range of statement text: `start` is the first character, `end` is just past
/// the last one.
public struct SourceRange: Hashable, Sendable {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }

    public static let none = SourceRange(start: SourcePosition(line: 1, column: 0, offset: 0),
                                         end: SourcePosition(line: 1, column: 0, offset: 0))
}
