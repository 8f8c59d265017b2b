import Testing
@testable import HyadesCQL

@Suite struct SplitterTests {
    @Test func splitsOutsideStringsAndComments() {
        let r = CQLStatementSplitter.split("INSERT INTO t (s) VALUES ('a;b'); -- c;d\nSELECT \"x;y\" FROM t; /* ; */ SELECT")
        #expect(r.statements == ["INSERT INTO t (s) VALUES ('a;b')", "-- c;d\nSELECT \"x;y\" FROM t"] || r.statements.count == 2)
        #expect(r.statements.first == "INSERT INTO t (s) VALUES ('a;b')")
        #expect(r.statements.last?.hasSuffix("SELECT \"x;y\" FROM t") == true)
        #expect(r.remainder == "SELECT")
    }

    @Test func keepsBatchesWhole() {
        let r = CQLStatementSplitter.split("BEGIN BATCH INSERT INTO t (a) VALUES (1); INSERT INTO t (a) VALUES (2); APPLY BATCH; USE ks;")
        #expect(r.statements == ["BEGIN BATCH INSERT INTO t (a) VALUES (1); INSERT INTO t (a) VALUES (2); APPLY BATCH", "USE ks"])
        #expect(r.remainder.isEmpty)
        let open = CQLStatementSplitter.split("BEGIN BATCH INSERT INTO t (a) VALUES (1);")
        #expect(open.statements.isEmpty)
        #expect(open.remainder == "BEGIN BATCH INSERT INTO t (a) VALUES (1);")
    }

    @Test func incompleteInputIsTheRemainder() {
        #expect(CQLStatementSplitter.split("SELECT 'open; string").statements.isEmpty)
        #expect(CQLStatementSplitter.split("SELECT 'open; string").remainder == "SELECT 'open; string")
        #expect(CQLStatementSplitter.split("  \n ").remainder.isEmpty)
        #expect(CQLStatementSplitter.split(";;;").statements.isEmpty)
    }
}
