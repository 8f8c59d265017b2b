/// How `hyades shell` was started (the command-line options, cqlsh's names).
public struct ShellOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 9042
    public var keyspace: String?
    /// `-e`: run these statements and exit.
    public var execute: String?
    /// `-f`: run this file and exit.
    public var file: String?
    /// nil: colour when standard output is a terminal.
    public var color: Bool?
    public var username: String?
    public var password: String?
    public var requestTimeoutSeconds: Int64 = 10
    /// nil: `History.defaultPath()`.
    public var historyPath: String?

    public init() {}
}

/// Where the shell writes: standard output for results, standard error for errors, both
/// unbuffered so they interleave in the order they happen.
public final class ShellOutput {
    let out: Terminal
    let err: Terminal

    public init(outFD: Int32 = 1, errFD: Int32 = 2) {
        out = Terminal(inputFD: 0, outputFD: outFD)
        err = Terminal(inputFD: 0, outputFD: errFD)
    }

    public func write(_ s: String) { out.write(s) }
    public func line(_ s: String = "") { out.write(s + "\n") }
    public func error(_ s: String) { err.write(s + "\n") }
}
