import Foundation
import HyadesTestSupport
import Testing

/// `hyades shell` in a pseudo-terminal (tmux) against a real `hyades server`, typed at the
/// way a person does: multi-line statements, TAB, up-arrow, editing keys, ctrl-c, paging.
@Suite(.serialized) struct ShellTerminalTests {
    func startShell(_ server: ShellTestServer, history: String) throws -> TmuxSession {
        try TmuxSession(command: "env HYADES_SHELL_HISTORY=\(history) \(HyadesServerProcess.executable) shell --host \(server.host) --port \(server.port)")
    }

    @Test func typingMultiLineStatementsCompletionHistoryAndEditing() throws {
        let server = try ShellTestServer()
        defer { server.stop() }
        try #require(server.port > 0, "server did not start: \(server.log.value)")
        let history = NSTemporaryDirectory() + "hyades-shell-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try startShell(server, history: history)
        defer { t.close() }

        var s = try t.waitFor("hyades> ")
        #expect(s.contains("Connected to Test Cluster at \(server.host):\(server.port)"))

        // A statement over two lines: the continuation prompt, then the main one again.
        try t.type("CREATE KEYSPACE demo WITH replication =")
        try t.press("Enter")
        s = try t.waitFor("   ... ")
        try t.type("{'class': 'SimpleStrategy', 'replication_factor': 1};")
        try t.press("Enter")
        try t.waitFor("hyades> ", count: 2)
        try t.type("USE demo;")
        try t.press("Enter")
        s = try t.waitFor("hyades:demo> ")
        try t.type("CREATE TABLE stars (")
        try t.press("Enter")
        try t.type("  id int PRIMARY KEY,")
        try t.press("Enter")
        try t.type("  name text, mag double);")
        try t.press("Enter")
        try t.waitFor("hyades:demo> ", count: 2)
        try t.type("INSERT INTO stars (id, name, mag) VALUES (1, 'vega', 0.03);")
        try t.press("Enter")
        try t.waitFor("hyades:demo> ", count: 3)
        try t.type("INSERT INTO stars (id, name, mag) VALUES (2, 'sirius', -1.46);")
        try t.press("Enter")
        try t.waitFor("hyades:demo> ", count: 4)

        // TAB completes the table created a moment ago (names refreshed after DDL).
        try t.type("SELECT name, mag FROM st")
        try t.press("Tab")
        s = try t.waitFor("FROM stars ")
        #expect(s.contains("hyades:demo> SELECT name, mag FROM stars "))
        try t.type("WHERE id = 1;")
        try t.press("Enter")
        s = try t.waitFor("(1 rows)")
        #expect(s.contains("""
             name | mag
            ------+------
             vega | 0.03

            (1 rows)
            """))

        // TAB completes a column in the select list, then a keyword.
        try t.type("SELECT na")
        try t.press("Tab")
        try t.waitFor("SELECT name ")
        try t.type("FR")
        try t.press("Tab")
        try t.waitFor("SELECT name FROM ")
        try t.type("stars WHERE id = 2;")
        try t.press("Enter")
        s = try t.waitFor(" sirius")

        // Up-arrow brings the last statement back (as one line); Enter runs it again.
        try t.press("Up")
        s = try t.waitFor("hyades:demo> SELECT name FROM stars WHERE id = 2;")
        try t.press("Enter")
        s = try t.waitFor(" sirius", count: 2)

        // Editing: ctrl-a to the start, insert, ctrl-e to the end, left/backspace.
        try t.type("ELECT count(*) FROM starsx;")
        try t.press("C-a")
        try t.type("S")
        try t.press("C-e", "Left", "BSpace", "Enter")
        s = try t.waitFor(" count\n-------\n")
        #expect(s.contains("""
             count
            -------
                 2
            """))

        // ctrl-u / ctrl-w / ctrl-k cut; ctrl-c drops a half-typed statement.
        try t.type("garbage words")
        try t.press("C-w", "C-u")
        try t.type("SELECT * FROM stars")
        try t.press("Enter")
        try t.waitFor("   ... ")
        try t.press("C-c")
        s = try t.waitFor("^C")
        try t.type("SELECT id FROM stars WHERE id = 1;")
        try t.press("Enter")
        s = try t.waitFor(" id\n----\n  1\n")
        #expect(s.contains("   ... ^C\nhyades:demo> SELECT id FROM stars WHERE id = 1;\n"))
        #expect(!s.contains("SyntaxException"))

        // A server error: the class and the server's message, no file:line at the prompt.
        try t.type("SELECT * FROM nosuch;")
        try t.press("Enter")
        s = try t.waitFor("unconfigured table")
        #expect(s.contains("InvalidRequest: Error from server: code=2200 [Invalid query] message=\"unconfigured table nosuch\""))

        // ctrl-d on an empty line leaves with status 0; the history file kept the statements.
        try t.press("C-d")
        s = try t.waitFor("[exited ")
        #expect(s.contains("[exited 0]"))
        let saved = try String(contentsOfFile: history, encoding: .utf8)
        #expect(saved.contains("CREATE TABLE stars (   id int PRIMARY KEY,   name text, mag double);\n"))
        #expect(saved.contains("SELECT name FROM stars WHERE id = 2;\n"))
        #expect(saved.contains("SELECT count(*) FROM stars;\n"))
    }

    @Test func pagingExpandAndExitOnATerminal() throws {
        let server = try ShellTestServer()
        defer { server.stop() }
        try #require(server.port > 0, "server did not start: \(server.log.value)")
        var setup = "CREATE KEYSPACE p WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};"
        setup += "CREATE TABLE p.t (k int, c int, PRIMARY KEY (k, c));"
        for c in 1...7 { setup += "INSERT INTO p.t (k, c) VALUES (1, \(c));" }
        #expect(try server.shell(["-e", setup]).status == 0)

        let history = NSTemporaryDirectory() + "hyades-shell-history-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: history) }
        let t = try startShell(server, history: history)
        defer { t.close() }
        try t.waitFor("hyades> ")
        try t.type("PAGING 3")
        try t.press("Enter")
        try t.waitFor("Page size: 3")
        try t.type("SELECT c FROM p.t WHERE k = 1;")
        try t.press("Enter")
        var s = try t.waitFor("---MORE---")
        #expect(s.contains(" c\n---\n 1\n 2\n 3\n"))
        #expect(!s.contains(" 4\n"))
        try t.press("Space")
        s = try t.waitFor(" 6\n")
        try t.press("Space")
        s = try t.waitFor("(7 rows)")
        #expect(s.contains(" 7\n"))
        #expect(!s.contains("---MORE---"))  // the prompt line is erased after each key
        // On a terminal the table is in colour (tmux re-encodes it; plain capture above has none).
        #expect(try t.colouredScreen().contains("\u{1B}["))

        try t.type("EXPAND ON")
        try t.press("Enter")
        try t.type("SELECT k, c FROM p.t WHERE k = 1 AND c = 5;")
        try t.press("Enter")
        s = try t.waitFor("@ Row 1")
        s = try t.waitFor("(1 rows)", count: 1)
        #expect(s.contains("@ Row 1\n---+---\n k | 1\n c | 5\n"))

        // ctrl-c while a statement waits for a node that does not answer (stopped with
        // SIGSTOP) gives the prompt back. A ctrl-c that lands before the statement is sent
        // is discarded with the line's input, so press until the shell says it stopped.
        kill(server.node.process.processIdentifier, SIGSTOP)
        try t.type("SELECT * FROM p.t;")
        try t.press("Enter")
        var stopped = false
        for _ in 0..<100 where !stopped {
            try t.press("C-c")
            for _ in 0..<10 where !stopped {
                stopped = try t.screen().contains("Interrupted: stopped waiting for the answer.")
                usleep(50_000)
            }
        }
        kill(server.node.process.processIdentifier, SIGCONT)
        #expect(stopped)
        try t.type("EXPAND OFF")
        try t.press("Enter")
        s = try t.waitFor("Disabled Expanded output.")
        try t.type("exit")
        try t.press("Enter")
        s = try t.waitFor("[exited ")
        #expect(s.contains("[exited 0]"))
    }
}
