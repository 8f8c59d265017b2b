import HyadesCore

/// A value of one of CQL's numeric types, decoded for arithmetic and CAST with Java's
/// semantics (what Cassandra's NumberType and CastFcts do): integer types wrap, float /
/// double follow IEEE, varint and decimal are exact. varint and decimal values are held in
/// 128 bits: a value or result beyond that is refused with an error rather than rounded.
enum CQLNumber {
    case integer(Int128)
    case float(Float)
    case double(Double)
    /// unscaled × 10^-scale
    case decimal(Int128, scale: Int32)

    static let numericTypes: Set<CQLType> = [.tinyint, .smallint, .int, .bigint, .counter, .varint, .float, .double, .decimal]

    /// Nil for the empty value (Cassandra's functions return null for it).
    static func decode(_ b: [UInt8], _ type: CQLType) throws(CQLAnalysisError) -> CQLNumber? {
        if b.isEmpty { return nil }
        switch type.unfrozen {
        case .tinyint, .smallint, .int, .bigint, .counter:
            return .integer(Int128(signExtend(b)))
        case .varint:
            return .integer(try int128(b))
        case .float:
            guard b.count == 4 else { throw .invalid("Invalid float value") }
            return .float(Float(bitPattern: b.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }))
        case .double:
            guard b.count == 8 else { throw .invalid("Invalid double value") }
            return .double(Double(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        case .decimal:
            guard b.count >= 5 else { throw .invalid("Invalid decimal value") }
            let scale = Int32(truncatingIfNeeded: signExtend(Array(b[0..<4])))
            return .decimal(try int128(Array(b[4...])), scale: scale)
        default:
            throw .invalid("\(type.cqlName) is not a numeric type")
        }
    }

    static func signExtend(_ b: [UInt8]) -> Int64 {
        var x = Int64(Int8(bitPattern: b[0]))
        for v in b.dropFirst() { x = x << 8 | Int64(v) }
        return x
    }

    static func int128(_ b: [UInt8]) throws(CQLAnalysisError) -> Int128 {
        guard !b.isEmpty else { return 0 }
        guard b.count <= 16 else { throw .invalid("varint and decimal values wider than 128 bits are not supported in functions and operations") }
        var x = Int128(Int8(bitPattern: b[0]))
        for v in b.dropFirst() { x = x << 8 | Int128(v) }
        return x
    }

    static func bytes(_ v: Int128) -> [UInt8] {
        var out: [UInt8] = []
        var x = v
        repeat {
            out.append(UInt8(truncatingIfNeeded: x))
            x >>= 8
        } while !(x == 0 && out.last! < 0x80) && !(x == -1 && out.last! >= 0x80)
        return out.reversed()
    }

    static func fixed(_ v: Int64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * (width - 1 - $0))) }
    }

    static func pow10(_ n: Int) -> Int128? {
        var r: Int128 = 1
        for _ in 0..<n {
            let (m, o) = r.multipliedReportingOverflow(by: 10)
            if o { return nil }
            r = m
        }
        return r
    }

    // MARK: conversions (Java's Number.xxxValue())

    /// The integer part (truncated toward zero); floats saturate like Java's (long) cast.
    var integerPart: Int128 {
        switch self {
        case .integer(let v): return v
        case .float(let f): return Self.saturating(Double(f))
        case .double(let d): return Self.saturating(d)
        case .decimal(let u, let s):
            if s <= 0 { return u &* (Self.pow10(Int(-s)) ?? 0) }
            guard let p = Self.pow10(Int(s)) else { return 0 }
            return u / p
        }
    }

    static func saturating(_ d: Double) -> Int128 {
        if d.isNaN { return 0 }
        if d >= 1.7e38 { return .max }
        if d <= -1.7e38 { return .min }
        return Int128(d.rounded(.towardZero))
    }

    /// Java's longValue().
    var longValue: Int64 {
        switch self {
        case .float(let f): return Self.saturating64(Double(f))
        case .double(let d): return Self.saturating64(d)
        default: return Int64(truncatingIfNeeded: integerPart)
        }
    }

    /// Java's intValue() (byteValue / shortValue narrow it further).
    var intValue: Int32 {
        switch self {
        case .float(let f): return Int32(truncatingIfNeeded: max(Int64(Int32.min), min(Int64(Int32.max), Self.saturating64(Double(f)))))
        case .double(let d): return Int32(truncatingIfNeeded: max(Int64(Int32.min), min(Int64(Int32.max), Self.saturating64(d))))
        default: return Int32(truncatingIfNeeded: integerPart)
        }
    }

    static func saturating64(_ d: Double) -> Int64 {
        if d.isNaN { return 0 }
        if d >= 9.223372036854775807e18 { return .max }
        if d <= -9.223372036854775808e18 { return .min }
        return Int64(d.rounded(.towardZero))
    }

    var doubleValue: Double {
        switch self {
        case .integer(let v): return Double(v)
        case .float(let f): return Double(f)
        case .double(let d): return d
        case .decimal(let u, let s): return Double("\(u)e\(-Int64(s))") ?? .nan
        }
    }

    var floatValue: Float {
        switch self {
        case .integer(let v): return Float(v)
        case .float(let f): return f
        case .double(let d): return Float(d)
        case .decimal(let u, let s): return Float("\(u)e\(-Int64(s))") ?? .nan
        }
    }

    /// BigDecimal.valueOf(double) for floats (their shortest decimal text), exact otherwise.
    func decimalValue() throws(CQLAnalysisError) -> (Int128, Int32) {
        switch self {
        case .integer(let v): return (v, 0)
        case .decimal(let u, let s): return (u, s)
        case .float(let f): return try Self.parseDecimal(Double(f))
        case .double(let d): return try Self.parseDecimal(d)
        }
    }

    static func parseDecimal(_ d: Double) throws(CQLAnalysisError) -> (Int128, Int32) {
        guard d.isFinite else { throw .invalid("Character \(d.isNaN ? "N" : "I") is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark.") }
        let text = d.description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            mantissa = text[..<e]
        }
        var scale = 0
        var digits = ""
        var seenPoint = false
        for c in mantissa {
            if c == "." { seenPoint = true; continue }
            digits.append(c)
            if seenPoint { scale += 1 }
        }
        guard let u = Int128(digits) else { throw .invalid("Invalid decimal value \(text)") }
        return (u, Int32(scale - exponent))
    }

    // MARK: encoding

    /// Serialized as `type` by CAST (CastFcts' Java conversions).
    func encode(_ type: CQLType) throws(CQLAnalysisError) -> [UInt8] {
        switch type.unfrozen {
        case .tinyint: return Self.fixed(Int64(intValue), width: 1)
        case .smallint: return Self.fixed(Int64(intValue), width: 2)
        case .int: return Self.fixed(Int64(intValue), width: 4)
        case .bigint, .counter: return Self.fixed(longValue, width: 8)
        case .float: return Self.fixed(Int64(floatValue.bitPattern), width: 4)
        case .double: return Self.fixed(Int64(bitPattern: doubleValue.bitPattern), width: 8)
        case .varint:
            // CastFcts: BigInteger.valueOf(p.longValue()).
            return Self.bytes(Int128(longValue))
        case .decimal:
            // CastFcts: BigDecimal.valueOf(p.doubleValue()), whatever the source type.
            let (u, s) = try Self.parseDecimal(doubleValue)
            return Self.fixed(Int64(s), width: 4) + Self.bytes(u)
        default:
            throw .invalid("\(type.cqlName) is not a numeric type")
        }
    }

    // MARK: arithmetic

    /// `l op r` computed in `result` (Cassandra's NumberType.add/substract/...).
    static func apply(_ op: ArithmeticOperator, _ l: CQLNumber, _ r: CQLNumber, result: CQLType) throws(CQLAnalysisError) -> [UInt8] {
        switch result {
        case .tinyint, .smallint, .int, .bigint:
            let width = result == .tinyint ? 1 : result == .smallint ? 2 : result == .int ? 4 : 8
            let a = width == 8 ? l.longValue : Int64(l.intValue), b = width == 8 ? r.longValue : Int64(r.intValue)
            let v: Int64
            switch op {
            case .add: v = a &+ b
            case .subtract: v = a &- b
            case .multiply: v = a &* b
            case .divide:
                guard b != 0 else { throw .invalid("/ by zero") }
                v = a.dividedReportingOverflow(by: b).partialValue
            case .modulo:
                guard b != 0 else { throw .invalid("/ by zero") }
                v = a.remainderReportingOverflow(dividingBy: b).partialValue
            }
            return fixed(v, width: width)
        case .float:
            let a = l.floatValue, b = r.floatValue
            let v: Float = switch op {
            case .add: a + b
            case .subtract: a - b
            case .multiply: a * b
            case .divide: a / b
            case .modulo: a.truncatingRemainder(dividingBy: b)
            }
            return CQLNumber.float(v).encodeFloat()
        case .double:
            let a = l.doubleValue, b = r.doubleValue
            let v: Double = switch op {
            case .add: a + b
            case .subtract: a - b
            case .multiply: a * b
            case .divide: a / b
            case .modulo: a.truncatingRemainder(dividingBy: b)
            }
            return fixed(Int64(bitPattern: v.bitPattern), width: 8)
        case .varint:
            let a = l.integerPart, b = r.integerPart
            let (v, o): (Int128, Bool)
            switch op {
            case .add: (v, o) = a.addingReportingOverflow(b)
            case .subtract: (v, o) = a.subtractingReportingOverflow(b)
            case .multiply: (v, o) = a.multipliedReportingOverflow(by: b)
            case .divide:
                guard b != 0 else { throw .invalid("BigInteger divide by zero") }
                (v, o) = a.dividedReportingOverflow(by: b)
            case .modulo:
                guard b != 0 else { throw .invalid("BigInteger divide by zero") }
                (v, o) = a.remainderReportingOverflow(dividingBy: b)
            }
            if o { throw .invalid("varint result beyond 128 bits is not supported") }
            return bytes(v)
        case .decimal:
            let (ua, sa) = try l.decimalValue(), (ub, sb) = try r.decimalValue()
            let (u, s) = try decimalOperation(op, ua, sa, ub, sb)
            return fixed(Int64(s), width: 4) + bytes(u)
        default:
            throw .invalid("\(result.cqlName) is not a numeric type")
        }
    }

    func encodeFloat() -> [UInt8] {
        if case .float(let f) = self { return Self.fixed(Int64(f.bitPattern), width: 4) }
        return Self.fixed(Int64(floatValue.bitPattern), width: 4)
    }

    static let overflow = CQLAnalysisError.invalid("decimal result beyond 128 bits is not supported")

    /// Both unscaled values brought to the larger scale.
    static func aligned(_ ua: Int128, _ sa: Int32, _ ub: Int128, _ sb: Int32) throws(CQLAnalysisError) -> (Int128, Int128, Int32) {
        let s = max(sa, sb)
        guard let pa = pow10(Int(s - sa)), let pb = pow10(Int(s - sb)) else { throw overflow }
        let (a, oa) = ua.multipliedReportingOverflow(by: pa), (b, ob) = ub.multipliedReportingOverflow(by: pb)
        if oa || ob { throw overflow }
        return (a, b, s)
    }

    static func decimalOperation(_ op: ArithmeticOperator, _ ua: Int128, _ sa: Int32, _ ub: Int128, _ sb: Int32) throws(CQLAnalysisError) -> (Int128, Int32) {
        switch op {
        case .add, .subtract:
            let (a, b, s) = try aligned(ua, sa, ub, sb)
            let (v, o) = op == .add ? a.addingReportingOverflow(b) : a.subtractingReportingOverflow(b)
            if o { throw overflow }
            return (v, s)
        case .multiply:
            let (v, o) = ua.multipliedReportingOverflow(by: ub)
            if o { throw overflow }
            return (v, sa + sb)
        case .modulo:
            guard ub != 0 else { throw .invalid("Division by zero") }
            let (a, b, s) = try aligned(ua, sa, ub, sb)
            return (a % b, s)
        case .divide:
            guard ub != 0 else { throw .invalid("Division by zero") }
            return try divide128(ua, sa, ub, sb)
        }
    }

    /// BigDecimal.divide(divisor, MathContext.DECIMAL128): 34 significant digits, half-even;
    /// an exact quotient keeps the scale closest to `sa - sb` that represents it.
    static func divide128(_ ua: Int128, _ sa: Int32, _ ub: Int128, _ sb: Int32) throws(CQLAnalysisError) -> (Int128, Int32) {
        let negative = (ua < 0) != (ub < 0)
        guard ua != .min, ub != .min else { throw overflow }
        let a = ua.magnitude, b = ub.magnitude
        // Long division digit by digit: digits of a/b, then fraction digits.
        var q = a / b
        var r = a % b
        var scale = Int32(0)
        func digits(_ x: UInt128) -> Int { x == 0 ? 0 : String(x).count }
        while r != 0 && digits(q) < 35 {
            let (r10, o) = r.multipliedReportingOverflow(by: 10)
            if o { throw overflow }
            let (q10, oq) = q.multipliedReportingOverflow(by: 10)
            if oq { throw overflow }
            q = q10 + r10 / b
            r = r10 % b
            scale += 1
        }
        var resultScale = sa - sb + scale
        if r != 0 || digits(q) > 34 {
            // Inexact (or too long): round to 34 significant digits, half-even.
            let k = digits(q) - 34
            if k > 0 {
                var p: UInt128 = 1
                for _ in 0..<k { p *= 10 }
                let dropped = q % p
                q /= p
                resultScale -= Int32(k)
                let half = p / 2
                if dropped > half || (dropped == half && (r != 0 || q % 2 == 1)) { q += 1 }
                if digits(q) > 34 { q /= 10; resultScale -= 1 }
            }
        } else {
            // Exact: strip trailing zeros down to the preferred scale.
            let preferred = sa - sb
            while resultScale > preferred, q != 0, q % 10 == 0 { q /= 10; resultScale -= 1 }
        }
        guard q <= UInt128(Int128.max) else { throw overflow }
        let v = Int128(q)
        return (negative ? -v : v, resultScale)
    }

    /// `-x` in its own type (Cassandra's NumberType.negate; integers wrap).
    static func negate(_ x: CQLNumber, _ type: CQLType) throws(CQLAnalysisError) -> [UInt8] {
        switch x {
        case .integer(let v):
            switch type.unfrozen {
            case .tinyint: return fixed(Int64(0 &- Int8(truncatingIfNeeded: v)), width: 1)
            case .smallint: return fixed(Int64(0 &- Int16(truncatingIfNeeded: v)), width: 2)
            case .int: return fixed(Int64(0 &- Int32(truncatingIfNeeded: v)), width: 4)
            case .bigint, .counter: return fixed(0 &- Int64(truncatingIfNeeded: v), width: 8)
            default:
                guard v != .min else { throw overflow }
                return bytes(-v)
            }
        case .float(let f): return CQLNumber.float(-f).encodeFloat()
        case .double(let d): return fixed(Int64(bitPattern: (-d).bitPattern), width: 8)
        case .decimal(let u, let s):
            guard u != .min else { throw overflow }
            return fixed(Int64(s), width: 4) + bytes(-u)
        }
    }

    /// Cassandra's OperationFcts.returnType: floating if either side is, the wider size.
    static func resultType(_ l: CQLType, _ r: CQLType) -> CQLType {
        func size(_ t: CQLType) -> Int {
            switch t {
            case .tinyint: 1
            case .smallint: 2
            case .int, .float: 4
            case .bigint, .counter, .double: 8
            default: Int.max
            }
        }
        let floating = [CQLType.float, .double, .decimal].contains(l) || [CQLType.float, .double, .decimal].contains(r)
        let s = max(size(l), size(r))
        if floating { return s == 4 ? .float : s == 8 ? .double : .decimal }
        switch s {
        case 1: return .tinyint
        case 2: return .smallint
        case 4: return .int
        case 8: return .bigint
        default: return .varint
        }
    }
}
