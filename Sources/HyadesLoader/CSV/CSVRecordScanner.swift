/// One field of a CSV record: where its text lies in the chunk and whether it was quoted
/// (then `""` inside it stands for one `"` and must be unescaped before use).
public struct CSVField: Sendable {
    public var start: Int
    public var count: Int
    public var quoted: Bool
    public var hasEscapes: Bool

    @inlinable public init(start: Int, count: Int, quoted: Bool, hasEscapes: Bool) {
        self.start = start
        self.count = count
        self.quoted = quoted
        self.hasEscapes = hasEscapes
    }
}

/// Why a record could not be split into fields.
public enum CSVRecordError: Sendable, Equatable {
    case unterminatedQuote
    case textAfterClosingQuote
}

/// Splits CSV text (RFC 4180 as the Gaia archive writes it) into records and fields
/// without copying: `,` separates fields, a record ends at `\n` or `\r\n` outside quotes,
/// a field may be quoted with `"` and then hold `,`, newlines and `""` (one quote).
/// A quote in the middle of an unquoted field is kept as text (lenient, like Python's
/// csv module). Blank lines are skipped. Line numbers count physical lines from 1 at the
/// start of the text.
public struct CSVRecordScanner {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var position = 0
    /// Physical lines consumed so far (newlines seen, including those inside quotes).
    public private(set) var newlines = 0

    public init(_ base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.end = count
    }

    public var isAtEnd: Bool { position >= end }
    /// Bytes consumed so far.
    public var offset: Int { position }

    /// The next record's fields into `fields` (cleared first). Returns false at the end.
    /// On a malformed record, `error` is set and the scanner has moved past the record;
    /// `recordStart`/`recordEnd` give its raw text either way and `line` its first
    /// physical line (0-based from the start of the text).
    public mutating func next(into fields: inout [CSVField], error: inout CSVRecordError?,
                              recordStart: inout Int, recordEnd: inout Int, line: inout Int) -> Bool {
        fields.removeAll(keepingCapacity: true)
        error = nil
        // Skip blank lines.
        while position < end {
            let c = base[position]
            if c == 10 { position += 1; newlines += 1; continue }
            if c == 13 && position + 1 < end && base[position + 1] == 10 { position += 2; newlines += 1; continue }
            break
        }
        if position >= end { return false }
        recordStart = position
        line = newlines
        var p = position
        while true {
            if p < end && base[p] == 34 {   // quoted field
                var q = p + 1
                var escapes = false
                var closed = false
                while q < end {
                    let c = base[q]
                    if c == 34 {
                        if q + 1 < end && base[q + 1] == 34 { escapes = true; q += 2; continue }
                        closed = true
                        break
                    }
                    if c == 10 { newlines += 1 }
                    q += 1
                }
                if !closed {
                    error = .unterminatedQuote
                    position = end
                    recordEnd = end
                    return true
                }
                fields.append(CSVField(start: p + 1, count: q - p - 1, quoted: true, hasEscapes: escapes))
                p = q + 1
                if p >= end { break }
                let c = base[p]
                if c == 44 { p += 1; continue }
                if c == 10 { break }
                if c == 13 && (p + 1 >= end || base[p + 1] == 10) { break }
                // Text after the closing quote: skip to the end of the line.
                error = .textAfterClosingQuote
                while p < end && base[p] != 10 { p += 1 }
                break
            }
            var q = Self.findCommaOrNewline(base, from: p, end: end)
            var fieldEnd = q
            if q < end && base[q] == 10 && fieldEnd > p && base[fieldEnd - 1] == 13 { fieldEnd -= 1 }
            else if q == end && fieldEnd > p && base[fieldEnd - 1] == 13 { fieldEnd -= 1 }
            fields.append(CSVField(start: p, count: fieldEnd - p, quoted: false, hasEscapes: false))
            p = q
            if p < end && base[p] == 44 { p += 1; if p == end { fields.append(CSVField(start: p, count: 0, quoted: false, hasEscapes: false)); break }; continue }
            break
        }
        // p is at the record's newline (or a CR before it), or the end.
        var e = p
        if e < end && base[e] == 13 { e += 1 }
        recordEnd = min(p, end)
        if recordEnd > recordStart && base[recordEnd - 1] == 13 { recordEnd -= 1 }
        if e < end && base[e] == 10 { newlines += 1; e += 1 }
        position = e
        return true
    }

    /// The first `,` or `\n` at or after `from` (or `end`). Eight bytes at a time (SWAR:
    /// a byte equal to the target becomes zero after XOR, and the classic "has a zero
    /// byte" test flags it; the lowest flagged byte is always exact, because borrows only
    /// move upwards), then byte by byte for the tail. Scanning fields one byte at a time
    /// was most of the scanner's time.
    @inlinable @inline(__always)
    static func findCommaOrNewline(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var q = from
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let raw = UnsafeRawPointer(base)
        while q + 8 <= end {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: q, as: UInt64.self))
            let a = w ^ (ones &* 44)
            let b = w ^ (ones &* 10)
            let m = ((a &- ones) & ~a | (b &- ones) & ~b) & highs
            if m != 0 { return q + m.trailingZeroBitCount >> 3 }
            q += 8
        }
        while q < end {
            let c = base[q]
            if c == 44 || c == 10 { break }
            q += 1
        }
        return q
    }

    /// A field's text, with `""` turned into `"` when the field had escapes.
    public func text(_ f: CSVField) -> [UInt8] {
        let buf = UnsafeBufferPointer(start: base + f.start, count: f.count)
        guard f.hasEscapes else { return Array(buf) }
        return CSVRecordScanner.unescape(buf)
    }

    public static func unescape(_ buf: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(buf.count)
        var i = 0
        while i < buf.count {
            out.append(buf[i])
            if buf[i] == 34 && i + 1 < buf.count && buf[i + 1] == 34 { i += 2 } else { i += 1 }
        }
        return out
    }
}
