import HyadesShell
import Testing

@Suite struct CSVTests {
    @Test func writerQuotesOnlyWhatNeedsIt() {
        let w = CSVWriter()
        #expect(w.record(["1", "vega", nil, "", "a,b", "say \"hi\"", "two\nlines", " pad"]) ==
            "1,vega,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\"\n")
    }

    @Test func readerHandlesQuotesNewlinesAndNullVersusEmpty() throws {
        let r = CSVReader(text: "id,name\r\n1,\"a, \"\"b\"\"\"\n\n2,\"two\nlines\"\n3,\n4,\"\"")
        let header = try #require(try r.next())
        #expect(header.fields == ["id", "name"] && header.line == 1)
        let a = try #require(try r.next())
        #expect(a.fields == ["1", "a, \"b\""] && a.quoted == [false, true] && a.line == 2)
        let b = try #require(try r.next())
        #expect(b.fields == ["2", "two\nlines"] && b.line == 4)
        let c = try #require(try r.next())
        #expect(c.fields == ["3", ""] && c.quoted == [false, false] && c.line == 6)
        let d = try #require(try r.next())
        #expect(d.fields == ["4", ""] && d.quoted == [false, true])
        #expect(try r.next() == nil)
    }

    @Test func writerOutputReadsBack() throws {
        let values: [[String?]] = [["x", nil, "", "q\"uote", "comma,here", "multi\nline"]]
        let w = CSVWriter()
        let r = CSVReader(text: values.map { w.record($0) }.joined())
        let rec = try #require(try r.next())
        let back: [String?] = zip(rec.fields, rec.quoted).map { f, q in f.isEmpty && !q ? nil : f }
        #expect(back == values[0])
    }

    @Test func unterminatedQuoteIsAnErrorWithItsLine() {
        let r = CSVReader(text: "1,ok\n2,\"open\n")
        #expect(throws: Never.self) { _ = try r.next() }
        #expect(throws: CSVError(line: 2, message: "unterminated quoted field")) { _ = try r.next() }
    }

    @Test func otherDelimiterAndSmallReads() throws {
        var chunks = Array("a|\"b|c\"\n".utf8).map { [$0] }  // one byte per read
        let r = CSVReader(delimiter: "|") { chunks.isEmpty ? nil : chunks.removeFirst() }
        #expect(try r.next()?.fields == ["a", "b|c"])
    }
}
