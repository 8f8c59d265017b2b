/// What completion proposes for the word before the cursor: replace the last
/// `replaceCount` characters with one of `candidates`.
public struct CompletionProposal: Hashable, Sendable {
    public var replaceCount: Int
    public var candidates: [String]
    public init(replaceCount: Int, candidates: [String]) {
        self.replaceCount = replaceCount
        self.candidates = candidates
    }
}

/// Reads one line from a terminal in raw mode with readline-style editing: left/right,
/// home/end (also ctrl-a/ctrl-e), ctrl-k/ctrl-u/ctrl-w, backspace/delete, up/down history,
/// TAB completion, ctrl-c (drops the line), ctrl-d (end of input on an empty line),
/// ctrl-l (clear screen).
///
/// Long lines scroll horizontally on one screen row (as linenoise does) rather than
/// wrapping, so redrawing is always "carriage return, prompt, visible text, clear to end".
public final class LineEditor {
    public enum Outcome: Hashable, Sendable {
        case line(String)
        /// ctrl-c: the line (and any statement being continued) is dropped.
        case interrupted
        /// ctrl-d on an empty line, or the terminal closed.
        case endOfInput
    }

    public let terminal: Terminal
    var decoder = KeyDecoder()
    var queued: [Key] = []

    public init(terminal: Terminal) {
        self.terminal = terminal
    }

    /// Edits one line. `complete` gets the text left of the cursor on this line and
    /// returns a proposal for the word there.
    public func readLine(prompt: String, history: [String],
                         complete: ((String) -> CompletionProposal)? = nil) -> Outcome {
        guard terminal.enableRawMode() else { return .endOfInput }
        defer { terminal.restoreMode() }
        var state = EditState(prompt: prompt, history: HistoryCursor(entries: history))
        terminal.write(state.render(columns: terminal.columns))
        while let key = nextKey() {
            switch state.handle(key, complete: complete) {
            case .redraw:
                terminal.write(state.render(columns: terminal.columns))
            case .bell:
                terminal.write("\u{07}")
            case .show(let candidates):
                terminal.write("\n" + CompletionLayout.columns(candidates, width: terminal.columns) + state.render(columns: terminal.columns))
            case .clearScreen:
                terminal.write("\u{1B}[H\u{1B}[2J" + state.render(columns: terminal.columns))
            case .finish(let outcome):
                switch outcome {
                case .line, .endOfInput:
                    // Show the whole line before leaving it (it may have been scrolled).
                    state.buffer.moveEnd()
                    terminal.write(state.render(columns: Int.max / 2) + "\n")
                case .interrupted:
                    terminal.write("^C\n")
                }
                return outcome
            case .none:
                break
            }
        }
        terminal.write("\n")
        return .endOfInput
    }

    /// One key in raw mode (for `---MORE---`); nil at end of input.
    public func readKey() -> Key? {
        guard terminal.enableRawMode() else { return nil }
        defer { terminal.restoreMode() }
        return nextKey()
    }

    func nextKey() -> Key? {
        while queued.isEmpty {
            if decoder.hasPending, !terminal.waitForInput(milliseconds: 50) {
                queued += decoder.flush()
                continue
            }
            guard let bytes = terminal.read() else { return nil }
            queued += decoder.feed(bytes)
        }
        return queued.removeFirst()
    }
}

/// The editing state machine behind `LineEditor`, separate from the terminal so tests
/// can drive it with keys and check the buffer and what would be drawn.
public struct EditState: Sendable {
    public enum Action: Hashable, Sendable {
        case none, redraw, bell, clearScreen
        case show([String])
        case finish(LineEditor.Outcome)
    }

    public let prompt: String
    public var buffer = LineBuffer()
    var history: HistoryCursor
    var lastWasTab = false

    public init(prompt: String, history: HistoryCursor) {
        self.prompt = prompt
        self.history = history
    }

