import Foundation

/// Counters the loader updates and a reporter thread prints: a progress bar with rows/s
/// and time left when stderr is a terminal, a plain line every few seconds otherwise.
public final class LoadProgress: @unchecked Sendable {
    private let lock = NSLock()
    private var bytesDone: Int64 = 0
    private var rows = 0
    private var rejected = 0
    private var phase = "reading"
    private let totalBytes: Int64
    private let started = Date()
    private var stopped = false
    private let terminal: Bool
    private let enabled: Bool
    private let done = DispatchSemaphore(value: 0)

    public init(totalBytes: Int64, enabled: Bool) {
        self.totalBytes = max(totalBytes, 1)
        self.terminal = isatty(2) != 0
        self.enabled = enabled
    }

    func update(bytesDone: Int64, rows: Int, rejected: Int) {
        lock.withLock {
            self.bytesDone = bytesDone
            self.rows = rows
            self.rejected = rejected
        }
    }

    func setPhase(_ p: String) { lock.withLock { phase = p } }

    func start() {
        guard enabled else { return }
        let t = Thread { [self] in
            let interval = terminal ? 0.25 : 5.0
            while true {
                let finished = done.wait(timeout: .now() + interval) == .success
                if finished { break }
                report()
            }
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
        t.start()
    }

    func stop() {
        guard enabled else { return }
        lock.withLock { stopped = true }
        done.signal()
        // Let the reporter clear its line before the summary prints.
        Thread.sleep(forTimeInterval: 0.01)
    }

    func report() {
        let (b, r, rej, ph) = lock.withLock { (bytesDone, rows, rejected, phase) }
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(r) / elapsed : 0
        let fraction = min(Double(b) / Double(totalBytes), 1)
        let left = fraction > 0.01 ? elapsed * (1 - fraction) / fraction : 0
        let line: String
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            line = "\r\u{1B}[K[\(bar)] \(Int(fraction * 100))% \(Format.count(r)) rows \(Format.count(Int(rate)))/s"
                + (rej > 0 ? " \(Format.count(rej)) rejected" : "") + " \(ph), \(Format.duration(left)) left"
        } else {
            line = "load: \(Int(fraction * 100))% \(r) rows (\(Int(rate)) rows/s), \(rej) rejected, \(ph), \(Format.duration(left)) left\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}

enum Format {
    static func count(_ n: Int) -> String {
        if n >= 10_000_000 { return "\(n / 1_000_000)M" }
        if n >= 10_000 { return "\(n / 1000)k" }
        return "\(n)"
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(t % 3600 / 60)m" }
        if t >= 60 { return "\(t / 60)m\(t % 60)s" }
        return "\(t)s"
    }

    static func bytes(_ b: Int64) -> String {
        let d = Double(b)
        if d >= 1_073_741_824 { return String(format: "%.2f GiB", d / Double(1 << 30)) }
        if d >= 1_048_576 { return String(format: "%.1f MiB", d / Double(1 << 20)) }
        if d >= 1024 { return String(format: "%.1f KiB", d / Double(1 << 10)) }
        return "\(b) B"
    }
}
