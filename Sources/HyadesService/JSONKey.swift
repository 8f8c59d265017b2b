import HyadesCQL

/// SELECT JSON's object keys as Cassandra writes them: a column whose name needs quoting
/// in CQL (`"Mixed"`) appears as `"\"Mixed\""`, so that INSERT JSON reads it back as the
/// same case-sensitive column; the key is JSON-escaped.
enum JSONKey {
    static func forColumn(_ name: String, isColumn: Bool) -> String {
        let cql = isColumn && !isPlainIdentifier(name) ? "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" : name
        var out = ""
        for u in cql.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    /// `[a-z][a-z0-9_]*`: written bare in CQL.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first >= 0x61, first <= 0x7A else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}

extension SelectorPlan {
    var isColumn: Bool {
        if case .column = self { return true }
        return false
    }
}
