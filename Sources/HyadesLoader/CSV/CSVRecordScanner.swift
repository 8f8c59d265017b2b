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
    /// The word `nextSeparator` reads (its offset) and its separators not yet passed.
    @usableFromInline var wordAt = Int.min / 2
    @usableFromInline var pending: UInt64 = 0

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
        var capacity = max(fields.capacity, 16)
        while true {
            let saved = self
            var buffer = [CSVField](repeating: CSVField(start: 0, count: 0, quoted: false, hasEscapes: false), count: capacity)
            var count = 0
            let more = buffer.withUnsafeMutableBufferPointer { b in
                next(fields: b.baseAddress!, capacity: capacity, count: &count, error: &error,
                     recordStart: &recordStart, recordEnd: &recordEnd, line: &line)
            }
            if count <= capacity {
                fields.removeAll(keepingCapacity: true)
                fields.append(contentsOf: buffer[0..<count])
                return more
            }
            self = saved
            capacity = count
        }
    }

    /// As `next(into:...)`, the fields into a caller's buffer: the first `capacity` of
    /// them are stored, `count` says how many the record has.
    ///
    /// A record without `"` (nearly every catalogue row) is split here: the positions of
    /// `,` `\n` `"` come from one 8-byte word at a time, each word loaded once and its
    /// separators taken lowest first (`pending`), instead of a search per field that
    /// reloads the field's words. A `"` sends the record to `nextGeneral`, from its start.
    @inline(__always)
    public mutating func next(fields: UnsafeMutablePointer<CSVField>, capacity: Int, count: inout Int, error: inout CSVRecordError?,
                              recordStart: inout Int, recordEnd: inout Int, line: inout Int) -> Bool {
        // Skip blank lines.
        while position < end {
            let c = base[position]
            if c == 10 { position += 1; newlines += 1; continue }
            if c == 13 && position + 1 < end && base[position + 1] == 10 { position += 2; newlines += 1; continue }
            break
        }
        if position >= end { count = 0; error = nil; return false }
        var n = 0
        var p = position
        while true {
            let q = nextSeparator(from: p)
            if q < end {
                let c = base[q]
                if c == 44 {
                    if n < capacity { fields[n] = CSVField(start: p, count: q - p, quoted: false, hasEscapes: false) }
                    n += 1
                    p = q + 1
                    continue
                }
                if c == 34 {
                    return nextGeneral(fields: fields, capacity: capacity, count: &count, error: &error,
                                       recordStart: &recordStart, recordEnd: &recordEnd, line: &line)
                }
            }
            // The record's newline, or the end of the text; a CR before it is not text.
            var fieldEnd = q
            if fieldEnd > p && base[fieldEnd - 1] == 13 { fieldEnd -= 1 }
            if n < capacity { fields[n] = CSVField(start: p, count: fieldEnd - p, quoted: false, hasEscapes: false) }
            n += 1
            recordStart = position
            recordEnd = q
            if recordEnd > recordStart && base[recordEnd - 1] == 13 { recordEnd -= 1 }
            line = newlines
            if q < end { newlines += 1; position = q + 1 } else { position = end }
            count = n
            error = nil
            return true
        }
    }

    /// The first `,` `\n` or `"` at or after `p` (at most `end`), from the pending word
    /// when `p` lies in it.
    @inline(__always)
    mutating func nextSeparator(from p: Int) -> Int {
        let offset = p &- wordAt
        var m: UInt64
        if UInt(bitPattern: offset) < 8 {
            m = pending & (UInt64.max &<< UInt64(truncatingIfNeeded: 8 &* offset))
        } else {
            loadWord(at: p)
            m = pending
        }
        while m == 0 {
            loadWord(at: wordAt + 8)
            m = pending
        }
        pending = m
        return min(wordAt + m.trailingZeroBitCount >> 3, end)
    }

    /// The separator flags (0x80 in each byte that is `,` `\n` or `"`) of the 8 bytes at
    /// `at`; past `end`, a flag marks the end (the tail is read byte by byte: the text
    /// may end at the end of a mapping).
    @inline(__always)
    mutating func loadWord(at: Int) {
        wordAt = at
        if at + 8 <= end {
            pending = Self.separatorFlags(UInt64(littleEndian: UnsafeRawPointer(base).loadUnaligned(fromByteOffset: at, as: UInt64.self)))
        } else {
            pending = Self.tailFlags(base, at: at, end: end)
        }
    }

    static func tailFlags(_ base: UnsafePointer<UInt8>, at: Int, end: Int) -> UInt64 {
        let left = max(end - at, 0)
        var w = UInt64.max
        for i in 0..<left { w = w & ~(0xFF << UInt64(8 * i)) | UInt64(base[at + i]) << UInt64(8 * i) }
        return separatorFlags(w) & ~(UInt64.max << UInt64(8 * left)) | 0x80 << UInt64(8 * left)
    }

    /// 0x80 in each byte of `w` that is `,` `\n` or `"`, exactly (no borrow crosses a byte:
    /// every byte's test is done on its low 7 bits plus 0x7F).
    @inline(__always)
    static func separatorFlags(_ w: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let comma = w ^ 0x2C2C_2C2C_2C2C_2C2C
        let newline = w ^ 0x0A0A_0A0A_0A0A_0A0A
        let quote = w ^ 0x2222_2222_2222_2222
        // A byte is zero iff neither its high bit nor (low 7 bits + 0x7F)'s high bit is set.
        let zc = ((comma & low) &+ low) | comma
        let zn = ((newline & low) &+ low) | newline
        let zq = ((quote & low) &+ low) | quote
        return ~(zc & zn & zq) & 0x8080_8080_8080_8080
    }

    /// The record scanner for any text (quotes included), one field at a time: `next`
    /// hands it each record that holds a `"`. Also the reference the tests hold `next` to.
    mutating func nextGeneral(fields: UnsafeMutablePointer<CSVField>, capacity: Int, count: inout Int, error: inout CSVRecordError?,
                              recordStart: inout Int, recordEnd: inout Int, line: inout Int) -> Bool {
        count = 0
        error = nil
        @inline(__always) func append(_ f: CSVField) {
            if count < capacity { fields[count] = f }
            count += 1
        }
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
                append(CSVField(start: p + 1, count: q - p - 1, quoted: true, hasEscapes: escapes))
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
            append(CSVField(start: p, count: fieldEnd - p, quoted: false, hasEscapes: false))
            p = q
            if p < end && base[p] == 44 { p += 1; if p == end { append(CSVField(start: p, count: 0, quoted: false, hasEscapes: false)); break }; continue }
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
