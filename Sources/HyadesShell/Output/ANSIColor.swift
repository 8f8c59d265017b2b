/// cqlsh's colours (its `default_colormap`), so a result looks the same in both shells:
/// column names magenta, text yellow, numbers/dates/uuids/booleans green, blobs dark
/// magenta, collections blue, null and errors red. Used only when output is a terminal.
public enum ANSIColor: String, Sendable {
    case magenta = "\u{1B}[0;1;35m"
    case yellow = "\u{1B}[0;1;33m"
    case green = "\u{1B}[0;1;32m"
    case red = "\u{1B}[0;1;31m"
    case blue = "\u{1B}[0;1;34m"
    case darkMagenta = "\u{1B}[0;35m"

    public static let reset = "\u{1B}[0m"

    public func wrap(_ s: String, enabled: Bool) -> String {
        enabled ? rawValue + s + ANSIColor.reset : s
    }
}
