import Foundation

/// CSV as COPY TO writes it (RFC 4180): fields separated by the delimiter, quoted when they
/// contain the delimiter, the quote, a line break or surrounding spaces, quotes doubled
/// inside quotes; null written as the NULL option's text (empty by default), and an empty
/// string written as `""` so that it reads back as an empty string, not null.
public struct CSVWriter: Sendable {
    public var delimiter: Character
    public var quote: Character
    public var nullText: String

    public init(delimiter: Character = ",", quote: Character = "\"", nullText: String = "") {
        self.delimiter = delimiter
        self.quote = quote
        self.nullText = nullText
    }

    /// One record, ending in "\n". nil fields are nulls.
    public func record(_ fields: [String?]) -> String {
        var out = ""
        for (i, f) in fields.enumerated() {
            if i > 0 { out.append(delimiter) }
            out += field(f)
        }
        out += "\n"
        return out
    }

    public func field(_ value: String?) -> String {
        guard let value else { return nullText }
        if value.isEmpty || value == nullText { return String(quote) + value + String(quote) }
        let needs = value.contains(where: { $0 == delimiter || $0 == quote || $0 == "\n" || $0 == "\r" })
            || value.first == " " || value.last == " "
        guard needs else { return value }
        let q = String(quote)
        return q + value.replacingOccurrences(of: q, with: q + q) + q
    }
}
