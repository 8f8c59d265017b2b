import ArgumentParser
import Foundation
import HyadesCQL
import HyadesCore
import HyadesLoader

struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Bulk-load CSV / CSV.gz files into a table (like sstableloader): rows become sorted SSTables the nodes adopt.",
        discussion: """
        Example (Gaia DR3, partitioned by HEALPix level 5):
          hyades load -t gaia.dr3 --derive 'healpix5=healpix(source_id,5)' gaia.csv.gz
        Empty fields and `null` are nulls; `NaN` is a NaN double/float (null in other types).
        Bad rows go to <input>.rejects.csv (or --rejects FILE) with file, line and reason.
        See docs/loader.md.
        """)

    @Argument(help: "CSV or CSV.gz files, or directories of them.")
    var inputs: [String]

    @Option(name: [.short, .customLong("table")], help: "Target table as keyspace.table.")
    var table: String

    @Option(help: "A node to ask for the schema and the ring.")
    var host = "127.0.0.1"

    @Option(help: "Its native transport port.")
    var port = 9042

    @Option(name: .customLong("storage-port"), help: "The nodes' storage_port, where they accept streamed SSTables.")
    var storagePort = 7000

    @Option(help: "Take the table's schema from this CQL file (CREATE KEYSPACE / CREATE TABLE) instead of the node.")
    var schema: String?

    @Option(name: .customLong("output-dir"), help: "Write the SSTables into this directory and keep them there (no node needed).")
    var outputDir: String?

    @Option(name: .customLong("map"), help: "CSV_NAME=COLUMN: load a CSV column into a differently named column (repeatable).")
    var map: [String] = []

    @Option(name: .customLong("skip"), help: "A CSV column not to load (repeatable).")
    var skip: [String] = []

    @Option(name: .customLong("derive"), help: "COLUMN=healpix(SOURCE,LEVEL): compute a column, e.g. healpix5=healpix(source_id,5) (repeatable).")
    var derive: [String] = []

    @Option(help: "Memory budget for buffered rows, e.g. 1GiB, 512MiB: an SSTable is written whenever it fills.")
    var memory = "1GiB"

    @Option(help: "Write rejected rows here (default: <input>.rejects.csv next to each input).")
    var rejects: String?

    @Flag(name: .customLong("dry-run"), help: "Validate every row and write the rejects; write nothing to the node.")
    var dryRun = false

    @Option(help: "Parsing threads (default: all cores).")
    var threads: Int?

    @Option(help: "Write timestamp of every cell in microseconds (default: now).")
    var timestamp: Int64?

    @Flag(name: .customLong("no-progress"), help: "No progress output.")
    var noProgress = false

    @Flag(help: "All or nothing: every SSTable is staged on its nodes and adopted in one step at the end; a load that fails leaves the table unchanged.")
    var atomic = false

    @Option(help: "How many of its replicas every SSTable must reach: ALL (default), QUORUM, LOCAL_QUORUM or ONE. SSTables go to every reachable replica; a load whose ranges have too few reachable replicas fails before sending anything, naming them.")
    var consistency = "ALL"

    func run() throws {
        LoadTrace.mark("load command")
        let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw ValidationError("--table must be keyspace.table, got '\(table)'") }
        guard let budget = Self.parseBytes(memory), budget >= 1 << 20 else {
            throw ValidationError("--memory \(memory): expected a size of at least 1MiB, e.g. 1GiB or 512MiB")
        }
        let mapping: LoadMapping
        do {
            mapping = LoadMapping(renames: try LoadMapping.parseRenames(map), skip: Set(skip),
                                  derive: try derive.map { (d: String) throws(LoadPlanError) in try DeriveSpec(parsing: d) })
        } catch {
            throw ValidationError(error.message)
        }
        let writeTimestamp = timestamp ?? Int64(Date().timeIntervalSince1970 * 1_000_000)
        let metadata: TableMetadata
        let sink: (any SSTableSink)?
        var workDirectory: String
        var temporary = false
        if outputDir == nil && !dryRun {
            guard schema == nil else {
                throw ValidationError("--schema is for --output-dir and --dry-run: a load into a node takes the schema (and its column ids) from the node")
            }
            // Into the running cluster: schema (with the node's column ids), ring and
            // replication from the node, SSTables streamed to their replicas.
            LoadTrace.mark("discover")
            guard let level = LoadConsistency.parse(consistency) else {
                throw ValidationError("--consistency \(consistency): expected one of \(LoadConsistency.accepted.map(\.description).joined(separator: ", "))")
            }
            var target = try Self.discover(host: host, port: port, storagePort: storagePort, keyspace: parts[0], table: parts[1])
            target.consistency = level
            // Too few reachable replicas: fail before anything is written or sent.
            do { try target.checkAvailability() } catch { throw LoadFailure("\(error)") }
            metadata = target.table
            LoadTrace.mark("discover done")
            let streaming = StreamingSink(target: target, writeTimestamp: writeTimestamp)
            streaming.atomic = atomic
            sink = streaming
            workDirectory = NSTemporaryDirectory() + "hyades-load-\(getpid())"
            temporary = true
        } else {
            if atomic { throw ValidationError("--atomic is for loads into a node (not with --output-dir or --dry-run)") }
            if let schema {
                metadata = try Self.tableFromSchemaFile(schema, keyspace: parts[0], table: parts[1])
            } else {
                metadata = try Self.discover(host: host, port: port, storagePort: storagePort, keyspace: parts[0], table: parts[1]).table
            }
            sink = outputDir.map { LocalDirectorySink(directory: $0) }
            workDirectory = outputDir ?? NSTemporaryDirectory() + "hyades-load-\(getpid())"
        }
        defer { if temporary { try? FileManager.default.removeItem(atPath: workDirectory) } }
        var options = LoadOptions(inputs: inputs, mapping: mapping, memoryBudgetBytes: budget, rejectsPath: rejects,
                                  dryRun: dryRun, writeTimestamp: writeTimestamp, workDirectory: workDirectory,
                                  showProgress: !noProgress, durableSSTables: outputDir != nil)
        if let threads { options.threads = max(threads, 1) }
        let loader: BulkLoader
        do {
            loader = try BulkLoader(table: metadata, options: options, sink: sink)
        } catch let e as LoadPlanError {
            throw LoadFailure(e.message)
        }
        let summary: LoadSummary
        do {
            summary = try loader.run()
        } catch {
            guard let streaming = sink as? StreamingSink else { throw error }
            throw LoadFailure(Self.stopped(error, streaming))
        }
        print(summary)
        if let streaming = sink as? StreamingSink,
           case let replicas = Set(streaming.target.placement.map.rangeReplicas.joined()),
           case let down = streaming.unreachableNodes.filter({ replicas.contains($0.key) }), !down.isEmpty {
            // A load below ALL that left replicas out: say which, and what they lack.
            let names = down.keys.compactMap { streaming.target.placement.nodes[$0] }.sorted { $0.address < $1.address }
                .map { "\($0) — \(down[$0.hostID]!)" }
            print("--consistency \(streaming.target.consistency): not sent to unreachable replicas: \(names.joined(separator: "; ")). "
                  + "They lack this load's rows until they are repaired, or until this load is run again once they are up, "
                  + "with --timestamp \(streaming.writeTimestamp) (the replicas that have its SSTables answer \"already imported\").")
        }
        if let streaming = sink as? StreamingSink, atomic {
            print("--atomic: \(streaming.committedSSTables) SSTables (\(streaming.committedRows) rows) staged and adopted in one step on \(streaming.adoptedNodes.count) node\(streaming.adoptedNodes.count == 1 ? "" : "s")")
        }
        LoadTrace.mark("exit")
    }

    /// What a load into the nodes that stopped part way (bad input, a dead node, a
    /// refused SSTable) leaves behind, and whether running it again is safe.
    static func stopped(_ error: any Error, _ sink: StreamingSink) -> String {
        var text = "the load stopped: \(error)\n"
        if sink.atomic {
            sink.abortStaged()
            let adopted = sink.adoptedNodes
            if adopted.isEmpty {
                text += "--atomic: nothing was adopted; the \(sink.committedSSTables) SSTables (\(sink.committedRows) rows) staged on the nodes "
                text += "were discarded and the table is unchanged. "
                text += "Re-running the load is safe."
            } else {
                text += "--atomic: the load was adopted on \(adopted.joined(separator: ", ")) before it failed on another node; "
                text += "what was staged elsewhere was discarded. Re-running the same load is safe "
                text += "(rows are keyed by their primary key: rows already there are written again with the same values, not duplicated)."
            }
            return text
        }
        let rows = sink.committedRows, sstables = sink.committedSSTables
        text += "\(rows) rows (\(sstables) SSTables) were already committed: the nodes adopted them before the load stopped, and they stay"
        if sink.alreadyImportedRows > 0 { text += " (\(sink.alreadyImportedRows) more rows had been adopted by an earlier run)" }
        text += ". Re-running the same load is safe: rows are keyed by their primary key, so rows committed already are written again "
        text += "with the same values, never duplicated. If the input files are unchanged (the load stopped on a node, "
        text += "not on its input), re-running with --timestamp \(sink.writeTimestamp) lets the nodes skip the SSTables they already adopted."
        return text
    }

    /// `1GiB`, `512MiB`, `64KiB`, `1G`, `100M`, `4096`.
    static func parseBytes(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("GB", 1 << 30), ("MB", 1 << 20),
                                      ("KB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0 else { return nil }
            return Int(v * Double(factor))
        }
        return Int(t)
    }

    /// The table as the CQL file creates it (the node's column ids, when the file is what
    /// created the table there and no ALTER followed).
    static func tableFromSchemaFile(_ path: String, keyspace: String, table: String) throws -> TableMetadata {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw LoadFailure("--schema \(path): \(error.localizedDescription)")
        }
        var schema = InMemorySchema()
        do {
            for statement in try CQLParser.parseAll(text) {
                let plan = try Analyzer(schema: schema, keyspace: nil).analyze(statement)
                if case .schemaChange(let change) = plan { try schema.apply(change) }
            }
        } catch {
            throw LoadFailure("--schema \(path): \(error)")
        }
        guard let t = schema.table(keyspace: keyspace, name: table) else {
            throw LoadFailure("--schema \(path) does not create \(keyspace).\(table)")
        }
        return t
    }

    static func discover(host: String, port: Int, storagePort: Int, keyspace: String, table: String) throws -> ClusterTarget {
        let box = DiscoverBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await ClusterTarget.discover(host: host, port: port, storagePort: storagePort,
                                                                        keyspace: keyspace, table: table)) }
            catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        do { return try box.result!.get() } catch { throw LoadFailure("\(error)") }
    }
}

final class DiscoverBox: @unchecked Sendable {
    var result: Result<ClusterTarget, any Error>?
}

/// A load that cannot start or failed: printed as `Error: <message>`, exit status 1
/// (ValidationError would add the usage text, which is not the problem here).
struct LoadFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
