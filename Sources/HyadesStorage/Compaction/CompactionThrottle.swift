import Foundation
import Synchronization

/// A token bucket shared by all compactions of an engine (Cassandra's
/// `compaction_throughput`): each compaction takes tokens for the bytes it writes and
/// sleeps when the bucket is empty, so background compaction cannot starve foreground I/O.
final class CompactionThrottle: Sendable {
    private struct State {
        var tokens: Double
        var last: UInt64
    }
    private let bytesPerSecond: Double
    private let state: Mutex<State>

    /// `bytesPerSecond <= 0` = unlimited.
    init(bytesPerSecond: Int) {
        self.bytesPerSecond = Double(bytesPerSecond)
        self.state = Mutex(State(tokens: Double(max(bytesPerSecond, 0)), last: DispatchTime.now().uptimeNanoseconds))
    }

    func acquire(_ bytes: Int) {
        guard bytesPerSecond > 0 else { return }
        let waitSeconds: Double = state.withLock { s in
            let now = DispatchTime.now().uptimeNanoseconds
            let elapsed = Double(now &- s.last) / 1e9
            s.last = now
            // At most one second of burst.
            s.tokens = min(bytesPerSecond, s.tokens + elapsed * bytesPerSecond)
            s.tokens -= Double(bytes)
            return s.tokens < 0 ? -s.tokens / bytesPerSecond : 0
        }
        if waitSeconds > 0 { Thread.sleep(forTimeInterval: waitSeconds) }
    }
}
