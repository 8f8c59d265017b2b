import ArgumentParser
import Foundation
import HyadesClient
import HyadesCore
import Synchronization

/// `hyades sstable import DIR --keyspace KS --table T`: streams the SSTables of a directory
/// to a node, which verifies and adopts them whole (Cassandra's `nodetool import`; also
/// how `hyades load` hands its SSTables over). Re-running an interrupted import is safe:
/// the session id is derived from the files, and a session the node already committed is
/// answered "already imported".
struct SSTableImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Stream the SSTables of a directory to a node, which adopts them without replaying rows (nodetool import).")

    @Argument(help: "Directory holding hy-<generation>-<Component>.db files (every component of every SSTable).")
    var directory: String

    @Option(help: "Keyspace of the table.")
    var keyspace: String

    @Option(help: "Table to import into; the SSTables' schema header must fit it.")
    var table: String

    @Option(help: "The node's listen address.")
    var host = "127.0.0.1"

    @Option(name: .customLong("storage-port"), help: "The node's storage_port.")
    var storagePort = 7000

    @Option(name: .customLong("session-id"),
            help: "Session id (UUID). Default: derived from the files, so re-running the same import adopts nothing twice.")
    var sessionID: String?

    func run() throws {
        guard (1...65535).contains(storagePort) else { throw ValidationError("--storage-port must be 1...65535") }
        let files = try SSTableStreamer.sstableFiles(in: directory)
        guard !files.isEmpty else { throw ValidationError("\(directory) holds no SSTable files (hy-<generation>-<Component>.db)") }
        let id: UUID
        if let sessionID {
            guard let u = UUID(uuidString: sessionID) else { throw ValidationError("--session-id \(sessionID) is not a UUID") }
            id = u
        } else {
            id = try Self.sessionID(keyspace: keyspace, table: table, files: files)
        }
        let outcome = Mutex<Result<StreamSummary, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let (keyspace, table, host, port) = (self.keyspace, self.table, self.host, self.storagePort)
        Task {
            do {
                let s = try await SSTableStreamer.stream(files: files, keyspace: keyspace, table: table, to: host, port: port, sessionID: id)
                outcome.withLock { $0 = .success(s) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        switch outcome.withLock({ $0 })! {
        case .success(let s) where s.alreadyImported:
            print("already imported: session \(id) was committed on \(host):\(port) before; nothing adopted again")
        case .success(let s):
            print("imported \(s.sstablesAdopted) SSTables (\(s.partitionsAdopted) partitions, \(s.bytesAdopted) bytes) into \(keyspace).\(table) on \(host):\(port), session \(id)")
        case .failure(let error):
            FileHandle.standardError.write(Data("hyades sstable import: \(error)\n".utf8))
            throw ExitCode(1)
        }
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
