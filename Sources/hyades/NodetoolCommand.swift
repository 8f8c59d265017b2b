import ArgumentParser
import Foundation
import HyadesClient
import HyadesCluster
import HyadesCore

/// `hyades nodetool`: Cassandra's nodetool commands with its columns and wording. Where
/// Cassandra asks the node over JMX, this asks it over CQL: the ring and every node's
/// identity come from the node's `system.local` and `system.peers_v2` (its gossip view),
/// placement is computed with the same code the node uses (HyadesCluster), and a node's
/// Up/Down state is whether its native port answers from here.
struct NodetoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodetool",
        abstract: "Cluster information and node operations, as Cassandra's nodetool (status, ring, info, describering, getendpoints, gossipinfo, tablestats, flush, compact, drain).",
        discussion: "The node is given as in nodetool, `hyades nodetool -h HOST status` (or after the command; help is --help). status, ring, info, describering and getendpoints read the node over CQL (-p: native port, 9042); gossipinfo, tablestats, flush, compact and drain are requests to its storage_port (--storage-port, 7000), where Cassandra uses JMX.",
        subcommands: [Status.self, Ring.self, Info.self, DescribeRing.self, GetEndpoints.self,
                      GossipInfo.self, TableStats.self, Flush.self, Compact.self, Drain.self],
        helpNames: [.long])

    struct Connection: ParsableArguments {
        @Option(name: [.customShort("h"), .long], help: "Node address.") var host = "127.0.0.1"
        @Option(name: [.customShort("p"), .long], help: "Native transport port.") var port = 9042
        @Option(name: .customLong("storage-port"),
                help: "storage_port: accepted for the same command line as gossipinfo, tablestats, flush, compact and drain; not used.")
        var storagePort: Int?
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Nodes by data centre: state, load, tokens, ownership, host id, rack.",
                                                        helpNames: [.long])
        @OptionGroup var connection: Connection
        @Argument(help: "Keyspace for effective ownership.") var keyspace: String?
        func run() throws { try NodetoolCommand.run(connection) { try await $0.status(keyspace: keyspace) } }
    }

    struct Ring: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every token of the ring with its node.", helpNames: [.long])
        @OptionGroup var connection: Connection
        func run() throws { try NodetoolCommand.run(connection) { try await $0.ring() } }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The connected node: id, gossip, location, tokens.",
                                                        helpNames: [.long])
        @OptionGroup var connection: Connection
        func run() throws { try NodetoolCommand.run(connection) { try await $0.info() } }
    }

    struct DescribeRing: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "describering",
                                                        abstract: "The token ranges of a keyspace and their replicas.",
                                                        helpNames: [.long])
        @OptionGroup var connection: Connection
        @Argument(help: "Keyspace.") var keyspace: String
        func run() throws { try NodetoolCommand.run(connection) { try await $0.describeRing(keyspace) } }
    }

    struct GetEndpoints: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "getendpoints",
                                                        abstract: "The replicas of a partition key.",
                                                        helpNames: [.long])
        @OptionGroup var connection: Connection
        @Argument(help: "Keyspace.") var keyspace: String
        @Argument(help: "Table.") var table: String
        @Argument(help: "Partition key (components of a composite key joined by ':').") var key: String
        func run() throws {
            try NodetoolCommand.run(connection) { try await $0.getEndpoints(keyspace, table, key) }
        }
    }

    /// Connects, runs `body` with a view of the cluster, prints what it returns.
    static func run(_ c: Connection, _ body: @escaping @Sendable (ClusterReport) async throws -> String) throws {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<String, any Error> = .success("")
        Task {
            do {
                // Pinned to the node asked: its own system.local and gossip view.
                let client = try await HyadesClient.connect(
                    HyadesClientConfiguration(contactPoints: ["\(c.host):\(c.port)"], tokenAware: false, discoverPeers: false))
                do {
                    var report = try await ClusterReport.load(client, host: c.host, port: c.port)
                    report.loads = ClusterReport.gossipedLoads(host: c.host, storagePort: c.storagePort ?? 7000)
                    outcome = .success(try await body(report))
                } catch { outcome = .failure(error) }
                await client.close()
            } catch {
                outcome = .failure(NodetoolError("nodetool: failed to connect to '\(c.host):\(c.port)': \(error)"))
            }
            done.signal()
        }
        done.wait()
        switch outcome {
        case .success(let text): print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        case .failure(let e):
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct NodetoolError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
