import Histogram
import Synchronization

/// Latencies (microseconds) since the last progress line and since the start. One per
/// event loop, behind a lock that is practically never contended: the reporter takes it
/// once per interval.
final class StressRecorder: Sendable {
    struct Counts {
        var interval = StressRecorder.makeHistogram()
        var total = StressRecorder.makeHistogram()
        var intervalRows = 0
        var totalRows = 0
        var intervalErrors = 0
        var totalErrors = 0
        var notFound = 0
        var firstErrors: [String] = []
    }

    let state = Mutex(Counts())

    static func makeHistogram() -> Histogram<UInt64> {
        // 1 µs .. 10 min at 3 significant digits; longer values are clamped, not dropped.
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    @inline(__always)
    func record(micros: UInt64, rows: Int) {
        let v = min(max(micros, 1), 600_000_000)
        state.withLock { s in
            s.interval.record(v)
            s.total.record(v)
            s.intervalRows &+= rows
            s.totalRows &+= rows
        }
    }

    func recordNotFound() { state.withLock { $0.notFound += 1 } }

    func recordError(_ message: String) {
        state.withLock { s in
            s.intervalErrors += 1
            s.totalErrors += 1
            if s.firstErrors.count < 5 { s.firstErrors.append(message) }
        }
    }

    /// The interval's histogram, rows and errors; starts a new interval.
    func takeInterval() -> (Histogram<UInt64>, Int, Int) {
        state.withLock { s in
            let out = (s.interval, s.intervalRows, s.intervalErrors)
            s.interval.reset()
            s.intervalRows = 0
            s.intervalErrors = 0
            return out
        }
    }
}
