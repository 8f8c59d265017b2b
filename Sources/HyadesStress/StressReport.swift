import Histogram

/// cassandra-stress's output layout: a progress line per interval, then "Results:".
enum StressReport {
    static let header = pad("type", 6) + [
        "total ops", "op/s", "row/s", "mean", "med", ".95", ".99", ".999", "max", "time", "errors",
    ].map { pad($0, 10) }.joined()

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : String(repeating: " ", count: width - s.count) + s
    }

    static func ms(_ micros: UInt64) -> String { fixed(Double(micros) / 1000, 1) }

    static func fixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (x * scale).rounded() / scale
        var s = String(r)
        if let dot = s.firstIndex(of: ".") {
            let decimals = s.distance(from: dot, to: s.endIndex) - 1
            if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
        }
        return s
    }

    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func line(totalOps: Int, ops: Int, rows: Int, seconds: Double, histogram h: Histogram<UInt64>,
                     elapsed: Double, errors: Int) -> String {
        let rate = seconds > 0 ? Double(ops) / seconds : 0
        let rowRate = seconds > 0 ? Double(rows) / seconds : 0
        let empty = h.totalCount == 0
        let cols: [String] = [
            String(totalOps), String(Int(rate.rounded())), String(Int(rowRate.rounded())),
            empty ? "-" : fixed(h.mean / 1000, 1), empty ? "-" : ms(h.valueAtPercentile(50)),
            empty ? "-" : ms(h.valueAtPercentile(95)), empty ? "-" : ms(h.valueAtPercentile(99)),
            empty ? "-" : ms(h.valueAtPercentile(99.9)), empty ? "-" : ms(h.max), fixed(elapsed, 1), String(errors),
        ]
        return pad("total,", 6) + cols.map { pad($0 + ",", 10) }.joined().dropLast()
    }

    static func summary(_ s: StressSummary, workload: StressSettings.Workload) -> String {
        let t = Int(s.seconds.rounded())
        let time = String(format2: t / 3600) + ":" + String(format2: (t / 60) % 60) + ":" + String(format2: t % 60)
        var lines = [
            "",
            "Results:",
            "Op rate                   : \(pad(grouped(Int(s.operationsPerSecond.rounded())), 12)) op/s  [\(workload.rawValue.uppercased())]",
            "Row rate                  : \(pad(grouped(Int(s.rowsPerSecond.rounded())), 12)) row/s",
            "Latency mean              : \(pad(fixed(s.mean / 1000, 3), 12)) ms",
            "Latency median            : \(pad(fixed(Double(s.p50) / 1000, 3), 12)) ms",
            "Latency 95th percentile   : \(pad(fixed(Double(s.p95) / 1000, 3), 12)) ms",
            "Latency 99th percentile   : \(pad(fixed(Double(s.p99) / 1000, 3), 12)) ms",
            "Latency 99.9th percentile : \(pad(fixed(Double(s.p999) / 1000, 3), 12)) ms",
            "Latency max               : \(pad(fixed(Double(s.max) / 1000, 3), 12)) ms",
            "Total operations          : \(pad(String(s.operations), 12))",
            "Total rows                : \(pad(String(s.rows), 12))",
        ]
        if workload == .read || workload == .mixed {
            lines.append("Reads not found           : \(pad(String(s.notFound), 12))")
        }
        lines.append("Total errors              : \(pad(String(s.errors), 12))")
        lines.append("Total operation time      :     \(time)")
        for e in s.firstErrors { lines.append("error: \(e)") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Two digits, zero-padded.
    init(format2 n: Int) { self = n < 10 ? "0\(n)" : String(n) }
}
