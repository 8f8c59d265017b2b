import ArgumentParser
import Foundation
import HyadesProtocol

/// The nodetool commands Cassandra runs over JMX: here they are management requests to the
/// node's storage_port (docs/formats/admin.md), answered by the node itself.
extension NodetoolCommand {
    struct AdminConnection: ParsableArguments {
        @Option(name: [.customShort("h"), .long], help: "Node address.") var host = "127.0.0.1"
        @Option(name: .customLong("storage-port"),
                help: "The node's storage_port, where it takes nodetool's management requests (Cassandra's nodetool uses JMX on 7199; Hyades has no JMX).")
        var storagePort = 7000
        @Option(name: [.customShort("p"), .long],
                help: "Native transport port: accepted for the same command line as the other nodetool commands, not used.")
        var port: Int?
    }

    struct GossipInfo: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gossipinfo",
                                                        abstract: "Every node's gossip state as this node knows it.",
                                                        helpNames: [.long])
        @OptionGroup var connection: AdminConnection
        @Flag(name: [.customShort("T"), .long], help: "Show TOKENS (Cassandra prints <hidden>).") var tokens = false
        @Flag(name: [.customLong("pp"), .customLong("print-port")], help: "Print each address with its storage port.")
        var printPort = false
        func run() throws {
            guard case .gossipInfo(let endpoints) = try NodetoolCommand.request(.gossipInfo, connection) else { return }
            print(NodetoolAdminReport.gossipInfo(endpoints, tokens: tokens, printPort: printPort), terminator: "")
        }
    }

    struct TableStats: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tablestats",
                                                        abstract: "Statistics of tables: SSTables, space used, partitions, memtable.",
                                                        helpNames: [.long], aliases: ["cfstats"])
        @OptionGroup var connection: AdminConnection
        @Flag(name: [.customShort("H"), .customLong("human-readable")], help: "Sizes in KiB, MiB, GiB, TiB.")
        var humanReadable = false
        @Argument(help: "keyspace or keyspace.table, any number (none: every table).") var names: [String] = []
        func run() throws {
            guard case .tableStats(let tables) = try NodetoolCommand.request(.tableStats(names), connection) else { return }
            print(NodetoolAdminReport.tableStats(tables, humanReadable: humanReadable), terminator: "")
        }
    }

    struct Flush: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Flush memtables to SSTables: every table, a keyspace's, or some tables of it.",
                                                        helpNames: [.long])
        @OptionGroup var connection: AdminConnection
        @Argument(help: "Keyspace (none: every keyspace).") var keyspace: String?
        @Argument(help: "Tables of the keyspace (none: all).") var tables: [String] = []
        func run() throws { _ = try NodetoolCommand.request(.flush(keyspace: keyspace, tables: tables), connection) }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Major compaction: every table, a keyspace's, or some tables of it.",
                                                        helpNames: [.long])
        @OptionGroup var connection: AdminConnection
        @Argument(help: "Keyspace (none: every keyspace).") var keyspace: String?
        @Argument(help: "Tables of the keyspace (none: all).") var tables: [String] = []
        func run() throws { _ = try NodetoolCommand.request(.compact(keyspace: keyspace, tables: tables), connection) }
    }

    struct Drain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop serving (CQL, gossip, internode, streaming) and flush every memtable; the process stays up until stopped.",
            helpNames: [.long])
        @OptionGroup var connection: AdminConnection
        func run() throws { _ = try NodetoolCommand.request(.drain, connection) }
    }

    /// Sends one request; prints a failure as Cassandra's nodetool does and exits non-zero:
    /// a name that does not exist (nodetool's "bad use") exits 1 with a hint, a failure on
    /// the node exits 2 as "error: ...", a node not reached exits 1.
    static func request(_ request: AdminRequest, _ c: AdminConnection) throws -> AdminResponse {
        let response: AdminResponse
        do {
            response = try NodetoolAdminClient(host: c.host, port: c.storagePort).send(request)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        if case .error(let code, let message) = response {
            if code == AdminFormat.errorUnknownTable && !message.hasPrefix("Unknown keyspace/cf pair") {
                FileHandle.standardError.write(Data("nodetool: \(message)\nSee 'hyades nodetool --help' or 'hyades nodetool <command> --help'.\n".utf8))
                throw ExitCode(1)
            }
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode(2)
        }
        return response
    }

    /// Cassandra's nodetool takes its connection options before the command
    /// (`nodetool -h HOST status`); ArgumentParser wants them after it. Moves the leading
    /// -h/--host, -p/--port and --storage-port (with their values) of a `nodetool` command
    /// line behind the subcommand, so both forms work.
    static func connectionOptionsAfterCommand(_ args: [String]) -> [String] {
        guard args.first == "nodetool" else { return args }
        let withValue: Set<String> = ["-h", "--host", "-p", "--port", "--storage-port"]
        var moved: [String] = []
        var i = 1
        while i < args.count {
            let a = args[i]
            if withValue.contains(a), i + 1 < args.count {
                moved += [a, args[i + 1]]
                i += 2
            } else if a.hasPrefix("--host=") || a.hasPrefix("--port=") || a.hasPrefix("--storage-port=") {
                moved.append(a)
                i += 1
            } else {
                break
            }
        }
        guard !moved.isEmpty, i < args.count else { return args }
        return ["nodetool", args[i]] + moved + args[(i + 1)...]
    }
}
