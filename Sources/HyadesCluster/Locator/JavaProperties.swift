/// The `java.util.Properties.load` text format, which Cassandra's `SnitchProperties` reads
/// `cassandra-rackdc.properties` with: `key=value`, `key: value` or `key value`; lines whose
/// first non-blank character is `#` or `!` are comments; a line ending in an odd number of
/// backslashes continues on the next one (its leading blanks dropped); `\t \n \r \f \uXXXX`
/// escapes, any other escaped character stands for itself. The last of repeated keys wins.
enum JavaProperties {
    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for logical in logicalLines(text) {
            let chars = Array(logical)
            var i = 0
            var key: [Character] = []
            // Key: up to an unescaped '=', ':' or blank.
            while i < chars.count {
                let c = chars[i]
                if c == "\\" && i + 1 < chars.count {
                    key.append(c); key.append(chars[i + 1]); i += 2; continue
                }
                if c == "=" || c == ":" || isBlank(c) { break }
                key.append(c)
                i += 1
            }
            while i < chars.count && isBlank(chars[i]) { i += 1 }
            if i < chars.count && (chars[i] == "=" || chars[i] == ":") {
                i += 1
                while i < chars.count && isBlank(chars[i]) { i += 1 }
            }
            out[unescape(key)] = unescape(Array(chars[i...]))
        }
        return out
    }

    private static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\u{0C}" }

    /// Joins continuation lines and drops blank and comment lines.
    private static func logicalLines(_ text: String) -> [String] {
        var lines: [String] = []
        var pending: String? = nil
        let physical = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        for raw in physical {
            var line = Substring(raw)
            while let f = line.first, isBlank(f) { line = line.dropFirst() }
            if pending == nil && (line.isEmpty || line.first == "#" || line.first == "!") { continue }
            var trailing = 0
            for c in line.reversed() { if c == "\\" { trailing += 1 } else { break } }
            let continues = trailing % 2 == 1
            let body = continues ? String(line.dropLast()) : String(line)
            pending = (pending ?? "") + body
            if !continues {
                lines.append(pending!)
                pending = nil
            }
        }
        if let pending { lines.append(pending) }
        return lines
    }

    private static func unescape(_ chars: [Character]) -> String {
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "\\", i + 1 < chars.count else { out.append(c); i += 1; continue }
            let e = chars[i + 1]
            i += 2
            switch e {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "f": out.append("\u{0C}")
            case "u":
                let hex = String(chars[i..<min(i + 4, chars.count)])
                if hex.count == 4, let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) {
                    out.unicodeScalars.append(s)
                    i += 4
                } else {
                    out.append("u")   // Java rejects a malformed \u escape; keep the text
                }
            default: out.append(e)
            }
        }
        return out
    }
}
