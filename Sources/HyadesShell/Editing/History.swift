import Foundation

/// Entered statements, newest last, browsed with up/down and kept in a file between
/// sessions (~/.hyades/shell_history, or `$HYADES_SHELL_HISTORY`).
///
/// File format: UTF-8, one entry per line, oldest first. A multi-line statement is stored
/// as one line (its newlines become spaces, as cqlsh does), so the file never needs
/// escaping. At most `limit` entries are kept; the file is rewritten when trimmed.
public struct History: Sendable {
    public private(set) var entries: [String] = []
    public let limit: Int
    public let path: String?

    public init(path: String?, limit: Int = 1000) {
        self.path = path
        self.limit = limit
        if let path, let data = FileManager.default.contents(atPath: path) {
            entries = String(decoding: data, as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if entries.count > limit { entries.removeFirst(entries.count - limit) }
        }
    }

    /// The default file: `$HYADES_SHELL_HISTORY` if set (empty means no file), else
    /// `~/.hyades/shell_history`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let p = environment["HYADES_SHELL_HISTORY"] { return p.isEmpty ? nil : p }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.hyades/shell_history"
    }

    /// Adds an entry (skipping blanks and an immediate repeat) and appends it to the file.
    /// A history file we cannot write is not worth interrupting the user for: it is skipped.
    public mutating func add(_ statement: String) {
        let line = statement.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        guard !line.isEmpty, entries.last != line else { return }
        entries.append(line)
        guard let path else { return }
        if entries.count > limit {
            entries.removeFirst(entries.count - limit)
            rewrite(path)
        } else {
            append(line, to: path)
        }
    }

    func ensureDirectory(_ path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
    }

    func append(_ line: String, to path: String) {
        ensureDirectory(path)
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let h = FileHandle(forWritingAtPath: path) else { return }
        defer { try? h.close() }
        _ = try? h.seekToEnd()
        try? h.write(contentsOf: Data((line + "\n").utf8))
    }

    func rewrite(_ path: String) {
        ensureDirectory(path)
        let text = entries.map { $0 + "\n" }.joined()
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Up/down browsing over a `History` during one line edit: the line being typed is kept
/// as the "newest" slot so coming back down restores it (readline's behaviour).
public struct HistoryCursor: Sendable {
    let entries: [String]
    var index: Int          // entries.count = the line being typed
    var draft: String

    public init(entries: [String], draft: String = "") {
        self.entries = entries
        index = entries.count
        self.draft = draft
    }

    /// The older entry, or nil at the oldest. `current` is what is on screen now (saved
    /// as the draft when leaving the newest slot).
    public mutating func older(current: String) -> String? {
        guard index > 0 else { return nil }
        if index == entries.count { draft = current }
        index -= 1
        return entries[index]
    }

    public mutating func newer() -> String? {
        guard index < entries.count else { return nil }
        index += 1
        return index == entries.count ? draft : entries[index]
    }
}
