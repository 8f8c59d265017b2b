import Foundation
import HyadesCQL
import HyadesCore

/// A statement as the shell understands it: its own commands (cqlsh's), or CQL that goes
/// to the server (which includes USE and DESCRIBE: server-side DESCRIBE exists).
public enum ShellStatement: Hashable, Sendable {
    case cql(String)
    /// DESCRIBE / DESC: sent to the server as is, printed the cqlsh way.
    case describe(String)
    /// `CONSISTENCY` shows, `CONSISTENCY level` sets.
    case consistency(ConsistencyLevel?)
    case serialConsistency(ConsistencyLevel?)
    case paging(PagingSetting?)
    case expand(Bool?)
    case tracing(Bool?)
    case source(String)
    case copy(CopyCommand)
    case help(String?)
    case show(String)
    case clear
    case exit
    /// A shell command written wrong: the message says how to write it.
    case usage(String)

    public enum PagingSetting: Hashable, Sendable {
        case on, off
        case pageSize(Int)
    }

    public static func parse(_ statement: String) -> ShellStatement {
        let text = StatementBuffer.trimTerminator(statement)
        let first = StatementBuffer.firstWord(text)
        let rest = String(text.drop(while: \.isWhitespace).dropFirst(first == "?" ? 1 : first.count))
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let arg = rest.lowercased()
        switch first {
        case "exit", "quit":
            return .exit
        case "clear", "cls":
            return .clear
        case "help", "?":
            return .help(rest.isEmpty ? nil : arg)
        case "describe", "desc":
            return .describe(text)
        case "show":
            return .show(arg)
        case "consistency", "serial":
            let serial = first == "serial"
            var words = arg.split(separator: " ").map(String.init)
            if serial {
                guard words.first == "consistency" else { return .usage("Usage: SERIAL CONSISTENCY [SERIAL | LOCAL_SERIAL]") }
                words.removeFirst()
            }
            guard let w = words.first else { return serial ? .serialConsistency(nil) : .consistency(nil) }
            guard words.count == 1, let level = ConsistencyLevel(name: w) else {
                let valid = serial ? "SERIAL, LOCAL_SERIAL" : ConsistencyLevel.allCases.map(\.description).joined(separator: ", ")
                return .usage("Improper \(serial ? "SERIAL CONSISTENCY" : "CONSISTENCY") command: \(rest) (valid levels: \(valid))")
            }
            if serial {
                guard level.isSerial else { return .usage("Improper SERIAL CONSISTENCY command: \(rest) (valid levels: SERIAL, LOCAL_SERIAL)") }
                return .serialConsistency(level)
            }
            return .consistency(level)
        case "paging":
            switch arg {
            case "": return .paging(nil)
            case "on": return .paging(.on)
            case "off": return .paging(.off)
            default:
                if let n = Int(arg), n > 0 { return .paging(.pageSize(n)) }
                return .usage("Improper paging command: use PAGING [ON | OFF | <page size>]")
            }
        case "expand":
            switch arg {
            case "": return .expand(nil)
            case "on": return .expand(true)
            case "off": return .expand(false)
            default: return .usage("Improper expand command: use EXPAND [ON | OFF]")
            }
        case "tracing":
            switch arg {
            case "": return .tracing(nil)
            case "on": return .tracing(true)
            case "off": return .tracing(false)
            default: return .usage("Improper tracing command: use TRACING [ON | OFF]")
            }
        case "source":
            guard let tokens = try? CQLLexer.tokenize(rest), tokens.count == 2, tokens[0].kind == .string else {
                return .usage("Improper source command: use SOURCE '<file>'")
            }
            return .source(tokens[0].text)
        case "copy":
            do { return .copy(try CopyCommand.parse(text)) } catch { return .usage(error.message) }
        default:
            return .cql(text)
        }
    }
}

/// A usage error of a shell command (shown as is).
public struct ShellUsageError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
