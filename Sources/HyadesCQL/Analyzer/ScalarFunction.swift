import HyadesCore

/// A native scalar function with arguments, resolved for its argument types (Cassandra's
/// TimeFcts, BytesConversionFcts, CastFcts, OperationFcts and token()). The same value
/// runs in a term (`ValueTerm.call`: INSERT/UPDATE values, WHERE operands) and in a
/// selector (`SelectorPlan.call`). Functions of no argument that read the clock (`now()`,
/// `currentTimestamp()`, ...) are `TermFunction`s.
public enum ScalarFunction: Hashable, Sendable {
    /// `toDate(x)` of a timeuuid or timestamp.
    case toDate(CQLType)
    /// `toTimestamp(x)` / `dateOf(x)` of a timeuuid or date.
    case toTimestamp(CQLType)
    /// `toUnixTimestamp(x)` / `unixTimestampOf(x)`: milliseconds as bigint.
    case toUnixTimestamp(CQLType)
    case minTimeuuid, maxTimeuuid
    /// `blobAs<type>(b)`: the bytes, validated as a `type` value.
    case blobAs(CQLType)
    /// `<type>AsBlob(x)`: the bytes unchanged.
    case asBlob
    /// `CAST(x AS to)`
    case cast(from: CQLType, to: CQLType)
    /// `l op r`, operands of types `left` / `right`, computed in `result`.
    case arithmetic(ArithmeticOperator, left: CQLType, right: CQLType, result: CQLType)
    /// `-x`
    case negate(CQLType)
    /// `token(a, b)`: the Murmur3 token of the partition key made of the arguments.
    case token(components: Int)

    /// Cassandra's name, for errors.
    var name: String {
        switch self {
        case .toDate: "system.todate"
        case .toTimestamp: "system.totimestamp"
        case .toUnixTimestamp: "system.tounixtimestamp"
        case .minTimeuuid: "system.mintimeuuid"
        case .maxTimeuuid: "system.maxtimeuuid"
        case .blobAs(let t): "system.blobas\(t.cqlName)"
        case .asBlob: "system.asblob"
        case .cast(let f, let t): "system.castAs\(t.cqlName)(\(f.cqlName))"
        case .arithmetic(let op, _, _, _): "system.\(Self.operationName(op))"
        case .negate: "system._negate"
        case .token: "system.token"
        }
    }

    static func operationName(_ op: ArithmeticOperator) -> String {
        switch op {
        case .add: "_add"
        case .subtract: "_substract"
        case .multiply: "_multiply"
        case .divide: "_divide"
        case .modulo: "_modulo"
        }
    }

    /// Runs the function on serialized arguments (nil: null); nil result is null.
    public func execute(_ args: [[UInt8]?]) throws(CQLAnalysisError) -> [UInt8]? {
        switch self {
        case .toDate(let from):
            guard let a = args[0], !a.isEmpty, let ms = try Self.millis(a, from) else { return nil }
            return try Self.date(fromMillis: ms)
        case .toTimestamp(let from):
            guard let a = args[0], !a.isEmpty, let ms = try Self.millis(a, from) else { return nil }
            return CQLLiteralBytes.int64(ms)
        case .toUnixTimestamp(let from):
            guard let a = args[0], !a.isEmpty, let ms = try Self.millis(a, from) else { return nil }
            return CQLLiteralBytes.int64(ms)
        case .minTimeuuid, .maxTimeuuid:
            guard let a = args[0] else { return nil }
            guard let ms = CQLLiteralBytes.readInt64(a) else { throw .invalid("Invalid timestamp value in call to function \(name)") }
            return Self.boundTimeUUID(millis: ms, max: self == .maxTimeuuid)
        case .blobAs(let type):
            guard let a = args[0] else { return nil }
            // An empty value is valid for every native type (Cassandra's "empty" values:
            // `blobAsInt(0x)` stores an empty int, which drivers read as EMPTY or null).
            if a.isEmpty { return a }
            do { try type.validate(a) } catch {
                throw .invalid("In call to function \(name), value \(a.withUnsafeBytes { CQLValueFormat.hex($0) }) is not a valid binary representation for type \(type.cqlName)")
            }
            return a
        case .asBlob:
            return args[0]
        case .cast(let from, let to):
            guard let a = args[0] else { return nil }
            return try Self.cast(a, from: from, to: to)
        case .arithmetic(let op, let lt, let rt, let result):
            guard let l = args[0], !l.isEmpty, let r = args[1], !r.isEmpty else { return nil }
            do {
                if result == .timestamp || result == .date {
                    return try Self.temporal(op, l, result, duration: r)
                }
                guard let a = try CQLNumber.decode(l, lt), let b = try CQLNumber.decode(r, rt) else { return nil }
                return try CQLNumber.apply(op, a, b, result: result)
            } catch {
                throw .invalid("the operation '\(lt.cqlName) \(op.rawValue) \(rt.cqlName)' failed: \(error.message)")
            }
        case .negate(let type):
            guard let a = args[0] else { return nil }
            guard let x = try CQLNumber.decode(a, type) else { return nil }
            return try CQLNumber.negate(x, type)
        case .token:
            var parts: [[UInt8]] = []
            for a in args {
                guard let a else { throw .invalid("Invalid null value for partition key part in call to function token") }
                guard a.count <= 0xFFFF else { throw .invalid("Key length of \(a.count) is longer than maximum of 65535") }
                parts.append(a)
            }
            let key = parts.count == 1 ? parts[0] : Murmur3Partitioner.compositeKey(parts)
            return CQLLiteralBytes.int64(Murmur3Partitioner.token(key).value)
        }
    }

