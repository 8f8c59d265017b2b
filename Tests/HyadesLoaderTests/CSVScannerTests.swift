import HyadesTestSupport
import Testing
@testable import HyadesLoader

/// Splitting CSV text into records and fields the way the Gaia archive writes it.
@Suite struct CSVScannerTests {
    struct Record: Equatable {
        var fields: [String]
        var line: Int
        var error: CSVRecordError?
    }

    static func scan(_ text: String) -> [Record] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { b in
            var s = CSVRecordScanner(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count)
            var fields: [CSVField] = []
            var error: CSVRecordError?
            var rs = 0, re = 0, line = 0
            var out: [Record] = []
            while s.next(into: &fields, error: &error, recordStart: &rs, recordEnd: &re, line: &line) {
                out.append(Record(fields: fields.map { String(decoding: s.text($0), as: UTF8.self) }, line: line + 1, error: error))
            }
            return out
        }
    }

    /// Fields of every length from 0 to 40 (the scanner looks at 8 bytes at a time), with
    /// bytes near ',' and '\n' in value (+, -, ., \t, \r inside a field is kept only
    /// before the line end) at every position of a word.
    @Test func fieldsOfEveryLengthAcrossWordBoundaries() {
        let alphabet = Array("0123456789+-.e\t/;<=-".utf8)
        var records: [[String]] = []
        var n = 0
        for length in 0...40 {
            var r: [String] = []
            for k in 0..<(1 + length % 5) {
                r.append(String(decoding: (0..<(length + k)).map { _ in alphabet[(n &* 7 &+ k) % alphabet.count] }.map { c -> UInt8 in n += 1; return c }, as: UTF8.self))
            }
            records.append(r)
        }
        let text = records.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        let scanned = Self.scan(text)
        // Blank lines are skipped: a record of one empty field does not appear.
        let expected = records.enumerated().filter { $0.element != [""] }
            .map { Record(fields: $0.element, line: $0.offset + 1) }
        #expect(scanned == expected)
    }

    @Test func plainRecords() {
        #expect(Self.scan("a,b,c\n1,2,3\n") == [Record(fields: ["a", "b", "c"], line: 1), Record(fields: ["1", "2", "3"], line: 2)])
    }

    @Test func lastRecordWithoutNewline() {
        #expect(Self.scan("a,b\n1,2") == [Record(fields: ["a", "b"], line: 1), Record(fields: ["1", "2"], line: 2)])
    }

    @Test func emptyFieldsIncludingTrailing() {
        #expect(Self.scan(",,\n") == [Record(fields: ["", "", ""], line: 1)])
        #expect(Self.scan("1,,3,") == [Record(fields: ["1", "", "3", ""], line: 1)])
    }

    @Test func crlfLineEnds() {
        #expect(Self.scan("a,b\r\n1,\r\n\"x\",2\r\n") == [
            Record(fields: ["a", "b"], line: 1), Record(fields: ["1", ""], line: 2), Record(fields: ["x", "2"], line: 3),
        ])
    }

    @Test func quotedFieldsWithCommasNewlinesAndEscapes() {
        let text = "id,name\n1,\"Alpha, Centauri\"\n2,\"two\nlines\"\n3,\"say \"\"hi\"\"\"\n4,\"\"\n"
        #expect(Self.scan(text) == [
            Record(fields: ["id", "name"], line: 1),
            Record(fields: ["1", "Alpha, Centauri"], line: 2),
            Record(fields: ["2", "two\nlines"], line: 3),
            Record(fields: ["3", "say \"hi\""], line: 5),
            Record(fields: ["4", ""], line: 6),
        ])
    }

    @Test func blankLinesAreSkippedButCounted() {
        #expect(Self.scan("a\n\n\r\nb\n") == [Record(fields: ["a"], line: 1), Record(fields: ["b"], line: 4)])
    }

    @Test func malformedQuotes() {
        let r = Self.scan("1,\"abc\"x,2\n3,4\n5,\"open\n")
        #expect(r.count == 3)
        #expect(r[0].error == .textAfterClosingQuote)
        #expect(r[1] == Record(fields: ["3", "4"], line: 2))
        #expect(r[2].error == .unterminatedQuote)
        #expect(r[2].line == 3)
    }

    /// Chunks cut at record boundaries give the same records as one pass, even with
    /// quoted newlines near every cut.
    @Test func chunkBoundariesRespectQuotes() {
        var text = ""
        for i in 0..<3000 {
            text += i % 7 == 0 ? "\(i),\"multi\nline, \"\"quoted\"\"\n\",x\n" : "\(i),plain,y\n"
        }
        let whole = Self.scan(text).map(\.fields)
        let bytes = Array(text.utf8)
        for chunks in [2, 3, 8, 50] {
            let starts = bytes.withUnsafeBufferPointer { CSVBlockReader.chunkStarts($0.baseAddress!, $0.count, count: chunks) }
            #expect(starts.count > 1)
            var joined: [[String]] = []
            for (i, s) in starts.enumerated() {
                let e = i + 1 < starts.count ? starts[i + 1] : bytes.count
                joined += Self.scan(String(decoding: bytes[s..<e], as: UTF8.self)).map(\.fields)
            }
            #expect(joined == whole, "\(chunks) chunks")
        }
        let last = bytes.withUnsafeBufferPointer { CSVBlockReader.lastRecordBoundary($0.baseAddress!, $0.count - 5) }
        #expect(last != nil)
        if let last { #expect(bytes[last - 1] == 10) }
    }

    /// A block known to hold no quote is cut without scanning it for quotes: the cuts must
    /// be the ones the quote-aware scan makes, whatever the lengths of the records, the
    /// chunk count (more chunks than records included) and where the block ends.
    @Test func quoteFreeCutsEqualTheQuoteAwareOnes() {
        var g = SplitMix(seed: 5)
        for _ in 0..<300 {
            var text = ""
            let rows = Int(g.next() % 400)
            for _ in 0..<rows {
                text += String(repeating: "x", count: Int(g.next() % 40)) + "," + String(g.next() % 1000) + (g.next() % 5 == 0 ? "\r\n" : "\n")
            }
            if g.next() % 2 == 0 { text += "tail,without,newline" }
            let bytes = Array(text.utf8)
            guard !bytes.isEmpty else { continue }
            let (end, quoteFree) = bytes.withUnsafeBufferPointer { CSVBlockReader.lastRecordBoundaryAndQuotes($0.baseAddress!, $0.count) }
            #expect(quoteFree)
            #expect(end == bytes.withUnsafeBufferPointer { CSVBlockReader.lastRecordBoundary($0.baseAddress!, $0.count) })
            for chunks in [2, 3, 7, 64, 1000] {
                let aware = bytes.withUnsafeBufferPointer { CSVBlockReader.chunkStarts($0.baseAddress!, $0.count, count: chunks) }
                let free = bytes.withUnsafeBufferPointer { CSVBlockReader.chunkStarts($0.baseAddress!, $0.count, count: chunks, quoteFree: true) }
                #expect(free == aware, "\(chunks) chunks of \(bytes.count) bytes")
            }
        }
        let quoted = Array("a,\"b\nc\"\nd,e\n".utf8)
        #expect(quoted.withUnsafeBufferPointer { CSVBlockReader.lastRecordBoundaryAndQuotes($0.baseAddress!, $0.count) }.quoteFree == false)
    }

    /// Every record as the scanner reports it: field count, the stored fields (position,
    /// length, quoted, escapes), error, raw extent, line, then where it stands.
    static func trace(_ b: UnsafeBufferPointer<UInt8>, generalOnly: Bool, capacity: Int) -> [String] {
        var s = CSVRecordScanner(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: b.count)
        let fields = UnsafeMutablePointer<CSVField>.allocate(capacity: capacity)
        defer { fields.deallocate() }
        var out: [String] = []
        var count = 0, error: CSVRecordError?, rs = 0, re = 0, line = 0
        while generalOnly
            ? s.nextGeneral(fields: fields, capacity: capacity, count: &count, error: &error, recordStart: &rs, recordEnd: &re, line: &line)
            : s.next(fields: fields, capacity: capacity, count: &count, error: &error, recordStart: &rs, recordEnd: &re, line: &line) {
            let stored = (0..<min(count, capacity)).map { i in
                "\(fields[i].start)+\(fields[i].count)\(fields[i].quoted ? "q" : "")\(fields[i].hasEscapes ? "e" : "")"
            }
            out.append("\(count) [\(stored.joined(separator: " "))] \(String(describing: error)) \(rs)..<\(re) line \(line) newlines \(s.newlines) at \(s.offset)")
        }
        out.append("end: newlines \(s.newlines) at \(s.offset)")
        return out
    }

    /// The word-at-a-time path (records without quotes) gives exactly what the field-by-
    /// field scanner gives, on random text: separators at every offset of a word, CR
    /// before and away from line ends, blank lines, empty and long fields, trailing
    /// commas, text ending anywhere (the last word read byte by byte), more fields than
    /// the buffer holds, and quotes (the record goes to the general scanner) now and then.
    @Test func wordAtATimeScanningMatchesTheGeneralScanner() {
        var rng = SplitMix(seed: 2026_11_25)
        let plain = Array("0123456789.-+eE abcxyz".utf8)
        for round in 0..<4000 {
            var text: [UInt8] = []
            let length = Int(rng.next() % 160)
            let quotes = round % 3 == 0
            while text.count < length {
                let r = rng.next() % 100
                switch r {
                case 0..<14: text.append(44)
                case 14..<22: text.append(10)
                case 22..<26: text += [13, 10]
                case 26..<28: text.append(13)
                case 28..<31 where quotes: text.append(34)
                case 31..<34: text += Array(repeating: plain[Int(rng.next() % UInt64(plain.count))], count: 9 + Int(rng.next() % 40))
                default: text.append(plain[Int(r) % plain.count])
                }
            }
            text.withUnsafeBufferPointer { b in
                for capacity in [1, 3, 8] {
                    let fast = Self.trace(b, generalOnly: false, capacity: capacity)
                    let general = Self.trace(b, generalOnly: true, capacity: capacity)
                    #expect(fast == general, "\(String(decoding: text, as: UTF8.self).debugDescription) capacity \(capacity)")
                }
            }
        }
    }

    @Test func recordsWithMoreFieldsThanTheArrayHolds() {
        let many = (0..<70).map { "f\($0)" }
        #expect(Self.scan(many.joined(separator: ",") + "\n1,2\n") == [Record(fields: many, line: 1), Record(fields: ["1", "2"], line: 2)])
    }
}
