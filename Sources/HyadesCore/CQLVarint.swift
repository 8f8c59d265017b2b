/// Arbitrary-precision conversions for `varint` and `decimal` (minimal big-endian two's
/// complement <-> decimal digits). Small and schoolbook on purpose: key encoding and value
/// printing only ever convert one value at a time, and Core depends on no bignum package.
public enum CQLVarint {
    /// The decimal text of a varint (`-123`), or nil if `bytes` is empty.
    public static func decimalString(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { decimalString($0) }
    }

    static func decimalString(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard !bytes.isEmpty else { return nil }
        let (negative, mag) = BigMagnitude.fromTwosComplement(bytes)
        let digits = mag.decimalDigits()
        var s = negative ? "-" : ""
        s.unicodeScalars.append(contentsOf: digits.map { Unicode.Scalar(0x30 + $0) })
        return s
    }

    /// Minimal two's complement bytes of decimal text (`-?[0-9]+`), or nil if not an integer.
    public static func bytes(fromDecimal text: String) -> [UInt8]? {
        var scalars = Substring(text).unicodeScalars[...]
        var negative = false
        if let f = scalars.first, f == "-" || f == "+" { negative = f == "-"; scalars = scalars.dropFirst() }
        guard !scalars.isEmpty else { return nil }
        var digits: [UInt8] = []
        digits.reserveCapacity(scalars.count)
        for c in scalars {
            guard ("0"..."9").contains(c) else { return nil }
            digits.append(UInt8(c.value - 0x30))
        }
        return BigMagnitude(decimalDigits: digits).twosComplement(negative: negative)
    }
}

/// A non-negative integer as little-endian 32-bit limbs, no leading zero limbs (0 = []).
struct BigMagnitude: Equatable {
    var limbs: [UInt32]

    init(limbs: [UInt32]) {
        self.limbs = limbs
        normalize()
    }

    var isZero: Bool { limbs.isEmpty }

    mutating func normalize() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    /// Sign and magnitude of a big-endian two's complement value.
    static func fromTwosComplement(_ bytes: UnsafeRawBufferPointer) -> (negative: Bool, BigMagnitude) {
        guard let first = bytes.first else { return (false, BigMagnitude(limbs: [])) }
        let negative = first >= 0x80
        var be = [UInt8](bytes)
        if negative {
            // Magnitude = ~x + 1.
            for i in be.indices { be[i] = ~be[i] }
            var i = be.count - 1
            while i >= 0 {
                let (s, o) = be[i].addingReportingOverflow(1)
                be[i] = s
                if !o { break }
                i -= 1
            }
        }
        return (negative, fromBigEndian(be))
    }

    static func fromBigEndian(_ be: [UInt8]) -> BigMagnitude {
        var limbs = [UInt32](repeating: 0, count: (be.count + 3) / 4)
        for (k, b) in be.reversed().enumerated() {
            limbs[k / 4] |= UInt32(b) << (8 * UInt32(k % 4))
        }
        return BigMagnitude(limbs: limbs)
    }

    /// Big-endian bytes without leading zeros ([] for zero).
    func bigEndian() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(limbs.count * 4)
        for limb in limbs.reversed() {
            for s in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: limb >> UInt32(s))) }
        }
        let firstNonZero = out.firstIndex(where: { $0 != 0 }) ?? out.count
        return Array(out[firstNonZero...])
    }

    /// Minimal two's complement of +/- self.
    func twosComplement(negative: Bool) -> [UInt8] {
        var be = bigEndian()
        if be.isEmpty { return [0x00] }
        if !negative {
            if be[0] >= 0x80 { be.insert(0x00, at: 0) }
            return be
        }
        // -m: invert (m - 1). Minimal: need the top bit set after inversion.
        var i = be.count - 1
        while i >= 0 {
            if be[i] > 0 { be[i] -= 1; break }
            be[i] = 0xFF
            i -= 1
        }
        for k in be.indices { be[k] = ~be[k] }
        // m - 1 may have lost a byte (e.g. m = 256): re-extend or trim to minimal.
        if be[0] < 0x80 { be.insert(0xFF, at: 0) }
        while be.count >= 2 && be[0] == 0xFF && be[1] >= 0x80 { be.removeFirst() }
        return be
    }

    /// self = self * m + a.
    mutating func multiplyAdd(_ m: UInt32, _ a: UInt32) {
        var carry = UInt64(a)
        for i in limbs.indices {
            let p = UInt64(limbs[i]) * UInt64(m) + carry
            limbs[i] = UInt32(truncatingIfNeeded: p)
            carry = p >> 32
        }
        if carry > 0 { limbs.append(UInt32(carry)) }
    }

    /// self = self / d, returning the remainder.
    mutating func divide(by d: UInt32) -> UInt32 {
        var rem: UInt64 = 0
        for i in stride(from: limbs.count - 1, through: 0, by: -1) {
            let cur = rem << 32 | UInt64(limbs[i])
            limbs[i] = UInt32(cur / UInt64(d))
            rem = cur % UInt64(d)
        }
        normalize()
        return UInt32(rem)
    }

    init(decimalDigits digits: [UInt8]) {
        var m = BigMagnitude(limbs: [])
        var i = 0
        while i < digits.count {
            let chunk = min(9, digits.count - i)
            var v: UInt32 = 0
            var scale: UInt32 = 1
            for k in 0..<chunk { v = v * 10 + UInt32(digits[i + k]); scale *= 10 }
            m.multiplyAdd(scale, v)
            i += chunk
        }
        self = m
    }

    /// Decimal digits, most significant first ([0] for zero).
    func decimalDigits() -> [UInt8] {
        if isZero { return [0] }
        var m = self
        var chunks: [UInt32] = []
        while !m.isZero { chunks.append(m.divide(by: 1_000_000_000)) }
        var out: [UInt8] = []
        out.reserveCapacity(chunks.count * 9)
        for (idx, chunk) in chunks.reversed().enumerated() {
            var d = [UInt8](repeating: 0, count: 9)
            var c = chunk
            for k in stride(from: 8, through: 0, by: -1) { d[k] = UInt8(c % 10); c /= 10 }
            if idx == 0 {
                let first = d.firstIndex(where: { $0 != 0 }) ?? 8
                out.append(contentsOf: d[first...])
            } else {
                out.append(contentsOf: d)
            }
        }
        return out
    }
}
