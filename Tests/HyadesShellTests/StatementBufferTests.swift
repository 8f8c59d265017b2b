import HyadesShell
import Testing

@Suite struct StatementBufferTests {
    @Test func statementsContinueOverLinesUntilTheSemicolon() {
        var b = StatementBuffer()
        #expect(b.add(line: "SELECT name", number: 1).isEmpty)
        #expect(!b.isEmpty)
        #expect(b.add(line: "FROM ks.t", number: 2).isEmpty)
        #expect(b.add(line: "WHERE k = 1;", number: 3) == [InputStatement("SELECT name\nFROM ks.t\nWHERE k = 1", line: 1)])
        #expect(b.isEmpty)
    }

    @Test func semicolonsInStringsCommentsAndBatchesDoNotEndStatements() {
        var b = StatementBuffer()
        #expect(b.add(line: "INSERT INTO t (k, v) VALUES (1, 'a;b'); -- done;", number: 1).map(\.text) == ["INSERT INTO t (k, v) VALUES (1, 'a;b')"])
        #expect(b.add(line: "BEGIN BATCH INSERT INTO t (k) VALUES (1);", number: 2).isEmpty)
        let s = b.add(line: "APPLY BATCH;", number: 3)
        #expect(s.count == 1 && s[0].line == 2 && s[0].text.hasSuffix("APPLY BATCH"))
    }

    @Test func severalStatementsOnOneLineKeepTheirLineNumbers() {
        var b = StatementBuffer()
        _ = b.add(line: "", number: 1)
        #expect(b.add(line: "SELECT 1; SELECT", number: 2) == [InputStatement("SELECT 1", line: 2)])
        #expect(b.add(line: "2;", number: 3) == [InputStatement("SELECT\n2", line: 2)])
    }

    @Test func shellCommandsEndAtTheEndOfTheLine() {
        var b = StatementBuffer()
        #expect(b.add(line: "expand on", number: 1) == [InputStatement("expand on", line: 1)])
        #expect(b.add(line: "DESCRIBE TABLES; DESC KEYSPACES", number: 2).map(\.text) == ["DESCRIBE TABLES", "DESC KEYSPACES"])
        #expect(b.add(line: "SELECT 1; EXIT", number: 3).map(\.text) == ["SELECT 1", "EXIT"])
        #expect(b.add(line: "consistency quorum;", number: 4).map(\.text) == ["consistency quorum"])
        // COPY is CQL-like: it needs its ';'.
        #expect(b.add(line: "COPY ks.t TO 'x.csv'", number: 5).isEmpty)
        #expect(b.add(line: "WITH HEADER = true;", number: 6).map(\.text) == ["COPY ks.t TO 'x.csv'\nWITH HEADER = true"])
    }

    @Test func finishReturnsAnUnterminatedLastStatement() {
        var b = StatementBuffer()
        _ = b.add(line: "SELECT * FROM t", number: 4)
        #expect(b.finish() == InputStatement("SELECT * FROM t", line: 4))
        #expect(b.finish() == nil)
    }
}
