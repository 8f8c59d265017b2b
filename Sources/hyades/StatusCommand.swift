#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import HyadesServer

/// `hyades status`: what the node says about itself in `<data directory>/hyades-status.json`
/// (NodeStatusFile): running or not, serving or not and why, the `disk_failure_policy`,
/// and every read that met a corrupt SSTable (counts per node and table, files with offsets).
/// Exit status 0 when the node runs and serves, 1 otherwise.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a node's state and the corrupt SSTables its reads met.")

    @Option(help: "The node's configuration file, to find its data directory.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "The node's data directory.")
    var dataDir: String?

    @Flag(help: "Print the status file as it is (JSON).")
    var json = false

    func run() throws {
        var c = ServerConfig()
        if let config {
            do { c = try ServerConfig.load(path: config) } catch {
                FileHandle.standardError.write(Data("hyades status: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        if let dataDir { c.dataFileDirectories = [dataDir] }
        let path = c.dataDirectory + "/" + NodeStatusFile.fileName
        guard let data = FileManager.default.contents(atPath: path),
              let s = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            FileHandle.standardError.write(Data("hyades status: no status at \(path) (has a node run with this data directory?)\n".utf8))
            throw ExitCode(1)
        }
        let pid = (s["pid"] as? Int) ?? 0
        let state = (s["state"] as? String) ?? "?"
        let finalStates: Set<String> = ["stopped", "died"]
        let alive = pid > 0 && !finalStates.contains(state) && ProcessProbe.isRunningHyades(pid_t(pid))
        if json {
            print(String(decoding: data, as: UTF8.self))
        } else {
            if alive {
                print("node: running (pid \(pid)), \(state)")
            } else {
                print("node: not running (last state: \(state), pid \(pid))")
            }
            if let reason = s["reason"] as? String { print("  reason: \(reason)") }
            print("disk_failure_policy: \((s["disk_failure_policy"] as? String) ?? "?")")
            print("corrupt SSTable reads: \((s["corrupt_sstable_reads"] as? Int) ?? 0)")
            for (table, n) in ((s["corrupt_sstable_reads_by_table"] as? [String: Int]) ?? [:]).sorted(by: { $0.key < $1.key }) {
                print("  \(table): \(n)")
            }
            let files = (s["corrupt_sstables"] as? [[String: Any]]) ?? []
            if !files.isEmpty {
                print("corrupt SSTables:")
                for f in files {
                    let out = (f["out_of_reads"] as? Bool) == true ? ", out of reads" : ""
                    print("  \((f["file"] as? String) ?? "?") at offset \((f["offset"] as? Int) ?? -1): \((f["what"] as? String) ?? "") (\((f["table"] as? String) ?? "?"), \((f["reads"] as? Int) ?? 0) failed reads\(out))")
                }
            }
            if let updated = s["updated"] as? String { print("updated: \(updated)") }
        }
        if !(alive && state == "serving") { throw ExitCode(1) }
    }
}
