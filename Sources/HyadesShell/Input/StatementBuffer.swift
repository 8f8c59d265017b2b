import Foundation
import HyadesCQL

/// A complete statement and the input line it started on (for `file:line:` errors).
public struct InputStatement: Hashable, Sendable {
    public var text: String
    public var line: Int
    public init(_ text: String, line: Int) {
        self.text = text
        self.line = line
    }
}

/// Collects input lines into statements the way cqlsh does: CQL statements end at `;`
/// (found by HyadesCQL's splitter, which knows strings, quoted names, comments and
/// `BEGIN BATCH ... APPLY BATCH`), while shell commands (HELP, EXIT, CONSISTENCY, PAGING,
/// EXPAND, TRACING, SOURCE, DESCRIBE, ...) end at a `;` or at the end of their line.
public struct StatementBuffer: Sendable {
    /// The first words of statements that a newline ends (cqlsh's
    /// `commands_end_with_newline`).
    public static let newlineTerminated: Set<String> = [
        "help", "?", "consistency", "serial", "describe", "desc", "show", "source", "capture",
        "login", "debug", "tracing", "expand", "paging", "exit", "quit", "clear", "cls",
    ]

    var pending = ""
    var pendingLine = 0

    public init() {}

    /// True when no statement is being continued (the prompt is the main one).
    public var isEmpty: Bool { pending.isEmpty }
    public var pendingText: String { pending }

    public mutating func reset() { pending = "" }

    /// Adds one input line (without its newline); returns the statements it completed.
    public mutating func add(line: String, number: Int) -> [InputStatement] {
        if pending.isEmpty {
            if line.allSatisfy(\.isWhitespace) { return [] }
            pendingLine = number
            pending = line
        } else {
            pending += "\n" + line
        }
        let (statements, remainder) = CQLStatementSplitter.split(pending)
        var out: [InputStatement] = []
        var search = pending.startIndex
        for s in statements {
            var line = pendingLine
            if let r = pending.range(of: s, range: search..<pending.endIndex) {
                line += pending[pending.startIndex..<r.lowerBound].filter { $0 == "\n" }.count
                search = r.upperBound
            }
            out.append(InputStatement(s, line: line))
        }
        if remainder.isEmpty {
            pending = ""
        } else {
            if let r = pending.range(of: remainder, options: .backwards) {
                pendingLine += pending[pending.startIndex..<r.lowerBound].filter { $0 == "\n" }.count
            }
            pending = remainder
            // A shell command (`EXPAND ON`, `SELECT 1; EXIT`) also ends at the end of its line.
            if Self.startsWithShellCommand(remainder) {
                out.append(InputStatement(Self.trimTerminator(remainder), line: pendingLine))
                pending = ""
            }
        }
        return out
    }

    /// What is left at end of input: an unterminated statement is still run (cqlsh runs
    /// a last statement without `;` from -e, and reports it from a file).
    public mutating func finish() -> InputStatement? {
        defer { pending = "" }
        let text = pending.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : InputStatement(text, line: pendingLine)
    }

    /// The lower-cased first word of a statement (letters, `?`).
    public static func firstWord(_ text: String) -> String {
        let trimmed = text.drop(while: \.isWhitespace)
        if trimmed.first == "?" { return "?" }
        return String(trimmed.prefix(while: { $0.isLetter || $0 == "_" })).lowercased()
    }

    static func startsWithShellCommand(_ text: String) -> Bool {
        newlineTerminated.contains(firstWord(text))
    }

    /// Drops surrounding blanks and any trailing `;`.
    public static func trimTerminator(_ text: String) -> String {
        var s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while s.hasSuffix(";") {
            s.removeLast()
            s = s.trimmingCharacters(in: .whitespaces)
        }
        return s
    }
}
