import NIOCore

/// `--rate` for the workers of one event loop: a worker whose next operation is not yet
/// due parks here, and one timer per loop releases the parked operations as they come due.
///
/// The timer is set for the earliest parked operation and releases everything due within
/// `granularity` of it: at most one wakeup per `granularity` instead of one per operation
/// (at tens of thousands of ops/s a timer each would cost the client more than the requests
/// themselves), and operations leave within `granularity` of their schedule instead of
/// being bunched on a coarse tick. Latency counts from the intended start when an operation
/// leaves late (StressWorker.issue), so whatever the pacer adds is measured, not hidden.
/// Confined to its event loop.
final class StressPacer: @unchecked Sendable {
    /// How early an operation may be released, and so the shortest time between wakeups.
    static let granularity = TimeAmount.microseconds(100)

    private var parked = CircularBuffer<(worker: StressWorker, op: Int, due: NIODeadline)>()
    private var timer: Scheduled<Void>?
    private var timerDue = NIODeadline.distantFuture
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// Callable from any loop (a worker's answers arrive on its connection's loop).
    func park(_ worker: StressWorker, op: Int, due: NIODeadline) {
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.park(worker, op: op, due: due) }
            return
        }
        parked.append((worker, op, due))
        arm(for: due)
    }

    /// Makes sure a wakeup comes by `due`.
    private func arm(for due: NIODeadline) {
        guard timer == nil || due < timerDue else { return }
        timer?.cancel()
        timerDue = due
        timer = eventLoop.scheduleTask(deadline: due) { [weak self] in self?.fire() }
    }

    private func fire() {
        timer = nil
        timerDue = .distantFuture
        let horizon = NIODeadline.now() + Self.granularity
        // Operations are claimed in order, so the parked queue is (nearly) in due order;
        // one out of order only waits for the next wakeup.
        while let first = parked.first, first.due <= horizon {
            parked.removeFirst()
            first.worker.issue(first.op, due: first.due)
        }
        if let next = parked.first?.due { arm(for: next) }
    }
}
