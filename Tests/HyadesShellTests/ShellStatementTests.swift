import HyadesCore
import HyadesShell
import Testing

@Suite struct ShellStatementTests {
    @Test func shellCommands() {
        #expect(ShellStatement.parse("EXIT") == .exit)
        #expect(ShellStatement.parse("quit;") == .exit)
        #expect(ShellStatement.parse("CONSISTENCY") == .consistency(nil))
        #expect(ShellStatement.parse("consistency local_quorum") == .consistency(.localQuorum))
        #expect(ShellStatement.parse("SERIAL CONSISTENCY LOCAL_SERIAL") == .serialConsistency(.localSerial))
        #expect(ShellStatement.parse("PAGING OFF") == .paging(.off))
        #expect(ShellStatement.parse("paging 50") == .paging(.pageSize(50)))
        #expect(ShellStatement.parse("EXPAND ON") == .expand(true))
        #expect(ShellStatement.parse("TRACING OFF") == .tracing(false))
        #expect(ShellStatement.parse("SOURCE '/tmp/a b.cql'") == .source("/tmp/a b.cql"))
        #expect(ShellStatement.parse("HELP COPY") == .help("copy"))
        #expect(ShellStatement.parse("DESC TABLE ks.t") == .describe("DESC TABLE ks.t"))
        #expect(ShellStatement.parse("SELECT * FROM t") == .cql("SELECT * FROM t"))
    }

    @Test func badShellCommandsSayHowToWriteThem() {
        guard case .usage(let m) = ShellStatement.parse("CONSISTENCY MOST") else { Issue.record("not a usage error"); return }
        #expect(m.hasPrefix("Improper CONSISTENCY command: MOST (valid levels: ANY, ONE"))
        #expect(ShellStatement.parse("PAGING sometimes") == .usage("Improper paging command: use PAGING [ON | OFF | <page size>]"))
        #expect(ShellStatement.parse("SOURCE file.cql") == .usage("Improper source command: use SOURCE '<file>'"))
    }

    @Test func copyCommands() throws {
        let to = try CopyCommand.parse("COPY gaia.dr3 (source_id, ra) TO '/tmp/x.csv' WITH HEADER = true AND DELIMITER = '|'")
        #expect(to.keyspace == "gaia" && to.table == "dr3" && to.columns == ["source_id", "ra"])
        #expect(to.direction == .to && to.file == "/tmp/x.csv" && to.header && to.delimiter == "|")
        let from = try CopyCommand.parse("copy \"Stars\" FROM STDIN")
        #expect(from.keyspace == nil && from.table == "Stars" && from.columns == nil && from.file == nil && from.direction == .from)
        #expect(throws: ShellUsageError.self) { try CopyCommand.parse("COPY t TO") }
        #expect(throws: ShellUsageError("Unrecognized COPY TO option: COLOUR")) { try CopyCommand.parse("COPY t TO 'f' WITH colour = 'red'") }
        #expect(throws: ShellUsageError("COPY option HEADER expects true or false, not 'maybe'")) { try CopyCommand.parse("COPY t TO 'f' WITH HEADER = 'maybe'") }
    }
}
