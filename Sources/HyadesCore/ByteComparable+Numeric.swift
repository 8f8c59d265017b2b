/// Numeric byte-comparable forms.
extension ByteComparable {
    // MARK: Fixed-width signed integers (tinyint, smallint, int, bigint, timestamp, time)

    /// Big-endian two's complement with the sign bit flipped: unsigned order = signed order.
    static func encodeSignedFixed(_ v: UnsafeRawBufferPointer, _ n: Int, _ type: CQLType, _ out: inout [UInt8]) throws {
        try requireWidth(v, n, type)
        out.append(v[0] ^ 0x80)
        for i in 1..<n { out.append(v[i]) }
    }

    static func decodeSignedFixed(_ r: inout Reader, _ n: Int, _ type: CQLType, _ out: inout [UInt8]) throws {
        let start = out.count
        try r.copy(n, into: &out, type)
        out[start] ^= 0x80
    }

    // MARK: float / double

    // Java's Float.compare / Double.compare order: -Inf < ... < -0.0 < 0.0 < ... < +Inf < NaN.
    // The usual sortable transform (negative: invert all bits; otherwise flip the sign bit)
    // orders every non-NaN correctly but puts negative-sign NaNs first. All 2^32 (2^64) bit
    // patterns must stay distinct to be invertible, so the transformed key is rotated down by
    // the number of negative NaNs: -Inf becomes 0, and the negative NaNs wrap around to the
    // very top, after +Inf and the positive NaNs. Still a fixed-width bijection.

    static let floatNegativeNaNs: UInt32 = 0x007F_FFFF
    static let doubleNegativeNaNs: UInt64 = 0x000F_FFFF_FFFF_FFFF

