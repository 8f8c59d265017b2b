import Foundation
import HyadesClient
import HyadesCore

/// `hyades shell`: cqlsh's behaviour over HyadesClient. Reads lines (edited on a
/// terminal, plain otherwise), cuts them into statements, runs shell commands itself and
/// sends CQL to the node, and prints results the way cqlsh does.
public final class Shell {
    let options: ShellOptions
    let output: ShellOutput
    var connection: ShellConnection!
    var names: SchemaNameCache?
    var history: History
    var editor: LineEditor?

    /// Standard input is a terminal and no -e/-f: prompts, line editing, paging.
    let interactive: Bool
    /// Standard output is a terminal (paging, blank line after tables, colour default).
    let outputIsTerminal: Bool
    let color: Bool

    var pagingEnabled = true
    var pageSize = 100
    var expand = false
    /// Set when a statement fails; the exit status of -e / -f / piped input.
    var hadError = false
    /// SOURCE nesting, to stop a file that sources itself.
    var sourceDepth = 0
    /// The statement whose pages are being fetched.
    var lastQuery = ""

    public init(options: ShellOptions, output: ShellOutput = ShellOutput()) {
        self.options = options
        self.output = output
        outputIsTerminal = Terminal.isTerminal(1)
        interactive = options.execute == nil && options.file == nil && Terminal.isTerminal(0)
        color = options.color ?? outputIsTerminal
        history = History(path: interactive ? (options.historyPath ?? History.defaultPath()) : nil)
        if interactive { editor = LineEditor(terminal: Terminal(inputFD: 0, outputFD: 1)) }
    }

    /// Runs the shell to the end; returns the process exit status: 0, 1 when the node
    /// cannot be reached, 2 when a statement of -e / -f / piped input failed.
    public static func run(_ options: ShellOptions) -> Int32 {
        Shell(options: options).run()
    }

    public func run() -> Int32 {
        do {
            connection = try ShellConnection.connect(host: options.host, port: options.port, keyspace: options.keyspace,
                                                     username: options.username, password: options.password,
                                                     requestTimeoutSeconds: options.requestTimeoutSeconds)
        } catch {
            output.error("Connection error: ('Unable to connect to \(options.host):\(options.port)', \(ShellErrors.describe(error)))")
            return 1
        }
        defer { connection.close() }
        names = SchemaNameCache(connection: connection)

        if let text = options.execute {
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // cqlsh runs `-e "SELECT ..."` without the final `;`.
            if let last = lines.last, !last.trimmingCharacters(in: .whitespaces).hasSuffix(";") { lines[lines.count - 1] += ";" }
            var source = ArrayLineSource(lines)
            _ = process(&source, name: "<stdin>")
        } else if let file = options.file {
            guard let source = FileLineSource(path: file) else {
                output.error("Could not open '\(file)': \(String(cString: strerror(errno)))")
                return 2
            }
            var s = source
            _ = process(&s, name: file)
        } else if interactive {
            banner()
            var source = EditorLineSource(shell: self)
            _ = process(&source, name: nil)
        } else {
            var source = StdinLineSource()
            _ = process(&source, name: "<stdin>")
        }
        return hadError ? 2 : 0
    }

    func banner() {
        var cluster = "Hyades"
        var version = "?"
        if let r = try? connection.execute("SELECT cluster_name, release_version FROM system.local", pageSize: 0), let row = r.first {
            cluster = row.string(0) ?? cluster
            version = row.string(1) ?? version
        }
        output.line("Connected to \(cluster) at \(options.host):\(options.port)")
        output.line("[hyades shell | Hyades \(version) | CQL spec 3.4.5 | Native protocol v4]")
        output.line("Use HELP for help.")
    }

    var prompt: String {
        if let ks = connection.keyspace { return "hyades:\(ks)> " }
        return "hyades> "
    }

    static let continuationPrompt = "   ... "

    /// Reads `source` to its end (or EXIT); false if EXIT was given.
    func process(_ source: inout some LineSource, name: String?) -> Bool {
        var buffer = StatementBuffer()
        var lineNumber = 0
        while true {
            let p = buffer.isEmpty ? prompt : Self.continuationPrompt
            switch source.next(prompt: p, pending: buffer.pendingText) {
            case .interrupted:
                buffer.reset()
            case .end:
                // A script's last statement may lack its `;`; at the prompt, ctrl-d just leaves.
                if name != nil, let s = buffer.finish(), !run(s, source: name) { return false }
                return true
            case .line(let text):
                lineNumber += 1
                for s in buffer.add(line: text, number: lineNumber) {
                    if editor != nil && name == nil { history.add(s.text + (s.text.hasSuffix(";") ? "" : ";")) }
                    if !run(s, source: name) { return false }
                }
            }
        }
    }

