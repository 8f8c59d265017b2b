import Foundation
import HyadesCore

/// One value as the shell prints it: the text and which colour class it belongs to.
/// Widths are measured on `text` (colour codes are added only when drawing).
public struct DisplayCell: Hashable, Sendable {
    public enum Kind: Hashable, Sendable { case text, number, blob, collection, null, other }
    public var text: String
    public var kind: Kind

    public init(_ text: String, kind: Kind = .text) {
        self.text = text
        self.kind = kind
    }

    public static let null = DisplayCell("null", kind: .null)

    var color: ANSIColor {
        switch kind {
        case .text: return .yellow
        case .number, .other: return .green
        case .blob: return .darkMagenta
        case .collection: return .blue
        case .null: return .red
        }
    }

    /// Display width in terminal columns: one per character (the shell targets the ASCII
    /// and Latin text of catalogues; wide East Asian glyphs would be under-counted).
    public var width: Int { text.count }
}

/// Serialized values -> `DisplayCell`, following cqlsh's formatting: text unquoted (with
/// control characters escaped so one value stays on one line), floats with 5 and doubles
/// with 12 significant digits, everything else as CQL literals (`CQLValueFormat`).
public enum ValueDisplay {
    public static let floatPrecision = 5
    public static let doublePrecision = 12

    public static func cell(_ value: [UInt8]?, type: CQLType) -> DisplayCell {
        guard let value else { return .null }
        let t = type.unfrozen
        switch t {
        case .text, .ascii:
            return DisplayCell(escapeControls(String(decoding: value, as: UTF8.self)), kind: .text)
        case .float where value.count == 4:
            let bits = value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return DisplayCell(floating(Double(Float(bitPattern: bits)), precision: floatPrecision), kind: .number)
        case .double where value.count == 8:
            let bits = value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return DisplayCell(floating(Double(bitPattern: bits), precision: doublePrecision), kind: .number)
        default:
            let text = CQLValueFormat.literal(value, type: type)
            return DisplayCell(escapeControls(text), kind: kind(of: t))
        }
    }

    static func kind(of t: CQLType) -> DisplayCell.Kind {
        switch t {
        case .int, .bigint, .smallint, .tinyint, .varint, .decimal, .float, .double, .counter: return .number
        case .blob: return .blob
        case .list, .set, .map, .tuple, .udt: return .collection
        default: return .other
        }
    }

    /// cqlsh's `format_floating_point_type`: `%.*g`, with the precision widened by the
    /// digits left of the point so 45.123456789012 is not cut to 45.1234567890.
    public static func floating(_ x: Double, precision: Int) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
        var p = precision
        if abs(x) > Double.ulpOfOne {
            let exponent = Int(log10(abs(x)).rounded(.towardZero))
            if -4 <= exponent && exponent < precision { p = precision + exponent + 1 }
        }
        return String(format: "%.*g", p, x)
    }

    static func escapeControls(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F { out += String(format: "\\x%02x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}