    // MARK: time

    static let uuidEpochOffset: Int64 = 12_219_292_800_000  // ms from 1582-10-15 to 1970-01-01
    static let millisPerDay: Int64 = 86_400_000

    /// Milliseconds since the epoch of a timeuuid, timestamp or date value.
    static func millis(_ b: [UInt8], _ type: CQLType) throws(CQLAnalysisError) -> Int64? {
        switch type.unfrozen {
        case .timestamp, .bigint:
            guard let v = CQLLiteralBytes.readInt64(b) else { throw .invalid("Invalid timestamp value") }
            return v
        case .date:
            guard b.count == 4 else { throw .invalid("Invalid date value") }
            let days = Int64(b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) - (1 << 31)
            return days * millisPerDay
        case .timeuuid, .uuid:
            guard b.count == 16, b[6] >> 4 == 1 else { throw .invalid("Invalid timeuuid value: not a version 1 UUID") }
            let low = UInt64(b[0]) << 24 | UInt64(b[1]) << 16 | UInt64(b[2]) << 8 | UInt64(b[3])
            let mid = UInt64(b[4]) << 8 | UInt64(b[5])
            let hi = (UInt64(b[6]) & 0x0F) << 8 | UInt64(b[7])
            let t = Int64(bitPattern: hi << 48 | mid << 32 | low)  // 100ns intervals since 1582
            return t / 10_000 - uuidEpochOffset
        default:
            return nil
        }
    }

    static func date(fromMillis ms: Int64) throws(CQLAnalysisError) -> [UInt8] {
        let days = ms >= 0 ? ms / millisPerDay : (ms - millisPerDay + 1) / millisPerDay
        let v = days + (1 << 31)
        guard v >= 0, v <= Int64(UInt32.max) else { throw .invalid("Date out of range: \(ms) ms") }
        return CQLNumber.fixed(v, width: 4)
    }

    /// The smallest (`max` false) or largest timeuuid of a millisecond (UUIDGen.min/maxTimeUUID).
    static func boundTimeUUID(millis: Int64, max: Bool) -> [UInt8] {
        let base = (millis &+ uuidEpochOffset) &* 10_000
        let t = UInt64(bitPattern: max ? base &+ 9_999 : base)
        let low = UInt32(truncatingIfNeeded: t), mid = UInt16(truncatingIfNeeded: t >> 32)
        let hi = UInt16(truncatingIfNeeded: t >> 48) & 0x0FFF | 0x1000
        var out: [UInt8] = [UInt8(low >> 24), UInt8(low >> 16 & 0xFF), UInt8(low >> 8 & 0xFF), UInt8(low & 0xFF),
                            UInt8(mid >> 8), UInt8(mid & 0xFF), UInt8(hi >> 8), UInt8(hi & 0xFF)]
        out += Array(repeating: max ? 0x7F : 0x80, count: 8)
        return out
    }

