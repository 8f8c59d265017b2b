import ArgumentParser
import HyadesShell

/// `hyades shell`: the CQL shell (cqlsh's options and commands). See docs/shell.md.
struct ShellCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell", abstract: "CQL shell: statements, DESCRIBE, COPY, paging, history and completion (like cqlsh).")

    @Argument(help: "Node to connect to (like cqlsh's positional host).")
    var hostArgument: String?

    @Argument(help: "CQL native port (like cqlsh's positional port).")
    var portArgument: Int?

    @Option(help: "Node to connect to.")
    var host: String?

    @Option(help: "CQL native transport port.")
    var port: Int?

    @Option(name: [.short, .customLong("keyspace")], help: "Keyspace to USE at start.")
    var keyspace: String?

    @Option(name: [.short, .customLong("execute")], help: "Run these statements (';'-separated) and exit.")
    var execute: String?

    @Option(name: [.short, .customLong("file")], help: "Run the statements in this file and exit.")
    var file: String?

    @Option(name: [.short, .customLong("username")], help: "User name (SASL PLAIN).")
    var username: String?

    @Option(name: [.short, .customLong("password")], help: "Password.")
    var password: String?

    @Flag(name: [.customShort("C"), .customLong("color")], help: "Always use colour.")
    var forceColor = false

    @Flag(name: .customLong("no-color"), help: "Never use colour.")
    var noColor = false

    @Option(name: .customLong("request-timeout"), help: "Seconds to wait for each request (default 10).")
    var requestTimeout: Int64 = 10

    func run() throws {
        var o = ShellOptions()
        o.host = host ?? hostArgument ?? "127.0.0.1"
        let p = port ?? portArgument ?? 9042
        guard (1...65535).contains(p) else { throw ValidationError("--port must be 1...65535") }
        guard requestTimeout > 0 else { throw ValidationError("--request-timeout must be positive") }
        o.port = p
        o.keyspace = keyspace
        o.execute = execute
        o.file = file
        o.username = username
        o.password = password
        o.requestTimeoutSeconds = requestTimeout
        if forceColor { o.color = true }
        if noColor { o.color = false }
        let status = Shell.run(o)
        if status != 0 { throw ExitCode(status) }
    }
}
