/// One lexical token of CQL. Keywords are not a separate kind: CQL has many
/// unreserved keywords that are also valid column names, so the parser decides by
/// looking at `.identifier` tokens (compared case-insensitively through `lower`).
public struct CQLToken: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// Unquoted name or keyword; `text` is as written, `lower` lower-cased.
        case identifier
        /// `"Name"`; `text` is the name with `""` unescaped, case preserved.
        case quotedIdentifier
        /// `'...'` or `$$...$$`; `text` is the unescaped value.
        case string
        case integer
        case float
        /// `0x...`; `text` is the literal as written (with `0x`).
        case hexBlob
        case uuid
        /// `1h30m`, `P1Y2M`, `P0001-02-03T04:05:06`; `text` as written.
        case duration
        /// Punctuation and operators: `( ) [ ] { } , ; . : + - * / % ? = < <= > >= != += -=`.
        case symbol
        case endOfInput
    }

    public let kind: Kind
    public let text: String
    public let range: SourceRange
    /// The exact source text of the token (quotes included), for error messages.
    public let raw: String

    /// Lower-cased text for keyword comparison (computed once: the parser asks often).
    public let lower: String

    public init(kind: Kind, text: String, range: SourceRange, raw: String) {
        self.kind = kind
        self.text = text
        self.range = range
        self.raw = raw
        self.lower = kind == .identifier ? text.lowercased() : text
    }

    /// `k` must be lower-case.
    public func isKeyword(_ k: String) -> Bool {
        kind == .identifier && lower == k
    }

    public func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
}
