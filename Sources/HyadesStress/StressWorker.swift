import HyadesClient
import HyadesProtocol
import NIOCore

/// One chain of requests: when a request completes, the next one is sent from the
/// completion callback, on the connection's event loop, with no Task and no thread hop.
/// `threads` workers together keep that many requests in flight.
final class StressWorker: @unchecked Sendable {
    let run: StressRun
    let id: Int
    let recorder: StressRecorder
    let pacer: StressPacer
    /// xorshift state: cheap per-worker randomness for read keys and the mixed ratio.
    private var rng: UInt64
    // Scan: the range in progress.
    private var range: (Int64, Int64) = (0, 0)

    init(run: StressRun, id: Int, recorder: StressRecorder, pacer: StressPacer) {
        self.run = run
        self.id = id
        self.recorder = recorder
        self.pacer = pacer
        self.rng = 0x9E37_79B9_7F4A_7C15 &* UInt64(id + 1)
    }

    @inline(__always)
    private func random() -> UInt64 {
        rng ^= rng << 13
        rng ^= rng >> 7
        rng ^= rng << 17
        return rng
    }

    func start() { next() }

    private func next() {
        guard let op = run.claim() else {
            run.workerFinished()
            return
        }
        let due = run.dueTime(op)
        if let due, due > NIODeadline.now() + StressPacer.granularity {
            pacer.park(self, op: op, due: due)
            return
        }
        issue(op, due: due)
    }

    /// `due`: the operation's place in the `--rate` schedule. Its latency counts from
    /// then when it goes out late (a stalled node or a busy client held it back: that
    /// wait is part of what a user at this rate sees, so it must not be omitted), from
    /// the moment it is sent when the pacer released it a little early.
    func issue(_ op: Int, due: NIODeadline?) {
        let started = StressWorker.startTime(due: due, now: .now())
        switch run.settings.workload {
        case .write:
            write(op, started: started)
        case .read:
            read(started: started)
        case .mixed:
            let s = run.settings
            if Int(random() % UInt64(s.writeRatio + s.readRatio)) < s.writeRatio {
                write(Int(random() % UInt64(s.keys)), started: started)
            } else {
                read(started: started)
            }
        case .scan:
            range = StressSchema.tokenRange(op, of: run.settings.ranges)
            scanPage(nil, started: started)
        }
    }

    /// Where an operation's latency starts: its intended start under a rate limit when
    /// that has passed (coordinated omission counted, as cassandra-stress's fixed rate
    /// does), else now.
    @inline(__always)
    static func startTime(due: NIODeadline?, now: NIODeadline) -> NIODeadline {
        guard let due else { return now }
        return min(due, now)
    }

    private func write(_ op: Int, started: NIODeadline) {
        run.client.execute(run.insert!, run.schema.insertValues(op % run.settings.keys), options: run.options) { result in
            self.finish(result, started: started, expectRow: false, wroteRow: true)
            self.next()
        }
    }

    private func read(started: NIODeadline) {
        let key = Int(random() % UInt64(run.settings.keys))
        run.client.execute(run.select!, [StressSchema.key(key)], options: run.options) { result in
            self.finish(result, started: started, expectRow: true)
            self.next()
        }
    }

    /// The first page of a range counts from the range's intended start; later pages
    /// from their own request.
    private func scanPage(_ pagingState: ByteBuffer?, started: NIODeadline = .now()) {
        var options = run.options
        options.pageSize = run.settings.pageSize
        options.pagingState = pagingState
        run.client.execute(run.scan!, [.bigint(range.0), .bigint(range.1)], options: options) { result in
            self.finish(result, started: started, expectRow: false)
            if case .success(let page) = result, let state = page.pagingState {
                self.scanPage(state)
            } else {
                self.next()
            }
        }
    }

    @inline(__always)
    private func finish(_ result: Result<ResultSet, any Error>, started: NIODeadline, expectRow: Bool, wroteRow: Bool = false) {
        let micros = UInt64(max((NIODeadline.now() - started).nanoseconds / 1000, 1))
        switch result {
        case .success(let r):
            // Row rate: rows written for writes, rows returned for reads and scans.
            recorder.record(micros: micros, rows: wroteRow ? 1 : r.count)
            if expectRow && r.isEmpty { recorder.recordNotFound() }
        case .failure(let e):
            recorder.recordError("\(e)")
        }
    }
}
