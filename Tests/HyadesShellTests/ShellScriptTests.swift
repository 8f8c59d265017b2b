import Foundation
import HyadesTestSupport
import Testing

/// `hyades shell -e` / `-f` / piped standard input against a real `hyades server`: what a
/// script sees on stdout, stderr and in the exit status.
@Suite(.serialized) struct ShellScriptTests {
    static let schema = """
        CREATE KEYSPACE s WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};
        CREATE TABLE s.stars (id int PRIMARY KEY, name text, mag double, tags set<text>);
        INSERT INTO s.stars (id, name, mag, tags) VALUES (1, 'vega', 0.03, {'a0v', 'bright'});
        INSERT INTO s.stars (id, name, mag) VALUES (2, 'sirius, alpha CMa', -1.46);
        """

    @Test func executeAndFileRunsPrintTablesWithoutColourAndFailWithStatus2() throws {
        let server = try ShellTestServer()
        defer { server.stop() }
        try #require(server.port > 0, "server did not start: \(server.log.value)")

        let setup = try server.shell(["-e", Self.schema])
        #expect(setup.status == 0 && setup.stdout.isEmpty && setup.stderr.isEmpty, "\(setup)")

        // -e without a final ';'; output piped: no colour codes.
        let select = try server.shell(["-e", "SELECT id, name, mag, tags FROM s.stars"])
        #expect(select.status == 0)
        #expect(select.stdout == """

             id | name              | mag   | tags
            ----+-------------------+-------+-------------------
              1 |              vega |  0.03 | {'a0v', 'bright'}
              2 | sirius, alpha CMa | -1.46 |              null

            (2 rows)

            """)
        #expect(!select.stdout.contains("\u{1B}"))

        let bad = try server.shell(["-e", "SELECT * FROM s.stars; SELEC 1"])
        #expect(bad.status == 2)
        #expect(bad.stdout.contains("(2 rows)"))  // the statement before the error ran
        #expect(bad.stderr.hasPrefix("<stdin>:1:SyntaxException: line 1:0 "), "\(bad.stderr)")

        // -f: errors name the file and the line of the failing statement; later ones still run.
        let file = NSTemporaryDirectory() + "hyades-shell-\(UUID().uuidString).cql"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            -- a comment
            USE s;
            SELECT name
              FROM nosuch;
            EXPAND ON
            SELECT name, mag FROM stars WHERE id = 1;
            CONSISTENCY QUORUM
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try server.shell(["-f", file])
        #expect(run.status == 2)
        #expect(run.stderr == "\(file):3:InvalidRequest: Error from server: code=2200 [Invalid query] message=\"unconfigured table nosuch\"\n")
        #expect(run.stdout == """
            Now Expanded output is enabled

            @ Row 1
            ------+------
             name | vega
             mag  | 0.03

            (1 rows)
            Consistency level set to QUORUM.

            """)

        // Piped standard input behaves like a file named <stdin>.
        let piped = try server.shell([], stdin: "USE s;\nSELECT count(*) FROM stars;\nDROP TABLE nosuch;\n")
        #expect(piped.status == 2)
        #expect(piped.stdout.contains(" count\n-------\n     2\n"))
        #expect(piped.stderr.hasPrefix("<stdin>:3:InvalidRequest: "))

        let unreachable = try ShellTestServer.shellOnly(["--host", "127.0.0.6", "--port", "1", "-e", "SELECT 1"])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.hasPrefix("Connection error: ('Unable to connect to 127.0.0.6:1'"))
    }

    @Test func describeSourceAndCopyRoundTrip() throws {
        let server = try ShellTestServer()
        defer { server.stop() }
        try #require(server.port > 0, "server did not start: \(server.log.value)")
        #expect(try server.shell(["-e", Self.schema]).status == 0)

        let describe = try server.shell(["-k", "s", "-e", "DESCRIBE TABLES; DESC TABLE stars"])
        #expect(describe.status == 0)
        #expect(describe.stdout.hasPrefix("\nstars\n\n"))
        #expect(describe.stdout.contains("CREATE TABLE s.stars (\n    id int PRIMARY KEY,"))

        let dir = NSTemporaryDirectory() + "hyades-shell-copy-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        // COPY TO writes CSV: text as is (quoted when it holds a comma), collections as
        // CQL literals, null as an empty field.
        let export = try server.shell(["-e", "COPY s.stars (id, name, mag, tags) TO '\(dir)/stars.csv' WITH HEADER = true;"])
        #expect(export.status == 0)
        #expect(export.stdout.hasPrefix("2 rows exported to 1 files in "))
        let csv = try String(contentsOfFile: dir + "/stars.csv", encoding: .utf8)
        #expect(csv == "id,name,mag,tags\n1,vega,0.03,\"{'a0v', 'bright'}\"\n2,\"sirius, alpha CMa\",-1.46,\n")

        // COPY FROM into a copy of the table, through SOURCE; a bad row is reported with its
        // line and skipped, the others load.
        try (csv + "3,broken,notanumber,\n").write(toFile: dir + "/in.csv", atomically: true, encoding: .utf8)
        try """
            CREATE TABLE s.copy (id int PRIMARY KEY, name text, mag double, tags set<text>);
            COPY s.copy FROM '\(dir)/in.csv' WITH HEADER = true;
            """.write(toFile: dir + "/load.cql", atomically: true, encoding: .utf8)
        let load = try server.shell(["-e", "SOURCE '\(dir)/load.cql'"])
        #expect(load.status == 2)
        #expect(load.stdout.hasPrefix("2 rows imported from 1 files in "))
        #expect(load.stdout.hasSuffix(" seconds (1 skipped).\n"))
        #expect(load.stderr == "\(dir)/in.csv:4:Failed to import row: column mag: 'notanumber' is not a valid double\n")
        let back = try server.shell(["-e", "COPY s.copy (id, name, mag, tags) TO STDOUT WITH HEADER = true"])
        #expect(back.stdout == csv)

        // A wrong column name is an error before anything is written.
        let wrong = try server.shell(["-e", "COPY s.copy (id, colour) FROM '\(dir)/in.csv'"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr == "<stdin>:1:Invalid column name colour for table s.copy\n")
    }
}

extension ShellTestServer {
    /// `hyades shell args...` without the server's address (for connection errors).
    static func shellOnly(_ args: [String]) throws -> (stdout: String, stderr: String, status: Int32) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: HyadesServerProcess.executable)
        p.arguments = ["shell"] + args
        let err = Pipe()
        p.standardOutput = FileHandle.nullDevice
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return ("", String(decoding: data, as: UTF8.self), p.terminationStatus)
    }
}
