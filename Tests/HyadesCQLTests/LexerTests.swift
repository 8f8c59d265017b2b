import Testing
@testable import HyadesCQL

@Suite struct LexerTests {
    func kinds(_ s: String) throws -> [CQLToken.Kind] {
        try CQLLexer.tokenize(s).map(\.kind).dropLast()
    }

    func texts(_ s: String) throws -> [String] {
        try CQLLexer.tokenize(s).map(\.text).dropLast()
    }

    @Test func identifiersAndKeywords() throws {
        let ts = try CQLLexer.tokenize(#"SeLeCt "MixedCase" "with""quote" abc_1"#)
        #expect(ts[0].kind == .identifier && ts[0].isKeyword("select"))
        #expect(ts[1].kind == .quotedIdentifier && ts[1].text == "MixedCase")
        #expect(ts[2].text == #"with"quote"#)
        #expect(ts[3].text == "abc_1" && ts[3].kind == .identifier)
        #expect(ts.last?.kind == .endOfInput)
    }

    @Test func strings() throws {
        #expect(try texts("'it''s' $$a 'b' $c$$ ''") == ["it's", "a 'b' $c", ""])
        #expect(try kinds("'x' $$y$$") == [.string, .string])
    }

    @Test func numbers() throws {
        #expect(try kinds("1 1.5 1e10 2.5E-3 3. 0xCAFE 0x") == [.integer, .float, .float, .float, .float, .hexBlob, .hexBlob])
        #expect(try texts("12 1.5e+3") == ["12", "1.5e+3"])
        // The minus sign is a separate token; the parser folds it into literals.
        #expect(try kinds("-1") == [.symbol, .integer])
    }

    @Test func uuidsAndDurations() throws {
        #expect(try kinds("123e4567-e89b-12d3-a456-426614174000 aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee") == [.uuid, .uuid])
        #expect(try kinds("1h30m 12mo 3w 1d2h3m4s5ms6us7ns 10µs P1Y2M3D PT1H P2W P0001-02-03T04:05:06")
                == Array(repeating: .duration, count: 9))
        // Not durations: identifier `p`, integer then name.
        #expect(try kinds("p 5x") == [.identifier, .integer, .identifier])
    }

    @Test func symbolsAndMarkers() throws {
        #expect(try texts("<= >= != += -= < > = ? :n ( ) [ ] { } , ; . * +")
                == ["<=", ">=", "!=", "+=", "-=", "<", ">", "=", "?", ":", "n", "(", ")", "[", "]", "{", "}", ",", ";", ".", "*", "+"])
    }

    @Test func commentsAreSkipped() throws {
        #expect(try texts("a -- one\nb // two\n/* three\n */ c") == ["a", "b", "c"])
    }

    @Test func positionsAreLineAndZeroBasedColumn() throws {
        let ts = try CQLLexer.tokenize("SELECT *\n  FROM t")
        #expect(ts[0].range.start == SourcePosition(line: 1, column: 0, offset: 0))
        #expect(ts[1].range.start.column == 7)
        #expect(ts[2].range.start.line == 2 && ts[2].range.start.column == 2)
        #expect(ts[3].range.start.line == 2 && ts[3].range.start.column == 7)
        // Columns count characters, not UTF-8 bytes.
        let u = try CQLLexer.tokenize("'é' x")
        #expect(u[1].range.start.column == 4)
    }

    @Test func lexicalErrors() {
        #expect(throws: CQLSyntaxError.self) { try CQLLexer.tokenize("'open") }
        #expect(throws: CQLSyntaxError.self) { try CQLLexer.tokenize("\"open") }
        #expect(throws: CQLSyntaxError.self) { try CQLLexer.tokenize("/* open") }
        #expect(throws: CQLSyntaxError.self) { try CQLLexer.tokenize("$$open") }
        #expect(throws: CQLSyntaxError.self) { try CQLLexer.tokenize("a ! b") }
        #expect(throws: CQLSyntaxError.self) { try CQLLexer.tokenize("\"\"") }
        do {
            _ = try CQLLexer.tokenize("SELECT a\n  ~")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2 && error.column == 2 && error.token == "~")
        }
    }
}
