import Foundation
import Synchronization
import Testing
@testable import HyadesStorage
#if canImport(Glibc)
import Glibc
#endif

/// Flushes and compactions run on BackgroundQueue threads below request priority.
@Suite struct BackgroundQueueTests {
    /// The nice value of the calling thread (Linux: per thread).
    static func currentNice() -> Int32 {
        #if os(Linux)
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        #else
        return 0
        #endif
    }

    @Test func runsEveryItemInOrderOnOneThreadBelowTheCallersPriority() {
        let queue = BackgroundQueue(label: "test.background", maxThreads: 1, niceIncrement: 5)
        let seen = Mutex<(order: [Int], nice: Set<Int32>)>(([], []))
        let done = DispatchSemaphore(value: 0)
        let callerNice = Self.currentNice()
        for i in 0..<200 {
            queue.async {
                let nice = Self.currentNice()
                seen.withLock { $0.order.append(i); $0.nice.insert(nice) }
                if i == 199 { done.signal() }
            }
        }
        done.wait()
        let result = seen.withLock { $0 }
        // One thread at a time (a serial queue, as the flush queue must be): FIFO order.
        #expect(result.order == Array(0..<200))
        #if os(Linux)
        #expect(result.nice == [min(19, callerNice + 5)])
        // The caller's own priority is untouched.
        #expect(Self.currentNice() == callerNice)
        #endif
    }

    @Test func startsAThreadAgainAfterTheQueueDrained() {
        let queue = BackgroundQueue(label: "test.background", maxThreads: 2, niceIncrement: 0)
        for round in 0..<3 {
            let done = DispatchSemaphore(value: 0)
            let count = Atomic<Int>(0)
            for _ in 0..<10 {
                queue.async {
                    if count.add(1, ordering: .relaxed).newValue == 10 { done.signal() }
                }
            }
            done.wait()
            #expect(count.load(ordering: .relaxed) == 10, "round \(round)")
            // Let the threads find the queue empty and exit before the next round.
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}
