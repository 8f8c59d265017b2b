/// One key press as the line editor sees it, after escape sequences are decoded.
/// Control keys keep their Emacs/readline names, which is what cqlsh users expect.
public enum Key: Hashable, Sendable {
    /// Printable text (one grapheme; pasted text arrives as several).
    case character(Character)
    case enter
    case tab
    case backspace
    /// Delete the character under the cursor (the `Del` key, `ESC [ 3 ~`).
    case delete
    case left, right, up, down
    case home, end
    /// ctrl-a ... ctrl-z by letter (`.control("a")`), for the ones without a dedicated case.
    case control(Character)
    /// A sequence we do not bind (F-keys, alt-combinations): ignored, never inserted.
    case unknown
}
