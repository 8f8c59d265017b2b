/// Number parsing for the loader's hot path: integers by hand, floating point by
/// Clinger's fast path, then Eisel-Lemire (fast_float's algorithm), then the standard
/// library's `strtod_l` / `strtof_l` in the C locale for whatever those two cannot decide (more than 19
/// significant digits, subnormals, overflow). The result is always bit-identical to
/// what `strtod` / `strtof` return for the same text; tests check that on random and
/// tricky inputs.
///
/// Accepted text: optional sign, digits with an optional `.`, an optional exponent
/// (`e`/`E`, optional sign, digits); also `NaN`, `Inf`, `Infinity` (any case). Hex floats
/// and surrounding spaces are rejected (`nil`).
public enum FastNumberParser {
    /// A whole field as a signed 64-bit integer; nil when not an integer or out of range.
    @inlinable
    public static func parseInt64(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if p[0] == UInt8(ascii: "+") { i = 1 }
        guard i < n else { return nil }
        var v: UInt64 = 0
        // 19 digits never overflow a UInt64; check only beyond that.
        let fast = min(n, i + 18)
        while i < fast {
            let d = UInt64(p[i]) &- 48
            if d > 9 { return nil }
            v = v &* 10 &+ d
            i += 1
        }
        while i < n {
            let d = UInt64(p[i]) &- 48
            if d > 9 { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(d)
            if o1 || o2 { return nil }
            v = s
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return Int64(bitPattern: 0 &- v)
        }
        if v > UInt64(Int64.max) { return nil }
        return Int64(v)
    }

    /// A whole field as a Double, bit-identical to `strtod`.
    public static func parseDouble(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        guard let d = DecimalText(p, n) else { return special(p, n) }
        if d.truncated { return strtodFallback(p, n) }
        if d.mantissa == 0 { return d.negative ? -0.0 : 0.0 }
        // Clinger: both operands exact, one IEEE operation, correctly rounded.
        if d.exponent >= -22 && d.exponent <= 22 && d.mantissa <= (1 << 53) {
            var v = Double(d.mantissa)
            if d.exponent < 0 { v /= exactPowersOfTen[-d.exponent] } else { v *= exactPowersOfTen[d.exponent] }
            return d.negative ? -v : v
        }
        if let bits = EiselLemire.compute(d.mantissa, d.exponent, EiselLemire.binary64) {
            let v = Double(bitPattern: bits)
            return d.negative ? -v : v
        }
        return strtodFallback(p, n)
    }

    /// A whole field as a Float, bit-identical to `strtof` (decided directly in binary32,
    /// never by rounding a Double, which would round twice).
    public static func parseFloat(_ p: UnsafePointer<UInt8>, _ n: Int) -> Float? {
        guard let d = DecimalText(p, n) else { return special(p, n).map { Float($0) } }
        if d.truncated { return strtofFallback(p, n) }
        if d.mantissa == 0 { return d.negative ? -0.0 : 0.0 }
        if d.exponent >= -10 && d.exponent <= 10 && d.mantissa <= (1 << 24) {
            var v = Float(d.mantissa)
            if d.exponent < 0 { v /= exactFloatPowersOfTen[-d.exponent] } else { v *= exactFloatPowersOfTen[d.exponent] }
            return d.negative ? -v : v
        }
        if let bits = EiselLemire.compute(d.mantissa, d.exponent, EiselLemire.binary32) {
            let v = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
            return d.negative ? -v : v
        }
        return strtofFallback(p, n)
    }

    /// `NaN`, `Inf`, `Infinity` with an optional sign, any case.
    static func special(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        var i = 0
        var negative = false
        if n > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) { negative = p[0] == UInt8(ascii: "-"); i = 1 }
        var word = [UInt8]()
        while i < n { word.append(p[i] | 0x20); i += 1 }   // ASCII lower case
        switch word {
        case Array("nan".utf8): return Double.nan
        case Array("inf".utf8), Array("infinity".utf8): return negative ? -Double.infinity : Double.infinity
        default: return nil
        }
    }

    static let exactPowersOfTen: [Double] = (0...22).map { i in
        var v = 1.0
        for _ in 0..<i { v *= 10 }
        return v
    }
    static let exactFloatPowersOfTen: [Float] = (0...10).map { i in
        var v: Float = 1
        for _ in 0..<i { v *= 10 }
        return v
    }

    // MARK: fallback

