import Foundation

/// What the main loop gets from its input.
enum LineInput {
    case line(String)
    /// ctrl-c at the prompt: drop what was being typed.
    case interrupted
    case end
}

/// A source of input lines: the terminal's line editor, standard input, a file (-f,
/// SOURCE), or the -e text.
protocol LineSource {
    /// `pending`: the statement being continued (for completion).
    mutating func next(prompt: String, pending: String) -> LineInput
}

struct ArrayLineSource: LineSource {
    var lines: [String]
    var index = 0
    init(_ lines: [String]) { self.lines = lines }
    mutating func next(prompt: String, pending: String) -> LineInput {
        guard index < lines.count else { return .end }
        defer { index += 1 }
        return .line(lines[index])
    }
}

/// Standard input when it is not a terminal (cqlsh < script.cql): no prompts.
struct StdinLineSource: LineSource {
    mutating func next(prompt: String, pending: String) -> LineInput {
        guard let l = readLine(strippingNewline: true) else { return .end }
        return .line(l.hasSuffix("\r") ? String(l.dropLast()) : l)
    }
}

/// A script file, streamed line by line.
struct FileLineSource: LineSource {
    let reader: CSVLineReader

    init?(path: String) {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        reader = CSVLineReader(handle: h)
    }

    mutating func next(prompt: String, pending: String) -> LineInput {
        guard let l = reader.nextLine() else { return .end }
        return .line(l)
    }
}

/// Lines of a file in 64 KiB reads (LF or CRLF ends).
final class CSVLineReader {
    let handle: FileHandle
    var buffer: [UInt8] = []
    var position = 0
    var atEnd = false

    init(handle: FileHandle) { self.handle = handle }
    deinit { try? handle.close() }

    func nextLine() -> String? {
        while true {
            if let nl = buffer[position...].firstIndex(of: 0x0A) {
                var end = nl
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = nl + 1
                return line
            }
            if atEnd {
                guard position < buffer.count else { return nil }
                let line = String(decoding: buffer[position...], as: UTF8.self)
                position = buffer.count
                return line
            }
            buffer.removeSubrange(..<position)
            position = 0
            if let d = try? handle.read(upToCount: 65536), !d.isEmpty { buffer += d } else { atEnd = true }
        }
    }
}

/// The terminal: the line editor with history and TAB completion.
struct EditorLineSource: LineSource {
    let shell: Shell

    mutating func next(prompt: String, pending: String) -> LineInput {
        guard let editor = shell.editor else { return .end }
        let shell = self.shell
        switch editor.readLine(prompt: prompt, history: shell.history.entries, complete: { before in
            shell.completions(pending: pending, beforeCursor: before)
        }) {
        case .line(let l): return .line(l)
        case .interrupted: return .interrupted
        case .endOfInput: return .end
        }
    }
}
