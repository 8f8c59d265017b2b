import NIOCore

/// `--rate` for the workers of one event loop: a worker whose next operation is not yet
/// due parks here, and a 1 ms tick releases every parked operation whose time has come.
/// One timer per loop instead of one per operation: at tens of thousands of ops/s a timer
/// each would cost the client more (timerfd re-arms, wakeups) than the requests themselves.
/// Confined to its event loop.
final class StressPacer: @unchecked Sendable {
    private var parked = CircularBuffer<(worker: StressWorker, op: Int, due: NIODeadline)>()
    private var ticker: RepeatedTask?
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    /// Callable from any loop (a worker's answers arrive on its connection's loop).
    func park(_ worker: StressWorker, op: Int, due: NIODeadline) {
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.park(worker, op: op, due: due) }
            return
        }
        parked.append((worker, op, due))
        if ticker == nil {
            ticker = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(1), delay: .milliseconds(1)) { [weak self] _ in
                self?.tick()
            }
        }
    }

    private func tick() {
        let now = NIODeadline.now()
        // Operations are claimed in order, so the parked queue is (nearly) in due order.
        while let first = parked.first, first.due <= now {
            parked.removeFirst()
            first.worker.issue(first.op)
        }
        if parked.isEmpty {
            ticker?.cancel()
            ticker = nil
        }
    }
}
