/// Parsing of the text forms of timestamp, date and time literals (UTC when no zone is
/// given: a server-independent choice, where Cassandra would use its JVM's zone).
enum CQLTemporalParse {
    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func days(year y0: Int64, month m: Int64, day d: Int64) -> Int64 {
        CivilCalendar.days(year: y0, month: m, day: d)
    }

    static func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 { CivilCalendar.daysInMonth(y, m) }

    /// A cursor over ASCII bytes.
    struct Scanner {
        let b: [UInt8]
        var i = 0
        init(_ s: String) { b = Array(s.utf8) }
        var atEnd: Bool { i >= b.count }
        func peek() -> UInt8? { i < b.count ? b[i] : nil }
        mutating func eat(_ c: Character) -> Bool {
            if peek() == c.asciiValue { i += 1; return true }
            return false
        }
        /// Exactly `min...max` decimal digits.
        mutating func digits(_ min: Int, _ max: Int) -> (value: Int64, count: Int)? {
            var v: Int64 = 0, n = 0
            while n < max, let c = peek(), c >= 0x30, c <= 0x39 {
                v = v * 10 + Int64(c - 0x30); n += 1; i += 1
            }
            return n >= min ? (v, n) : nil
        }
    }

    /// `YYYY-MM-DD` (optionally signed year) to days since the epoch.
    static func daysSinceEpoch(_ text: String) -> Int64? {
        var s = Scanner(text)
        guard let d = date(&s), s.atEnd else { return nil }
        return d
    }

    static func date(_ s: inout Scanner) -> Int64? {
        let negative = s.eat("-")
        guard let y = s.digits(1, 9), s.eat("-"), let m = s.digits(1, 2), s.eat("-"), let d = s.digits(1, 2) else { return nil }
        let year = negative ? -y.value : y.value
        guard (1...12).contains(m.value), d.value >= 1, d.value <= daysInMonth(year, m.value) else { return nil }
        return days(year: year, month: m.value, day: d.value)
    }

    /// `HH:MM[:SS[.f...]]` to nanoseconds of the day (fraction up to 9 digits).
    static func clockNanos(_ s: inout Scanner, fractionDigits: Int) -> Int64? {
        guard let h = s.digits(1, 2), s.eat(":"), let mi = s.digits(2, 2) else { return nil }
        var sec: Int64 = 0, frac: Int64 = 0
        if s.eat(":") {
            guard let x = s.digits(2, 2) else { return nil }
            sec = x.value
            if s.eat(".") {
                guard let f = s.digits(1, fractionDigits) else { return nil }
                var v = f.value
                for _ in f.count..<9 { v *= 10 }
                frac = v
            }
        }
        guard h.value < 24, mi.value < 60, sec < 60 else { return nil }
        return ((h.value * 60 + mi.value) * 60 + sec) * 1_000_000_000 + frac
    }

    /// `HH:MM:SS[.fffffffff]` for the time type.
    static func timeNanos(_ text: String) -> Int64? {
        var s = Scanner(text)
        guard let n = clockNanos(&s, fractionDigits: 9), s.atEnd else { return nil }
        return n
    }

    /// `yyyy-mm-dd[(T| )hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm]` to milliseconds since the epoch.
    static func timestampMillis(_ text: String) -> Int64? {
        var s = Scanner(text.trimmingSpaces)
        guard let d = date(&s) else { return nil }
        var nanos: Int64 = 0
        if s.eat("T") || s.eat(" ") {
            guard let n = clockNanos(&s, fractionDigits: 9) else { return nil }
            nanos = n
        }
        _ = s.eat(" ")
        var offsetMinutes: Int64 = 0
        if s.eat("Z") || s.eat("z") {
        } else if let c = s.peek(), c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
            s.i += 1
            guard let hh = s.digits(2, 2) else { return nil }
            _ = s.eat(":")
            let mm = s.digits(2, 2)?.value ?? 0
            offsetMinutes = (hh.value * 60 + mm) * (c == UInt8(ascii: "-") ? -1 : 1)
        }
        guard s.atEnd else { return nil }
        let (r, o) = d.multipliedReportingOverflow(by: CQLTemporal.millisPerDay)
        guard !o else { return nil }
        let (withTime, o2) = r.addingReportingOverflow(nanos / 1_000_000 - offsetMinutes * 60_000)
        return o2 ? nil : withTime
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}

