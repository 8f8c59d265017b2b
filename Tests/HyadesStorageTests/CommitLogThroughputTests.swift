import Foundation
import HyadesCore
import Testing
@testable import HyadesStorage

/// Throughput measurement, not an assertion (no timed assertions): run with
/// `HYADES_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter CommitLogThroughput`.
@Suite("CommitLogThroughput", .enabled(if: ProcessInfo.processInfo.environment["HYADES_BENCH"] != nil))
struct CommitLogThroughputTests {
    @Test func periodicAppendsOnOneThread() throws {
        let root = fsTestTemporaryDirectory("commitlog-bench")
        defer { fsTestRemoveDirectory(root) }
        let log = try CommitLog(directory: root, fileSystem: PosixFileSystem(),
                                options: CommitLogOptions(sync: .periodic()), logger: CommitLogCapturingLog().logger)
        var fuzz = MutationFuzzer(seed: 1)
        let mutations = (0..<1000).map { _ in fuzz.small(table: commitLogTableA, valueBytes: 64) }
        let entryBytes = MutationSerializer.serialize(mutations[0]).count
        let n = 1_000_000
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<n { try log.append(mutations[i % mutations.count]) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try log.shutdown()
        print("CommitLog periodic append: \(n) x \(entryBytes)-byte mutations in \(seconds) s = \(Int(Double(n) / seconds)) appends/s")
    }

    @Test func batchAppendsOnFourThreads() throws {
        let root = fsTestTemporaryDirectory("commitlog-bench")
        defer { fsTestRemoveDirectory(root) }
        let log = try CommitLog(directory: root, fileSystem: PosixFileSystem(),
                                options: CommitLogOptions(sync: .batch), logger: CommitLogCapturingLog().logger)
        let n = 2000
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            var fuzz = MutationFuzzer(seed: UInt64(t))
            for _ in 0..<n { _ = try? log.append(fuzz.small(table: commitLogTableA, valueBytes: 64)) }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        try log.shutdown()
        print("CommitLog batch append, 4 threads: \(4 * n) in \(seconds) s = \(Int(Double(4 * n) / seconds)) appends/s")
    }
}