    /// The standard library's conversion: `strtod_l` / `strtof_l` in the C locale (so a
    /// user's LC_NUMERIC never changes the meaning of `.`). Only text that passed
    /// `DecimalText` gets here.
    static func strtodFallback(_ p: UnsafePointer<UInt8>, _ n: Int) -> Double? {
        Double(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
    }

    static func strtofFallback(_ p: UnsafePointer<UInt8>, _ n: Int) -> Float? {
        Float(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
    }
}

/// A decimal number split into sign, up to 19 significant digits and a power of ten.
@usableFromInline
struct DecimalText {
    var negative = false
    var mantissa: UInt64 = 0
    var exponent = 0
    /// A non-zero digit beyond the 19th was dropped: the fast paths cannot decide.
    var truncated = false

    @inline(__always)
    init?(_ p: UnsafePointer<UInt8>, _ n: Int) {
        var i = 0
        if n > 0 && (p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+")) { negative = p[0] == UInt8(ascii: "-"); i = 1 }
        var digits = 0       // significant digits kept in `mantissa`
        var seenDigit = false
        while i < n {
            let d = UInt64(p[i]) &- 48
            if d > 9 { break }
            seenDigit = true
            if digits < 19 {
                mantissa = mantissa &* 10 &+ d
                if mantissa != 0 { digits += 1 }
            } else {
                exponent += 1
                if d != 0 { truncated = true }
            }
            i += 1
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            // Eight fraction digits at a time while all of them are significant and fit
            // (fast_float's SWAR test and conversion): a catalogue's coordinates carry
            // 14-16 of them, one multiply-add per digit before.
            while i + 8 <= n && mantissa != 0 && digits <= 11 {
                let word = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                guard Self.isEightDigits(word) else { break }
                mantissa = mantissa &* 100_000_000 &+ Self.eightDigits(word)
                digits += 8
                exponent -= 8
                i += 8
            }
            while i < n {
                let d = UInt64(p[i]) &- 48
                if d > 9 { break }
                seenDigit = true
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ d
                    if mantissa != 0 { digits += 1 }
                    exponent -= 1
                } else if d != 0 {
                    truncated = true
                }
                i += 1
            }
        }
        guard seenDigit else { return nil }
        if i < n && (p[i] | 0x20) == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < n && (p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+")) { expNegative = p[i] == UInt8(ascii: "-"); i += 1 }
            var e = 0
            var expDigits = 0
            while i < n {
                let d = Int(p[i]) &- 48
                if d < 0 || d > 9 { break }
                if e < 100_000 { e = e * 10 + d }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return nil }
    }

    /// Are all eight bytes (little-endian) ASCII digits?
    @inline(__always)
    static func isEightDigits(_ v: UInt64) -> Bool {
        ((v &+ 0x4646_4646_4646_4646) | (v &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0
    }

    /// The value of eight ASCII digits, the first in the lowest byte.
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
        var v = word &- 0x3030_3030_3030_3030
        v = (v &* 10) &+ (v >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        v = (((v & mask) &* 0x000F_4240_0000_0064) &+ (((v >> 16) & mask) &* 0x0000_2710_0000_0001)) >> 32
        return UInt64(UInt32(truncatingIfNeeded: v))
    }
}

/// Eisel-Lemire: the correctly rounded binary float nearest `w * 10^q` from a 128-bit
/// approximation of `5^q`, or nil when the approximation cannot decide (the caller then
/// falls back to strtod). A transcription of fast_float's `compute_float`, with the
/// subnormal and overflow cases left to the fallback.
@usableFromInline
enum EiselLemire {
    struct Format {
        var mantissaBits: Int
        var minimumExponent: Int
        var infinitePower: Int
        var minRoundToEven: Int
        var maxRoundToEven: Int
    }
    static let binary64 = Format(mantissaBits: 52, minimumExponent: -1023, infinitePower: 0x7FF,
                                 minRoundToEven: -4, maxRoundToEven: 23)
    static let binary32 = Format(mantissaBits: 23, minimumExponent: -127, infinitePower: 0xFF,
                                 minRoundToEven: -17, maxRoundToEven: 10)

    @inline(__always)
    static func compute(_ w0: UInt64, _ q: Int, _ f: Format) -> UInt64? {
        if q < -342 || q > 308 || w0 == 0 { return nil }
        let lz = w0.leadingZeroBitCount
        let w = w0 << UInt64(lz)
        let index = 2 * (q + 342)
        var (hi, lo) = powersOfFive128.withUnsafeBufferPointer { t in w.multipliedFullWidth(by: t[index]) }
        let precisionMask = UInt64.max >> UInt64(f.mantissaBits + 3)
        if hi & precisionMask == precisionMask {
            let (hi2, _) = powersOfFive128.withUnsafeBufferPointer { t in w.multipliedFullWidth(by: t[index + 1]) }
            let (sum, overflow) = lo.addingReportingOverflow(hi2)
            lo = sum
            if overflow { hi &+= 1 }
        }
        // Conservative (the older fast_float): an all-ones low word outside the range
        // where the product is exact may be off by one; let strtod decide.
        if lo == UInt64.max && (q < -27 || q > 55) { return nil }
        let upperbit = Int(hi >> 63)
        let shift = UInt64(upperbit + 64 - f.mantissaBits - 3)
        var mantissa = hi >> shift
        var power2 = (((152170 + 65536) * q) >> 16) + 63 + upperbit - lz - f.minimumExponent
        if power2 <= 0 { return nil }   // subnormal: the fallback rounds it
        if lo <= 1 && q >= f.minRoundToEven && q <= f.maxRoundToEven && (mantissa & 3) == 1 {
            if (mantissa << shift) == hi { mantissa &= ~1 }
        }
        mantissa += mantissa & 1
        mantissa >>= 1
        if mantissa >= (2 << UInt64(f.mantissaBits)) {
            mantissa = 1 << UInt64(f.mantissaBits)
            power2 += 1
        }
        mantissa &= ~(1 << UInt64(f.mantissaBits))
        if power2 >= f.infinitePower { return nil }
        return UInt64(power2) << UInt64(f.mantissaBits) | mantissa
    }
}
