/// The text being edited and the cursor in it, with the readline/Emacs editing
/// operations. Pure state, so every key binding is unit-tested without a terminal.
/// Positions count `Character`s (graphemes), so the cursor never splits one.
public struct LineBuffer: Hashable, Sendable {
    public private(set) var characters: [Character]
    /// 0...characters.count
    public private(set) var cursor: Int

    public init(_ text: String = "", cursor: Int? = nil) {
        characters = Array(text)
        self.cursor = min(max(cursor ?? characters.count, 0), characters.count)
    }

    public var text: String { String(characters) }
    public var isEmpty: Bool { characters.isEmpty }
    /// The text left of the cursor (what completion looks at).
    public var textBeforeCursor: String { String(characters[..<cursor]) }

    public mutating func insert(_ s: String) {
        let new = Array(s)
        characters.insert(contentsOf: new, at: cursor)
        cursor += new.count
    }

    public mutating func moveLeft() { if cursor > 0 { cursor -= 1 } }
    public mutating func moveRight() { if cursor < characters.count { cursor += 1 } }
    public mutating func moveHome() { cursor = 0 }
    public mutating func moveEnd() { cursor = characters.count }

    /// Backspace: removes the character left of the cursor.
    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        characters.remove(at: cursor - 1)
        cursor -= 1
    }

    /// Delete: removes the character under the cursor.
    public mutating func deleteForward() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    /// ctrl-k: kills from the cursor to the end of the line.
    public mutating func killToEnd() { characters.removeSubrange(cursor...) }

    /// ctrl-u: kills from the start of the line to the cursor.
    public mutating func killToStart() {
        characters.removeSubrange(..<cursor)
        cursor = 0
    }

    /// ctrl-w: kills the whitespace-delimited word before the cursor (readline's
    /// unix-word-rubout), including the spaces between it and the cursor.
    public mutating func killWordBackward() {
        var start = cursor
        while start > 0, characters[start - 1].isWhitespace { start -= 1 }
        while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
        characters.removeSubrange(start..<cursor)
        cursor = start
    }

    /// Replaces the characters in `range` (e.g. the word being completed) and puts the
    /// cursor after the replacement.
    public mutating func replace(_ range: Range<Int>, with s: String) {
        let new = Array(s)
        characters.replaceSubrange(range, with: new)
        cursor = range.lowerBound + new.count
    }

    /// Replaces everything (history recall); the cursor goes to the end.
    public mutating func set(_ s: String) {
        characters = Array(s)
        cursor = characters.count
    }
}
