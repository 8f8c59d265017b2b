import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs background work (memtable flushes, compactions) on threads of its own at a lower
/// OS priority (nice + `niceIncrement`), so request threads preempt it whenever the CPU
/// is short: on a 2-core node a flush or compaction otherwise takes a full share of the
/// CPU from the event loops and request pool, and request latency pays for it. With idle
/// CPU the background work runs at full speed all the same; under sustained overload it
/// slows down and writers then wait at the memtable bound (back-pressure, as intended).
///
/// Not libdispatch: a lowered priority cannot be raised again without privileges, and
/// dispatch's worker threads are shared with everything else in the process (Swift
/// concurrency's executor among them). A thread is started when work arrives and fewer
/// than `maxThreads` run; it drains the queue and exits, so an idle engine holds none.
final class BackgroundQueue: Sendable {
    private let label: String
    private let maxThreads: Int
    private let niceIncrement: Int32
    private struct State {
        var work: [@Sendable () -> Void] = []
        var head = 0
        var threads = 0
    }
    private let state = Mutex(State())

    init(label: String, maxThreads: Int, niceIncrement: Int32) {
        self.label = label
        self.maxThreads = max(1, maxThreads)
        self.niceIncrement = niceIncrement
    }

    func async(_ work: @escaping @Sendable () -> Void) {
        let spawn = state.withLock { s -> Bool in
            s.work.append(work)
            guard s.threads < maxThreads else { return false }
            s.threads += 1
            return true
        }
        guard spawn else { return }
        let thread = Thread { [self] in
            Self.lowerPriority(by: niceIncrement)
            while let next = take() { next() }
        }
        thread.name = label
        thread.start()
    }

    /// The next work item, or nil after deregistering this thread (under the same lock,
    /// so work appended afterwards starts a new thread).
    private func take() -> (@Sendable () -> Void)? {
        state.withLock { s in
            if s.head < s.work.count {
                let w = s.work[s.head]
                s.head += 1
                if s.head == s.work.count { s.work.removeAll(keepingCapacity: true); s.head = 0 }
                return w
            }
            s.threads -= 1
            return nil
        }
    }

    /// Lowers the calling thread's scheduling priority (Linux: nice is per thread).
    static func lowerPriority(by increment: Int32) {
        #if os(Linux)
        guard increment > 0 else { return }
        // who = 0 is the calling thread, not the whole process, on Linux (setpriority(2)).
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let base = errno == 0 ? current : 0
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, base + increment))
        #endif
    }
}
