/// Rows as cqlsh draws them: header names left-justified, a `-+-` separator, values
/// right-justified, one leading space per line.
///
/// ```
///  k | name  | mag
/// ---+-------+---------
///  1 | vega  |    0.03
/// ```
public enum TableRenderer {
    /// The table lines, each ending in "\n". `header: false` draws only the rows (a later
    /// page when not on a terminal, as cqlsh does).
    public static func render(columns: [String], rows: [[DisplayCell]], color: Bool, header: Bool = true) -> String {
        var widths = columns.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count {
                widths[i] = max(widths[i], cell.width)
            }
        }
        var out = ""
        if header {
            var line = ""
            for (i, name) in columns.enumerated() {
                if i > 0 { line += " | " }
                line += ANSIColor.magenta.wrap(name, enabled: color)
                if i < columns.count - 1 { line += pad(widths[i] - name.count) }
            }
            out += " " + line + "\n"
            out += "-" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-") + "-\n"
        }
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() where i < widths.count {
                if i > 0 { line += " | " }
                line += pad(widths[i] - cell.width) + cell.color.wrap(cell.text, enabled: color)
            }
            out += " " + line + "\n"
        }
        return out
    }

    static func pad(_ n: Int) -> String { n > 0 ? String(repeating: " ", count: n) : "" }
}

/// EXPAND ON: one block per row, name and value side by side (cqlsh's vertical output).
///
/// ```
/// @ Row 1
/// ------+------
///  k    | 1
///  name | vega
/// ```
public enum ExpandedRenderer {
    public static func render(columns: [String], rows: [[DisplayCell]], firstRowNumber: Int, color: Bool) -> String {
        let nameWidth = columns.map(\.count).max() ?? 0
        let valueWidth = rows.flatMap { $0.map(\.width) }.max() ?? 0
        var out = ""
        for (r, row) in rows.enumerated() {
            out += "@ Row \(firstRowNumber + r)\n"
            out += "-" + String(repeating: "-", count: nameWidth) + "-+-" + String(repeating: "-", count: valueWidth) + "-\n"
            for (i, cell) in row.enumerated() where i < columns.count {
                let name = ANSIColor.magenta.wrap(columns[i], enabled: color) + TableRenderer.pad(nameWidth - columns[i].count)
                out += " " + name + " | " + cell.color.wrap(cell.text, enabled: color) + "\n"
            }
            out += "\n"
        }
        return out
    }
}