    static func encodeFloat(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        try requireWidth(v, 4, .float)
        let bits = CQLSerialized.loadUInt32(v, 0)
        let k = bits & 0x8000_0000 != 0 ? ~bits : bits ^ 0x8000_0000
        let key = k &- floatNegativeNaNs
        for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: key >> UInt32(s))) }
    }

    static func decodeFloat(_ r: inout Reader, _ out: inout [UInt8]) throws {
        let k = try r.uint32(.float) &+ floatNegativeNaNs
        let bits = k & 0x8000_0000 != 0 ? k ^ 0x8000_0000 : ~k
        for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: bits >> UInt32(s))) }
    }

    static func encodeDouble(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        try requireWidth(v, 8, .double)
        let bits = CQLSerialized.loadUInt64(v, 0)
        let k = bits & (1 << 63) != 0 ? ~bits : bits ^ (1 << 63)
        CQLSerialized.appendUInt64(k &- doubleNegativeNaNs, to: &out)
    }

    static func decodeDouble(_ r: inout Reader, _ out: inout [UInt8]) throws {
        let k = try r.uint64(.double) &+ doubleNegativeNaNs
        let bits = k & (1 << 63) != 0 ? k ^ (1 << 63) : ~k
        CQLSerialized.appendUInt64(bits, to: &out)
    }

    // MARK: varint

    // A minimal two's complement varint of n bytes: non-negative values with more bytes are
    // larger, negative ones smaller, and within one length the raw bytes compare unsigned as
    // the numbers do (the sign bit is the same). So a header orders sign and length:
    //
    //     0x00 ~n(4 bytes BE)   negative, n >= 127 (larger n first: more negative)
    //     0x7F - n              negative, 1 <= n <= 126   (0x01 ... 0x7E)
    //     0x80 + n              non-negative, 1 <= n <= 126 (0x81 ... 0xFE)
    //     0xFF n(4 bytes BE)    non-negative, n >= 127
    //
    // followed by the n bytes as they are. The header fixes the length: prefix-free.

    static func encodeVarint(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        if let p = CQLType.varintProblem(v) { throw CQLTypeError(.invalidValue, "invalid varint value: \(p)") }
        appendVarintHeader(negative: v[0] >= 0x80, length: v.count, &out)
        out.append(contentsOf: v)
    }

    static func appendVarintHeader(negative: Bool, length n: Int, _ out: inout [UInt8]) {
        if n < 0x7F {
            out.append(negative ? UInt8(0x7F - n) : UInt8(0x80 + n))
        } else {
            let n32 = UInt32(truncatingIfNeeded: n)
            let field = negative ? ~n32 : n32
            out.append(negative ? 0x00 : 0xFF)
            for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: field >> UInt32(s))) }
        }
    }

    static func decodeVarint(_ r: inout Reader, _ out: inout [UInt8]) throws {
        let at = r.offset
        let h = try r.byte(.varint)
        let negative: Bool
        let n: Int
        switch h {
        case 0x00:
            negative = true
            n = Int(~(try r.uint32(.varint)))
        case 0xFF:
            negative = false
            n = Int(try r.uint32(.varint))
        case 0x01...0x7E:
            negative = true
            n = 0x7F - Int(h)
        case 0x81...0xFE:
            negative = false
            n = Int(h) - 0x80
        default:
            throw r.malformed(.varint, "bad header 0x\(String(format2: h))", at: at)
        }
        if (h == 0x00 || h == 0xFF) && n < 0x7F { throw r.malformed(.varint, "long header for short length \(n)", at: at) }
        let start = out.count
        try r.copy(n, into: &out, .varint)
        let value = out[start...]
        guard (value.first! >= 0x80) == negative else { throw r.malformed(.varint, "sign does not match header", at: at) }
        if value.count >= 2 {
            let b0 = value[start], b1 = value[start + 1]
            if (b0 == 0x00 && b1 < 0x80) || (b0 == 0xFF && b1 >= 0x80) {
                throw r.malformed(.varint, "not minimal two's complement", at: at)
            }
        }
    }

    // MARK: decimal

    // A decimal is unscaled * 10^-scale. Writing its non-zero value as
    // sign * 0.D1 D2 ... Dd * 10^E with D1 != 0 and Dd != 0 (trailing zeros of the unscaled
    // value removed), numeric order is: sign, then (for positives) E, then the digit string
    // lexicographically with a shorter string first; for negatives all of that reversed.
    //
    //     0x01 | ~E' (8 bytes) | (100 - pair) per digit pair | 0xFF | scale'   negative
    //     0x02 |                                                     scale'   zero
    //     0x03 |  E' (8 bytes) | (pair + 1) per digit pair   | 0x00 | scale'   positive
    //
    // E' is E as Int64 with the sign bit flipped; pairs are two decimal digits (0...99, an
    // odd last digit padded with 0, which cannot be confused with a real pair because the
    // last digit is non-zero); the terminator sorts below (positive) or above (negative)
    // every pair byte, so a digit string that is a prefix of another sorts as the smaller
    // magnitude. Numerically equal values with different scales (1.0 vs 1.00) must stay
    // distinct to be invertible: they tie on everything before scale', so the last field,
    // the scale as an int32 with its sign bit flipped, orders them by ascending scale
    // (1.0 < 1.00, for negative values too). Cassandra considers them equal; we only break
    // the tie.

    static let decimalNegative: UInt8 = 0x01
    static let decimalZero: UInt8 = 0x02
    static let decimalPositive: UInt8 = 0x03
    /// Refuse to rebuild absurd powers of ten from corrupt exponents.
    static let maxDecimalTrailingZeros = 10_000_000

    static func encodeDecimal(_ v: UnsafeRawBufferPointer, _ out: inout [UInt8]) throws {
        if let p = CQLType.decimal.problem(v) { throw CQLTypeError(.invalidValue, "invalid decimal value: \(p)") }
        let scale = Int32(bitPattern: CQLSerialized.loadUInt32(v, 0))
        let (negative, mag) = BigMagnitude.fromTwosComplement(UnsafeRawBufferPointer(rebasing: v[4...]))
        if mag.isZero {
            out.append(decimalZero)
        } else {
            var digits = mag.decimalDigits()
            var trailing = 0
            while digits.last == 0 { digits.removeLast(); trailing += 1 }
            let exponent = Int64(digits.count) + Int64(trailing) - Int64(scale)
            out.append(negative ? decimalNegative : decimalPositive)
            let e = UInt64(bitPattern: negative ? -exponent : exponent) ^ (1 << 63)
            CQLSerialized.appendUInt64(e, to: &out)
            var i = 0
            while i < digits.count {
                let pair = digits[i] * 10 + (i + 1 < digits.count ? digits[i + 1] : 0)
                out.append(negative ? 100 - pair : pair + 1)
                i += 2
            }
            out.append(negative ? 0xFF : 0x00)
        }
        let s = UInt32(bitPattern: scale) ^ 0x8000_0000
        for k in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: s >> UInt32(k))) }
    }

    static func decodeDecimal(_ r: inout Reader, _ out: inout [UInt8]) throws {
        let at = r.offset
        let sign = try r.byte(.decimal)
        var unscaled: [UInt8]
        var exponent: Int64 = 0
        var digits: [UInt8] = []
        switch sign {
        case decimalZero:
            unscaled = [0x00]
        case decimalNegative, decimalPositive:
            let negative = sign == decimalNegative
            let e = Int64(bitPattern: try r.uint64(.decimal) ^ (1 << 63))
            guard e != Int64.min else { throw r.malformed(.decimal, "exponent out of range", at: at) }
            exponent = negative ? -e : e
            while true {
                let b = try r.byte(.decimal)
                if b == (negative ? 0xFF : 0x00) { break }
                guard b >= 1 && b <= 100 else { throw r.malformed(.decimal, "bad digit byte 0x\(String(format2: b))", at: r.offset - 1) }
                let pair = negative ? 100 - b : b - 1
                digits.append(pair / 10)
                digits.append(pair % 10)
            }
            if digits.last == 0 { digits.removeLast() }
            guard let first = digits.first, first != 0, digits.last != 0 else {
                throw r.malformed(.decimal, "digits are not normalized", at: at)
            }
            unscaled = []  // rebuilt below once the scale is known
        default:
            throw r.malformed(.decimal, "bad sign byte 0x\(String(format2: sign))", at: at)
        }
        let scale = Int32(bitPattern: try r.uint32(.decimal) ^ 0x8000_0000)
        if sign != decimalZero {
            // unscaled = digits * 10^trailing, with exponent = digits + trailing - scale.
            let trailing = exponent - Int64(digits.count) + Int64(scale)
            guard trailing >= 0, trailing <= Int64(maxDecimalTrailingZeros) else {
                throw r.malformed(.decimal, "exponent \(exponent) does not fit scale \(scale)", at: at)
            }
            digits.append(contentsOf: repeatElement(0, count: Int(trailing)))
            unscaled = BigMagnitude(decimalDigits: digits).twosComplement(negative: sign == decimalNegative)
        }
        CQLSerialized.appendInt32(scale, to: &out)
        out.append(contentsOf: unscaled)
    }
}
