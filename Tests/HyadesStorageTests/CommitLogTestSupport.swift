import Foundation
import HyadesCore
import Logging
import Synchronization
@testable import HyadesStorage

/// Collects log messages so tests can check that something was logged.
final class CommitLogCapturingLog: Sendable {
    let messages = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "commitlog-test") { _ in CommitLogCapturingHandler(sink: self) }
    }

    func contains(_ text: String) -> Bool { messages.withLock { $0.contains { $0.contains(text) } } }
}

struct CommitLogCapturingHandler: LogHandler {
    let sink: CommitLogCapturingLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(event.level) \(event.message) \(event.metadata ?? [:])"
        sink.messages.withLock { $0.append(line) }
    }
}

let commitLogTableA = TableID(high: 0xA, low: 1)

/// Whether `part` appears in `whole` in order (not necessarily contiguously): after a power
/// loss the full segment's unsynced tail may be lost while the next segment kept entries.
func commitLogIsSubsequence(_ part: [Mutation], of whole: [Mutation]) -> Bool {
    var i = whole.startIndex
    for m in part {
        guard let j = whole[i...].firstIndex(of: m) else { return false }
        i = j + 1
    }
    return true
}
let commitLogTableB = TableID(high: 0xB, low: 2)

/// Opens a log on `dir`, replays it and returns the replayed mutations with their positions.
func commitLogReopen(_ fs: any FileSystem, _ dir: String, sync: CommitLogSync = .batch,
                     segmentSizeBytes: Int = 32 << 20,
                     after positions: [TableID: CommitLogPosition] = [:],
                     capture: CommitLogCapturingLog = CommitLogCapturingLog()) throws
    -> (log: CommitLog, mutations: [Mutation], positions: [CommitLogPosition], report: CommitLogReplayReport) {
    let log = try CommitLog(directory: dir, fileSystem: fs,
                            options: CommitLogOptions(sync: sync, segmentSizeBytes: segmentSizeBytes), logger: capture.logger)
    var mutations: [Mutation] = []
    var replayed: [CommitLogPosition] = []
    let report = try log.replay(after: positions) { m, p in
        mutations.append(m)
        replayed.append(p)
    }
    return (log, mutations, replayed, report)
}
