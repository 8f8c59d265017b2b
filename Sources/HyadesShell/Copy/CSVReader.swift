import Foundation

/// One CSV record: its fields (with whether each was quoted, since an unquoted empty field
/// is null and a quoted one is an empty string) and the line it started on.
public struct CSVRecord: Hashable, Sendable {
    public var fields: [String]
    public var quoted: [Bool]
    public var line: Int
}

public struct CSVError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }
    public var description: String { "line \(line): \(message)" }
}

/// Streams CSV records from a file (or any byte source) in 64 KiB reads, so COPY FROM of a
/// large file does not hold it in memory. RFC 4180 quoting, quoted fields may span lines,
/// `""` inside quotes is a quote, and the ESCAPE character (if not the quote) escapes the
/// next character inside quotes. CRLF and LF line ends both work.
public final class CSVReader {
    let source: () -> [UInt8]?
    var buffer: [UInt8] = []
    var position = 0
    var atEnd = false
    var line = 1
    let delimiter: UInt8
    let quote: UInt8
    let escape: UInt8

    public init(delimiter: Character = ",", quote: Character = "\"", escape: Character = "\\", source: @escaping () -> [UInt8]?) {
        self.delimiter = delimiter.asciiValue ?? 0x2C
        self.quote = quote.asciiValue ?? 0x22
        self.escape = escape.asciiValue ?? 0x5C
        self.source = source
    }

    public convenience init(handle: FileHandle, delimiter: Character = ",", quote: Character = "\"", escape: Character = "\\") {
        self.init(delimiter: delimiter, quote: quote, escape: escape) {
            let d = (try? handle.read(upToCount: 65536)) ?? nil
            guard let d, !d.isEmpty else { return nil }
            return [UInt8](d)
        }
    }

    public convenience init(text: String, delimiter: Character = ",", quote: Character = "\"", escape: Character = "\\") {
        var given = false
        self.init(delimiter: delimiter, quote: quote, escape: escape) {
            defer { given = true }
            return given ? nil : Array(text.utf8)
        }
    }

    func peek() -> UInt8? {
        if position >= buffer.count {
            guard !atEnd else { return nil }
            buffer.removeAll(keepingCapacity: true)
            position = 0
            while buffer.isEmpty {
                guard let more = source() else { atEnd = true; return nil }
                buffer = more
            }
        }
        return buffer[position]
    }

    /// The next record, nil at end of input. A quote left open at end of input throws.
    public func next() throws(CSVError) -> CSVRecord? {
        // Skip blank lines between records.
        while let b = peek(), b == 0x0A || b == 0x0D {
            if b == 0x0A { line += 1 }
            position += 1
        }
        guard peek() != nil else { return nil }
        let startLine = line
        var fields: [String] = []
        var quotedFlags: [Bool] = []
        var field: [UInt8] = []
        var quoted = false
        var inQuotes = false
        while true {
            guard let b = peek() else {
                if inQuotes { throw CSVError(line: startLine, message: "unterminated quoted field") }
                break
            }
            position += 1
            if inQuotes {
                if b == quote {
                    if peek() == quote { position += 1; field.append(quote) } else { inQuotes = false }
                } else if b == escape && escape != quote, let n = peek() {
                    position += 1
                    if n == 0x0A { line += 1 }
                    field.append(n)
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                continue
            }
            if b == delimiter {
                fields.append(String(decoding: field, as: UTF8.self))
                quotedFlags.append(quoted)
                field.removeAll(keepingCapacity: true)
                quoted = false
            } else if b == quote && field.isEmpty && !quoted {
                inQuotes = true
                quoted = true
            } else if b == 0x0A {
                line += 1
                break
            } else if b == 0x0D {
                if peek() == 0x0A { position += 1 }
                line += 1
                break
            } else {
                field.append(b)
            }
        }
        fields.append(String(decoding: field, as: UTF8.self))
        quotedFlags.append(quoted)
        return CSVRecord(fields: fields, quoted: quotedFlags, line: startLine)
    }
}
