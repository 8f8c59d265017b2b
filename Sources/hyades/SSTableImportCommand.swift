import ArgumentParser
import Foundation
import HyadesClient
import HyadesCore
import HyadesLoader
import HyadesStorage

/// `hyades sstable import DIR --keyspace KS --table T`: streams the SSTables of a directory
/// to the replicas of their token ranges, which verify and adopt them whole (Cassandra's
/// `nodetool import`, with sstableloader's placement; also how `hyades load` hands its
/// SSTables over). The ring and the keyspace's replication are read from `--host` over CQL
/// and placed as the nodes place them (SimpleStrategy, rack-aware NetworkTopologyStrategy):
/// each SSTable goes to every replica of every range it covers. Re-running an interrupted
/// import is safe: the session id is derived from the files, and a session a node already
/// committed is answered "already imported".
struct SSTableImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Stream the SSTables of a directory to their replicas, which adopt them without replaying rows (nodetool import).")

    @Argument(help: "Directory holding hy-<generation>-<Component>.db files (every component of every SSTable).")
    var directory: String

    @Option(help: "Keyspace of the table.")
    var keyspace: String

    @Option(help: "Table to import into; the SSTables' schema header must fit it.")
    var table: String

    @Option(help: "A node to ask for the ring (its listen address).")
    var host = "127.0.0.1"

    @Option(help: "Its native transport port (CQL), for the ring and the keyspace's replication.")
    var port = 9042

    @Option(name: .customLong("storage-port"), help: "The nodes' storage_port.")
    var storagePort = 7000

    @Option(help: "How many of its replicas every SSTable must reach: ALL (default), QUORUM, LOCAL_QUORUM or ONE.")
    var consistency = "ALL"

    @Option(name: .customLong("session-id"),
            help: "Session id (UUID). Default: derived from the files, so re-running the same import adopts nothing twice.")
    var sessionID: String?

    func run() throws {
        guard (1...65535).contains(storagePort) else { throw ValidationError("--storage-port must be 1...65535") }
        guard let level = LoadConsistency.parse(consistency) else {
            throw ValidationError("--consistency \(consistency): expected one of \(LoadConsistency.accepted.map(\.description).joined(separator: ", "))")
        }
        let files = try SSTableStreamer.sstableFiles(in: directory)
        guard !files.isEmpty else { throw ValidationError("\(directory) holds no SSTable files (hy-<generation>-<Component>.db)") }
        let id: UUID
        if let sessionID {
            guard let u = UUID(uuidString: sessionID) else { throw ValidationError("--session-id \(sessionID) is not a UUID") }
            id = u
        } else {
            id = try Self.sessionID(keyspace: keyspace, table: table, files: files)
        }
        do {
            let sstables = try Self.describe(directory: directory, files: files)
            var target = try LoadCommand.discover(host: host, port: port, storagePort: storagePort, keyspace: keyspace, table: table)
            target.consistency = level
            try target.checkAvailability()
            // One session per node, holding the SSTables it is a replica of; the same id on
            // every node (session ids are each node's own), derived from all the files.
            let sink = StreamingSink(target: target, writeTimestamp: 0)
            sink.keepFiles = true
            sink.sessionIDOverride = id
            do {
                try sink.accept(sstables)
            } catch {
                throw LoadFailure("\(error)" + Self.report(sink, keyspace: keyspace, table: table, port: storagePort, id: id))
            }
            print(Self.report(sink, keyspace: keyspace, table: table, port: storagePort, id: id), terminator: "")
        } catch {
            FileHandle.standardError.write(Data("hyades sstable import: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// One line per node that answered.
    static func report(_ sink: StreamingSink, keyspace: String, table: String, port: Int, id: UUID) -> String {
        var text = ""
        for (node, s) in sink.acceptedNodeList {
            if s.alreadyImported {
                text += "already imported: session \(id) was committed on \(node.address):\(port) before; nothing adopted again\n"
            } else {
                text += "imported \(s.sstablesAdopted) SSTables (\(s.partitionsAdopted) partitions, \(s.bytesAdopted) bytes) into \(keyspace).\(table) on \(node.address):\(port), session \(id)\n"
            }
        }
        return text
    }

    /// Each SSTable's generation and token range (from its Statistics), for placement.
    static func describe(directory: String, files: [String]) throws -> [WrittenSSTable] {
        var generations = Set<Int64>()
        for f in files {
            if let (g, _) = SSTableFormat.parseFileName((f as NSString).lastPathComponent) { generations.insert(g) }
        }
        var out: [WrittenSSTable] = []
        for g in generations.sorted() {
            let reader: SSTableReader
            do {
                reader = try SSTableReader.open(fileSystem: PosixFileSystem(), directory: directory, generation: g, blockCache: nil)
            } catch {
                throw LoadFailure("cannot read SSTable \(g) in \(directory): \(error)")
            }
            let bytes = SSTableFormat.Component.allCases.reduce(Int64(0)) { sum, c in
                let path = directory + "/" + SSTableFormat.fileName(generation: g, c)
                return sum + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.int64Value ?? 0)
            }
            let empty = reader.statistics.partitionCount == 0
            out.append(WrittenSSTable(directory: directory, generation: g, rows: Int(reader.statistics.rowCount),
                                      partitions: Int(reader.statistics.partitionCount),
                                      minToken: empty ? Int64.min + 1 : reader.firstKey.token.value,
                                      maxToken: empty ? Int64.min + 1 : reader.lastKey.token.value, bytes: bytes))
        }
        return out
    }

    /// A name-based UUID of the target and of each file's name, size and Statistics.db
    /// bytes (small, and unique per SSTable: keys, timestamps, counts).
    static func sessionID(keyspace: String, table: String, files: [String]) throws -> UUID {
        var material = Array("\(keyspace)\u{0}\(table)\u{0}".utf8)
        for path in files {
            let name = (path as NSString).lastPathComponent
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)??.int64Value ?? -1
            material += Array("\(name)\u{0}\(size)\u{0}".utf8)
            if name.hasSuffix("-Statistics.db") {
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
                material += [UInt8](data)
            }
        }
        let h = material.withUnsafeBytes { Murmur3.hash128($0) }
        var u = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            u[i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: h.h1) >> (56 - 8 * UInt64(i)))
            u[8 + i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: h.h2) >> (56 - 8 * UInt64(i)))
        }
        u[6] = u[6] & 0x0F | 0x30
        u[8] = u[8] & 0x3F | 0x80
        return UUID(uuid: (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]))
    }
}
