/// Calendar arithmetic for timestamp/date/time printing, proleptic Gregorian, UTC, exact
/// for every Int64 input (no Foundation: values are printed for every row of cqlsh output).
enum CQLTemporal {
    static let millisPerDay: Int64 = 86_400_000
    static let nanosPerDay: Int64 = 86_400_000_000_000
    /// `date` values are unsigned days with 1970-01-01 at 2^31.
    static let dateEpoch: Int64 = 1 << 31

    /// Year, month, day of a day number relative to 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        CivilCalendar.civil(fromDays: z0)
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `YYYY-MM-DD`, or nil outside years 1 ... 9999 (cqlsh then prints the raw number).
    static func dateString(daysSinceEpoch days: Int64) -> String? {
        let (y, m, d) = civil(fromDays: days)
        guard y >= 1 && y <= 9999 else { return nil }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Splits milliseconds since the epoch into (day, millisecond of day), flooring.
    static func split(millis: Int64) -> (days: Int64, msOfDay: Int64) {
        var days = millis / millisPerDay
        var rem = millis % millisPerDay
        if rem < 0 { rem += millisPerDay; days -= 1 }
        return (days, rem)
    }

    /// cqlsh's form: `2024-01-02 03:04:05.678000+0000`; nil outside years 1 ... 9999.
    static func timestampString(millis: Int64) -> String? {
        let (days, ms) = split(millis: millis)
        guard let date = dateString(daysSinceEpoch: days) else { return nil }
        return "\(date) \(clock(ms / 1000)).\(pad(ms % 1000 * 1000, 6))+0000"
    }

    /// Cassandra's JSON form: `2024-01-02 03:04:05.678Z`.
    static func timestampJSONString(millis: Int64) -> String? {
        let (days, ms) = split(millis: millis)
        guard let date = dateString(daysSinceEpoch: days) else { return nil }
        return "\(date) \(clock(ms / 1000)).\(pad(ms % 1000, 3))Z"
    }

    static func clock(_ secondsOfDay: Int64) -> String {
        "\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))"
    }

    /// `HH:MM:SS.nnnnnnnnn` for nanoseconds of the day.
    static func timeString(nanos: Int64) -> String {
        "\(clock(nanos / 1_000_000_000)).\(pad(nanos % 1_000_000_000, 9))"
    }

    /// cqlsh's duration form, e.g. `1y2mo3d4h5m6s7ms8us9ns`, `-1d`.
    static func durationString(months: Int32, days: Int32, nanos: Int64) -> String {
        var out = (months < 0 || days < 0 || nanos < 0) ? "-" : ""
        func append(_ dividend: UInt64, _ divisor: UInt64, _ unit: String) -> UInt64 {
            if dividend == 0 || dividend < divisor { return dividend }
            out += "\(dividend / divisor)\(unit)"
            return dividend % divisor
        }
        let m = append(UInt64(months.magnitude), 12, "y")
        _ = append(m, 1, "mo")
        _ = append(UInt64(days.magnitude), 1, "d")
        if nanos != 0 {
            var r = append(nanos.magnitude, 3_600_000_000_000, "h")
            r = append(r, 60_000_000_000, "m")
            r = append(r, 1_000_000_000, "s")
            r = append(r, 1_000_000, "ms")
            r = append(r, 1_000, "us")
            _ = append(r, 1, "ns")
        }
        return out
    }
}
