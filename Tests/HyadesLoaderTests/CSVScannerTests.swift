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
}