    /// `timestamp ± duration`, `date ± duration` (Cassandra's Duration.addTo: months then
    /// days on the UTC calendar, then the nanoseconds as whole milliseconds).
    static func temporal(_ op: ArithmeticOperator, _ value: [UInt8], _ type: CQLType, duration: [UInt8]) throws(CQLAnalysisError) -> [UInt8] {
        guard let d = Self.duration(duration) else { throw .invalid("Invalid duration value") }
        let sign: Int64 = op == .subtract ? -1 : 1
        if type == .date && d.nanos != 0 {
            throw .invalid("The duration must have a day precision. Was: \(CQLValueFormat.literal(duration, type: .duration))")
        }
        guard var ms = try millis(value, type) else { throw .invalid("Invalid \(type.cqlName) value") }
        if d.months != 0 {
            let days = ms >= 0 ? ms / millisPerDay : (ms - millisPerDay + 1) / millisPerDay
            let rem = ms - days * millisPerDay
            var (y, m, dd) = civil(days)
            let months = y * 12 + (m - 1) + sign * Int64(d.months)
            y = months >= 0 ? months / 12 : (months - 11) / 12
            m = months - y * 12 + 1
            dd = min(dd, daysIn(y, m))
            ms = daysFrom(y, m, dd) * millisPerDay + rem
        }
        ms = ms &+ sign * Int64(d.days) * millisPerDay &+ sign * (d.nanos / 1_000_000)
        return type == .date ? try date(fromMillis: ms) : CQLLiteralBytes.int64(ms)
    }

    static func duration(_ b: [UInt8]) -> (months: Int32, days: Int32, nanos: Int64)? {
        var i = 0
        func vint() -> Int64? {
            guard i < b.count else { return nil }
            let first = b[i]
            let extra = (~first).leadingZeroBitCount
            guard i + extra < b.count else { return nil }
            var v = UInt64(first) & (extra >= 7 ? 0 : UInt64(0xFF >> (extra + 1)))
            for k in 0..<extra { v = v << 8 | UInt64(b[i + 1 + k]) }
            i += 1 + extra
            return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)  // zig-zag
        }
        guard let m = vint(), let d = vint(), let n = vint(), i == b.count else { return nil }
        return (Int32(truncatingIfNeeded: m), Int32(truncatingIfNeeded: d), n)
    }

    /// Civil date of days since 1970-01-01 (proleptic Gregorian).
    static func civil(_ days: Int64) -> (Int64, Int64, Int64) {
        let c = CivilCalendar.civil(fromDays: days)
        return (c.year, c.month, c.day)
    }

    static func daysFrom(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 { CivilCalendar.days(year: y, month: m, day: d) }

    static func daysIn(_ y: Int64, _ m: Int64) -> Int64 { CivilCalendar.daysInMonth(y, m) }

    // MARK: CAST

    /// Cassandra's CastFcts: numbers between numeric types (Java's conversions), to text /
    /// ascii (the serializer's toCQLLiteral, `CastText`), and the temporal conversions.
    static func cast(_ a: [UInt8], from: CQLType, to: CQLType) throws(CQLAnalysisError) -> [UInt8]? {
        if from.unfrozen == to.unfrozen { return a }
        switch to {
        case .text, .ascii:
            if a.isEmpty && from.unfrozen != .ascii { return nil }
            guard let t = CastText.text(a, from) else { throw .invalid("Invalid \(from.cqlName) value in cast to \(to.cqlName)") }
            return Array(t.utf8)
        case .date:
            guard !a.isEmpty, let ms = try millis(a, from) else { return nil }
            return try date(fromMillis: ms)
        case .timestamp:
            guard !a.isEmpty, let ms = try millis(a, from) else { return nil }
            return CQLLiteralBytes.int64(ms)
        default:
            guard let n = try CQLNumber.decode(a, from) else { return nil }
            return try n.encode(to)
        }
    }

    /// Whether `CAST(x AS to)` exists for an `from` value (CastFcts' list: numbers between
    /// them, numbers / inet / boolean / uuids / temporals to text or ascii, ascii to text,
    /// and the temporal conversions).
    static func castable(_ from: CQLType, to: CQLType) -> Bool {
        let numeric = CQLNumber.numericTypes
        if from == to { return true }
        let textual: Set<CQLType> = [.inet, .boolean, .timeuuid, .timestamp, .date, .time, .uuid]
        switch to {
        case .text: return numeric.contains(from) || textual.contains(from) || from == .ascii
        case .ascii: return numeric.contains(from) || textual.contains(from)
        default: break
        }
        if numeric.contains(from) && numeric.contains(to) && to != .counter { return true }
        switch (from, to) {
        case (.timestamp, .date), (.date, .timestamp), (.timeuuid, .timestamp), (.timeuuid, .date): return true
        default: return false
        }
    }
}