    public mutating func handle(_ key: Key, complete: ((String) -> CompletionProposal)?) -> Action {
        let wasTab = lastWasTab
        lastWasTab = false
        switch key {
        case .character(let c): buffer.insert(String(c))
        case .enter: return .finish(.line(buffer.text))
        case .tab:
            lastWasTab = true
            return completeWord(complete, secondTab: wasTab)
        case .backspace, .control("h"): buffer.deleteBackward()
        case .delete: buffer.deleteForward()
        case .left, .control("b"): buffer.moveLeft()
        case .right, .control("f"): buffer.moveRight()
        case .home, .control("a"): buffer.moveHome()
        case .end, .control("e"): buffer.moveEnd()
        case .control("k"): buffer.killToEnd()
        case .control("u"): buffer.killToStart()
        case .control("w"): buffer.killWordBackward()
        case .control("c"): return .finish(.interrupted)
        case .control("d"):
            if buffer.isEmpty { return .finish(.endOfInput) }
            buffer.deleteForward()
        case .control("l"): return .clearScreen
        case .up, .control("p"):
            guard let entry = history.older(current: buffer.text) else { return .bell }
            buffer.set(entry)
        case .down, .control("n"):
            guard let entry = history.newer() else { return .bell }
            buffer.set(entry)
        case .control, .unknown: return .none
        }
        return .redraw
    }

    /// One candidate: insert it (and a space unless it ends a keyspace prefix `ks.`).
    /// Several: insert their common prefix; if that adds nothing, list them (readline
    /// lists on the second TAB; we list at once when there is nothing to insert).
    mutating func completeWord(_ complete: ((String) -> CompletionProposal)?, secondTab: Bool) -> Action {
        guard let complete else { return .bell }
        let proposal = complete(buffer.textBeforeCursor)
        let count = min(proposal.replaceCount, buffer.cursor)
        let range = (buffer.cursor - count)..<buffer.cursor
        let word = String(buffer.characters[range])
        let candidates = proposal.candidates
        if candidates.isEmpty { return .bell }
        if candidates.count == 1 {
            let c = candidates[0]
            buffer.replace(range, with: c.hasSuffix(".") ? c : c + " ")
            return .redraw
        }
        let prefix = CompletionLayout.commonPrefix(candidates)
        if prefix.count > word.count {
            buffer.replace(range, with: prefix)
            return .redraw
        }
        return .show(candidates)
    }

    /// The bytes that draw the line: CR, prompt, the visible window of the text, clear to
    /// end of line, then the cursor put back in place.
    public func render(columns: Int) -> String {
        let promptWidth = prompt.count
        var start = 0
        var pos = buffer.cursor
        // Scroll so the cursor stays on screen (one column kept for the cursor itself).
        while promptWidth + pos >= columns, pos > 0 { start += 1; pos -= 1 }
        let visibleCount = max(0, min(buffer.characters.count - start, columns - promptWidth - 1))
        let visible = String(buffer.characters[start..<(start + visibleCount)])
        var out = "\r" + prompt + visible + "\u{1B}[0K\r"
        let col = promptWidth + pos
        if col > 0 { out += "\u{1B}[\(col)C" }
        return out
    }
}

/// Listing candidates in columns under the prompt, and their common prefix.
public enum CompletionLayout {
    public static func commonPrefix(_ words: [String]) -> String {
        guard var prefix = words.first.map(Array.init) else { return "" }
        for w in words.dropFirst() {
            let a = Array(w)
            var n = 0
            while n < prefix.count, n < a.count, prefix[n] == a[n] { n += 1 }
            prefix.removeSubrange(n...)
        }
        return String(prefix)
    }

    public static func columns(_ words: [String], width: Int) -> String {
        let cell = (words.map(\.count).max() ?? 0) + 2
        let perLine = max(1, width / max(cell, 1))
        var out = ""
        for (i, w) in words.enumerated() {
            let last = i % perLine == perLine - 1 || i == words.count - 1
            out += last ? w + "\n" : w + String(repeating: " ", count: cell - w.count)
        }
        return out
    }
}
