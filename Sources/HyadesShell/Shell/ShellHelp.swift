/// HELP and HELP <topic>.
enum ShellHelp {
    static let topics: [String: String] = [
        "consistency": """
            CONSISTENCY [level]
              Shows the consistency level of this session's requests, or sets it:
              ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE.
              SERIAL CONSISTENCY [SERIAL | LOCAL_SERIAL] does the same for conditional updates.
            """,
        "paging": """
            PAGING [ON | OFF | <page size>]
              On a terminal, long results are shown a page at a time (default 100 rows);
              press a key at ---MORE--- for the next page, q to stop.
            """,
        "expand": """
            EXPAND [ON | OFF]
              Vertical output: one block per row ("@ Row 1"), a line per column.
            """,
        "tracing": """
            TRACING [ON | OFF]
              Hyades does not record query traces yet; TRACING OFF is accepted.
            """,
        "source": """
            SOURCE '<file>'
              Runs the statements in a file, as if typed. Errors name the file and line.
            """,
        "copy": """
            COPY [<keyspace>.]<table> [(<column>, ...)] TO '<file.csv>' | STDOUT [WITH <option> = <value> [AND ...]]
            COPY [<keyspace>.]<table> [(<column>, ...)] FROM '<file.csv>' | STDIN [WITH <option> = <value> [AND ...]]
              Exports rows to CSV or imports them. Options: HEADER = true|false (default false),
              DELIMITER = ',', QUOTE = '"', ESCAPE = '\\', NULL = '' (text written for null),
              MAXROWS = n (TO), SKIPROWS = n (FROM), PAGESIZE = n (TO).
              FROM with HEADER = true and no column list takes the columns from the header.
              For large catalogue files use `hyades load`, which writes SSTables directly.
            """,
        "describe": """
            DESCRIBE | DESC
              KEYSPACES | KEYSPACE [<ks>] | TABLES | TABLE [<ks>.]<t> | TYPES | TYPE <name>
              | CLUSTER | SCHEMA | FULL SCHEMA | <name>
              Asks the node (server-side DESCRIBE) and prints the CQL that recreates the schema.
            """,
        "show": """
            SHOW VERSION | SHOW HOST
            """,
        "exit": """
            EXIT | QUIT (or ctrl-d on an empty line)
            """,
        "keys": """
            Line editing: left/right, home/end or ctrl-a/ctrl-e, backspace/delete,
            ctrl-k (cut to end), ctrl-u (cut to start), ctrl-w (cut word), up/down (history),
            TAB (complete keywords, keyspaces, tables, columns), ctrl-c (drop the line),
            ctrl-l (clear screen), ctrl-d (exit on an empty line).
            """,
    ]

    static func text(_ topic: String?) -> String {
        if let topic {
            let key = topic.split(separator: " ").first.map(String.init) ?? topic
            let aliased = ["desc": "describe", "quit": "exit", "serial": "consistency"][key] ?? key
            if let t = topics[aliased] { return "\n" + t + "\n\n" }
            return "No help on '\(topic)'. Topics: \(topics.keys.sorted().map { $0.uppercased() }.joined(separator: " "))\n"
        }
        return """

            Shell commands (end at the end of the line; CQL statements end with ';'):
            ========================================================================
            CONSISTENCY  COPY  DESCRIBE  EXIT  EXPAND  HELP  PAGING  QUIT  SERIAL  SHOW
            SOURCE  TRACING  CLEAR

            CQL is sent to the node as typed: SELECT INSERT UPDATE DELETE BATCH CREATE ALTER
            DROP TRUNCATE USE ... (see docs/cql.md).

            HELP <topic> for more; HELP KEYS for line editing keys.


            """
    }
}
