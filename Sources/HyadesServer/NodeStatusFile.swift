import Foundation
import HyadesStorage
import Synchronization

/// The node's status as `hyades status` reads it: `<data directory>/hyades-status.json`,
/// rewritten (temp file + rename, not synced: it describes the running process) when the
/// node starts serving, after every read that met a corrupt SSTable, when it stops serving
/// and when it exits. Readable whatever state the node is in (also after `stop` closed
/// its client ports, and after it died).
///
/// Fields: pid, state ("serving", "not serving", "draining", "drained", "stopped", "died"), reason,
/// disk_failure_policy, corrupt_sstable_reads (node), corrupt_sstable_reads_by_table,
/// corrupt_sstables (file, offset, what, table, reads, out_of_reads), updated (ISO 8601).
public final class NodeStatusFile: Sendable {
    public static let fileName = "hyades-status.json"
    public let path: String
    let failures: SSTableReadFailures
    let policy: DiskFailurePolicy
    private let state = Mutex<(state: String, reason: String?)>(("starting", nil))
    private let writing = Mutex(())

    public init(dataDirectory: String, failures: SSTableReadFailures, policy: DiskFailurePolicy) {
        self.path = dataDirectory + "/" + Self.fileName
        self.failures = failures
        self.policy = policy
    }

    /// Sets the state (and why) and rewrites the file.
    public func set(_ state: String, reason: String? = nil) {
        self.state.withLock { $0 = (state, reason) }
        write()
    }

    /// Rewrites the file with the current counts.
    public func write() {
        writing.withLock { _ in
            let (s, reason) = state.withLock { $0 }
            var json: [String: Any] = [
                "pid": Int(ProcessInfo.processInfo.processIdentifier),
                "state": s,
                "disk_failure_policy": policy.rawValue,
                "corrupt_sstable_reads": failures.total,
                "corrupt_sstable_reads_by_table": failures.byTable,
                "corrupt_sstables": failures.files.map { f -> [String: Any] in
                    ["file": f.path, "offset": f.offset, "what": f.what, "table": f.table, "reads": f.reads,
                     "out_of_reads": f.outOfReads]
                },
                "updated": ISO8601DateFormatter().string(from: Date()),
            ]
            if let reason { json["reason"] = reason }
            guard let data = try? JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]) else { return }
            let tmp = path + ".tmp"
            guard FileManager.default.createFile(atPath: tmp, contents: data) else { return }
            _ = rename(tmp, path)
        }
    }
}
