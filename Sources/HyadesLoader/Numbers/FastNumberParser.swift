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
        parseInt64(p, n, readable: n)
    }

    /// As `parseInt64(_:_:)`; `readable` (at least `n`) bytes from `p` may be loaded, so
    /// the digits can be read 8 at a time past the field's end (the bytes after it are
    /// ignored). Up to 19 digits (a Gaia source_id has 19) take 3 words, not 19 steps.
    @inlinable @inline(__always)
    public static func parseInt64(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> Int64? {
        var i = 0
        var negative = false
        if n > 0 {
            let c = p[0]
            if c == UInt8(ascii: "-") { negative = true; i = 1 } else if c == UInt8(ascii: "+") { i = 1 }
        }
        var v: UInt64 = 0
        var digits = 0
        if DecimalText.digitRun(p, &i, n, readable, &v, &digits) {
            // Up to 19 digits: no overflow of the UInt64.
            guard i == n, digits > 0 else { return nil }
            if negative {
                if v > UInt64(Int64.max) + 1 { return nil }
                return Int64(bitPattern: 0 &- v)
            }
            if v > UInt64(Int64.max) { return nil }
            return Int64(v)
        }
        return parseInt64Slow(p, n)
    }

    @usableFromInline
    static func parseInt64Slow(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
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
        parseDouble(p, n, readable: n)
    }

    /// As `parseDouble(_:_:)`; `readable` (at least `n`) bytes from `p` may be loaded.
    @inline(__always)
    static func parseDouble(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> Double? {
        guard let d = DecimalText(p, n, readable: readable) else { return special(p, n) }
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
        parseFloat(p, n, readable: n)
    }

    /// As `parseFloat(_:_:)`; `readable` (at least `n`) bytes from `p` may be loaded.
    @inline(__always)
    static func parseFloat(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) -> Float? {
        guard let d = DecimalText(p, n, readable: readable) else { return special(p, n).map { Float($0) } }
        if d.truncated { return strtofFallback(p, n) }
        if d.mantissa == 0 { return d.negative ? -0.0 : 0.0 }
        // Clinger in binary64, then to binary32: `v` is the value correctly rounded to a
        // double; unless it lies exactly halfway between two floats (its 29 bits below a
        // float's precision 1000...0), the value and `v` are on the same side of every
        // float midpoint, so rounding `v` rounds the value. (Within these bounds `v` is a
        // normal float: 1e-22 ... 9e37.) Whether the digits fit 24 bits, the binary32
        // Clinger test, flips between 7- and 8-digit fields: a mispredicted branch.
        if d.exponent >= -22 && d.exponent <= 22 && d.mantissa <= (1 << 53) {
            var v = Double(d.mantissa)
            if d.exponent < 0 { v /= exactPowersOfTen[-d.exponent] } else { v *= exactPowersOfTen[d.exponent] }
            if v.bitPattern & 0x1FFF_FFFF != 0x1000_0000 {
                let f = Float(v)
                return d.negative ? -f : f
            }
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

    // Literal arrays: initialised statically, no `swift_once` check per access (the
    // computed ones cost one per parsed number).
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
    static let exactFloatPowersOfTen: [Float] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10]

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
    @usableFromInline var negative = false
    var mantissa: UInt64 = 0
    var exponent = 0
    /// A non-zero digit beyond the 19th was dropped: the fast paths cannot decide.
    var truncated = false

    @usableFromInline
    init(negative: Bool, mantissa: UInt64, exponent: Int) {
        self.negative = negative
        self.mantissa = mantissa
        self.exponent = exponent
    }

    /// The common shape, `[sign]digits[.digits]` with at most 19 digits in all, read 8
    /// bytes at a time when `readable` bytes may be loaded; anything else through the
    /// general loop below. Both give the same mantissa and exponent: with 19 digits or
    /// fewer no digit is dropped.
    @inline(__always)
    init?(_ p: UnsafePointer<UInt8>, _ n: Int, readable: Int) {
        var i = 0
        var negative = false
        if n > 0 {
            let c = p[0]
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { negative = c == UInt8(ascii: "-"); i = 1 }
        }
        var m: UInt64 = 0
        var digits = 0
        if Self.digitRun(p, &i, n, readable, &m, &digits) {
            var fraction = 0
            var plain = true
            if i < n && p[i] == UInt8(ascii: ".") {
                i += 1
                let before = digits
                plain = Self.digitRun(p, &i, n, readable, &m, &digits)
                fraction = digits - before
            }
            if plain && i == n && digits > 0 {
                self.init(negative: negative, mantissa: m, exponent: -fraction)
                return
            }
        }
        self.init(p, n)
    }

    /// Reads the digits at `p[i...]` (stopping at `n`) into `m`, 8 bytes at a time,
    /// advancing `i` and counting `digits`. False (give up, `m` and `i` meaningless) when
    /// a load would pass `readable` or the digits exceed 19.
    @usableFromInline @inline(__always)
    static func digitRun(_ p: UnsafePointer<UInt8>, _ i: inout Int, _ n: Int, _ readable: Int,
                         _ m: inout UInt64, _ digits: inout Int) -> Bool {
        while true {
            guard i + 8 <= readable else { return false }
            var w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
            let left = n - i
            // Bytes past the field read as 0xFF: not digits.
            if left < 8 { w |= UInt64.max &<< UInt64(truncatingIfNeeded: 8 * left) }
            // The lowest flagged byte is the first non-digit (exact: carries and
            // borrows only move upwards, and every byte below it is a digit).
            let flags = ((w &+ 0x4646_4646_4646_4646) | (w &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
            let d = flags.trailingZeroBitCount >> 3
            if d > 0 {
                m = m &* pow10(d) &+ leadingDigits(w, d)
                digits += d
                i += d
                if digits > 19 { return false }
            }
            if d < 8 { return true }
        }
    }

    @usableFromInline @inline(__always)
    static func pow10(_ d: Int) -> UInt64 {
        switch d {
        case 1: return 10
        case 2: return 100
        case 3: return 1000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        default: return 1
        }
    }

    /// The value of the first `d` (1...8) ASCII digits of `word` (the first in the lowest
    /// byte): shifted up, the bytes below them read as leading zeros.
    @usableFromInline @inline(__always)
    static func leadingDigits(_ word: UInt64, _ d: Int) -> UInt64 {
        var v = (word &- 0x3030_3030_3030_3030) &<< UInt64(truncatingIfNeeded: 8 * (8 - d))
        v = (v &* 10) &+ (v >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        v = (((v & mask) &* 0x000F_4240_0000_0064) &+ (((v >> 16) & mask) &* 0x0000_2710_0000_0001)) >> 32
        return UInt64(UInt32(truncatingIfNeeded: v))
    }

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