/// Duration literals: `1h30m`, `-2d`, `1y2mo3w4d5h6m7s8ms9us10ns` (`µs` too), ISO 8601
/// `P1Y2M3DT4H5M6S`, `P2W` and `P0001-02-03T04:05:06`.
enum CQLDurationParse {
    static func parse(_ text: String) -> (months: Int32, days: Int32, nanos: Int64)? {
        var s = Substring(text)
        let negative = s.first == "-"
        if negative { s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        var months: Int64 = 0, days: Int64 = 0, nanos: Int64 = 0
        func add(_ v: Int64, _ unit: String) -> Bool {
            let (mul, target): (Int64, Int) = {
                switch unit {
                case "y": return (12, 0)
                case "mo": return (1, 0)
                case "w": return (7, 1)
                case "d": return (1, 1)
                case "h": return (3_600_000_000_000, 2)
                case "m": return (60_000_000_000, 2)
                case "s": return (1_000_000_000, 2)
                case "ms": return (1_000_000, 2)
                case "us", "µs": return (1_000, 2)
                case "ns": return (1, 2)
                default: return (0, -1)
                }
            }()
            guard target >= 0 else { return false }
            let (p, o1) = v.multipliedReportingOverflow(by: mul)
            guard !o1 else { return false }
            switch target {
            case 0: months += p
            case 1: days += p
            default:
                let (r, o2) = nanos.addingReportingOverflow(p)
                guard !o2 else { return false }
                nanos = r
            }
            return true
        }
        if s.first == "P" || s.first == "p" {
            s = s.dropFirst()
            let u = s.uppercased()
            if u.contains("-") {
                // P0001-02-03T04:05:06
                var sc = CQLTemporalParse.Scanner(u)
                guard let y = sc.digits(4, 4), sc.eat("-"), let mo = sc.digits(2, 2), sc.eat("-"), let d = sc.digits(2, 2),
                      sc.eat("T"), let h = sc.digits(2, 2), sc.eat(":"), let mi = sc.digits(2, 2), sc.eat(":"),
                      let se = sc.digits(2, 2), sc.atEnd else { return nil }
                months = y.value * 12 + mo.value
                days = d.value
                nanos = ((h.value * 60 + mi.value) * 60 + se.value) * 1_000_000_000
            } else {
                var inTime = false
                var num = ""
                var sawAny = false
                for ch in u {
                    if ch.isNumber { num.append(ch); continue }
                    if ch == "T" { guard num.isEmpty, !inTime else { return nil }; inTime = true; continue }
                    guard let v = Int64(num) else { return nil }
                    num = ""
                    sawAny = true
                    let unit: String
                    switch (ch, inTime) {
                    case ("Y", false): unit = "y"
                    case ("M", false): unit = "mo"
                    case ("W", false): unit = "w"
                    case ("D", false): unit = "d"
                    case ("H", true): unit = "h"
                    case ("M", true): unit = "m"
                    case ("S", true): unit = "s"
                    default: return nil
                    }
                    guard add(v, unit) else { return nil }
                }
                guard num.isEmpty, sawAny else { return nil }
            }
        } else {
            let chars = Array(s)
            var i = 0
            while i < chars.count {
                var num = ""
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { num.append(chars[i]); i += 1 }
                var unit = ""
                while i < chars.count, !(chars[i].isASCII && chars[i].isNumber) { unit.append(chars[i]); i += 1 }
                guard let v = Int64(num), add(v, unit.lowercased()) else { return nil }
            }
        }
        guard let m = Int32(exactly: negative ? -months : months), let d = Int32(exactly: negative ? -days : days) else { return nil }
        return (m, d, negative ? -nanos : nanos)
    }
}

/// inet literals: dotted IPv4 and RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
enum CQLInetParse {
    static func parse(_ text: String) -> [UInt8]? {
        if !text.contains(":") { return ipv4(Substring(text)) }
        return ipv6(text)
    }

    static func ipv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        return out
    }

    static func ipv6(_ text: String) -> [UInt8]? {
        func groups(_ s: Substring) -> [UInt8]? {
            if s.isEmpty { return [] }
            var out: [UInt8] = []
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, p.contains(".") {
                    guard let v4 = ipv4(p) else { return nil }
                    out += v4
                    continue
                }
                guard !p.isEmpty, p.count <= 4, let v = UInt16(p, radix: 16) else { return nil }
                out += [UInt8(v >> 8), UInt8(v & 0xFF)]
            }
            return out
        }
        var halves: [Substring] = []
        let chars = Array(text)
        if let k = chars.indices.dropLast().first(where: { chars[$0] == ":" && chars[$0 + 1] == ":" }) {
            let lo = text.index(text.startIndex, offsetBy: k)
            halves = [text[..<lo], text[text.index(lo, offsetBy: 2)...]]
            if halves[1].contains("::") { return nil }
        } else {
            halves = [Substring(text)]
        }
        switch halves.count {
        case 1:
            guard let g = groups(Substring(text)), g.count == 16 else { return nil }
            return g
        case 2:
            guard let a = groups(halves[0]), let b = groups(halves[1]), a.count + b.count <= 14 else { return nil }
            return a + [UInt8](repeating: 0, count: 16 - a.count - b.count) + b
        default:
            return nil
        }
    }
}