    /// Runs one statement; false for EXIT.
    func run(_ statement: InputStatement, source: String?) -> Bool {
        let command = ShellStatement.parse(statement.text)
        do {
            switch command {
            case .exit:
                return false
            default:
                try perform(command)
            }
        } catch {
            report(ShellErrors.describe(error), line: statement.line, source: source)
        }
        return true
    }

    /// An error line: `file:line:message` when reading a script (cqlsh's form), the bare
    /// message at the prompt; red on a terminal.
    func report(_ message: String, line: Int, source: String?) {
        hadError = true
        let text = source.map { "\($0):\(line):\(message)" } ?? message
        output.error(color && Terminal.isTerminal(2) ? ANSIColor.red.wrap(text, enabled: true) : text)
    }

    func perform(_ command: ShellStatement) throws {
        switch command {
        case .cql(let text): try runCQL(text, describe: false)
        case .describe(let text): try runCQL(text, describe: true)
        case .consistency(let level):
            if let level {
                connection.consistency = level
                output.line("Consistency level set to \(level).")
            } else {
                output.line("Current consistency level is \(connection.consistency).")
            }
        case .serialConsistency(let level):
            if let level {
                connection.serialConsistency = level
                output.line("Serial consistency level set to \(level).")
            } else {
                output.line("Current serial consistency level is \(connection.serialConsistency).")
            }
        case .paging(let setting):
            switch setting {
            case nil:
                output.line(pagingEnabled ? "Query paging is currently enabled. Use PAGING OFF to disable" : "Query paging is currently disabled. Use PAGING ON to enable.")
                output.line("Page size: \(pageSize)")
            case .on?:
                pagingEnabled = true
                output.line("Now Query paging is enabled")
                output.line("Page size: \(pageSize)")
            case .off?:
                pagingEnabled = false
                output.line("Disabled Query paging.")
            case .pageSize(let n)?:
                pagingEnabled = true
                pageSize = n
                output.line("Page size: \(n)")
            }
        case .expand(let on):
            switch on {
            case nil: output.line(expand ? "Expanded output is currently enabled. Use EXPAND OFF to disable" : "Expanded output is currently disabled. Use EXPAND ON to enable.")
            case true?: expand = true; output.line("Now Expanded output is enabled")
            case false?: expand = false; output.line("Disabled Expanded output.")
            }
        case .tracing(let on):
            switch on {
            case true?: throw ShellMessageError("Tracing is not supported by Hyades yet: TRACING ON is unavailable.")
            case false?: output.line("Disabled Tracing.")
            case nil: output.line("Tracing is currently disabled. Use TRACING ON to enable.")
            }
        case .source(let path):
            try source(path)
        case .copy(let copy):
            try CopyRunner(shell: self, command: copy).run()
        case .help(let topic):
            output.write(ShellHelp.text(topic))
        case .show(let what):
            try show(what)
        case .clear:
            if outputIsTerminal { output.write("\u{1B}[H\u{1B}[2J") }
        case .usage(let message):
            throw ShellMessageError(message)
        case .exit:
            break
        }
    }

    func source(_ path: String) throws {
        let expanded = (path as NSString).expandingTildeInPath
        guard sourceDepth < 16 else { throw ShellMessageError("SOURCE nested too deeply (a file that sources itself?)") }
        guard var lines = FileLineSource(path: expanded) else {
            throw ShellMessageError("Could not open '\(path)': \(String(cString: strerror(errno)))")
        }
        sourceDepth += 1
        defer { sourceDepth -= 1 }
        _ = process(&lines, name: path)
    }

    func show(_ what: String) throws {
        switch what {
        case "version":
            let r = try connection.execute("SELECT release_version FROM system.local", pageSize: 0)
            output.line("[hyades shell | Hyades \(r.first?.string(0) ?? "?") | CQL spec 3.4.5 | Native protocol v4]")
        case "host":
            let r = try connection.execute("SELECT cluster_name FROM system.local", pageSize: 0)
            output.line("Connected to \(r.first?.string(0) ?? "Hyades") at \(options.host):\(options.port).")
        default:
            throw ShellMessageError("Improper show command: use SHOW VERSION or SHOW HOST")
        }
    }

    /// Completion for the line editor: the statement so far is the continued lines plus
    /// this line up to the cursor.
    func completions(pending: String, beforeCursor: String) -> CompletionProposal {
        let engine = CompletionEngine(names: names, currentKeyspace: connection.keyspace)
        let text = pending.isEmpty ? beforeCursor : pending + "\n" + beforeCursor
        return engine.complete(text)
    }
}
