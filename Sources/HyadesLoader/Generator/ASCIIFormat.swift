/// Number-to-text for the generator's hot loop: straight into a byte buffer, no String.
/// Fixed-point decimals (like the archive's CSV, every value reads back to the same
/// double/float at the printed precision).
@usableFromInline
enum ASCIIFormat {
    @usableFromInline
    static let powersOfTen: [Int64] = (0...18).map { e in (0..<e).reduce(Int64(1)) { acc, _ in acc * 10 } }

    /// Writes a non-negative integer; returns the new position.
    @inlinable @inline(__always)
    static func unsigned(_ value: UInt64, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        var v = value
        var digits = 1
        var probe = v / 10
        while probe != 0 { digits += 1; probe /= 10 }
        var i = at + digits - 1
        repeat {
            out[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
            i -= 1
        } while v != 0
        return at + digits
    }

    @inlinable @inline(__always)
    static func integer(_ value: Int64, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        if value < 0 {
            out[at] = UInt8(ascii: "-")
            return unsigned(UInt64(bitPattern: 0 &- value), out, at + 1)
        }
        return unsigned(UInt64(value), out, at)
    }

    /// `value` rounded to `decimals` (1...12) places, e.g. fixed(-0.5, 3) = "-0.500".
    @inlinable @inline(__always)
    static func fixed(_ value: Double, decimals: Int, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        let scale = powersOfTen[decimals]
        let scaled = Int64((value * Double(scale)).rounded())
        var i = at
        if scaled < 0 { out[i] = UInt8(ascii: "-"); i += 1 }
        let magnitude = scaled.magnitude
        i = unsigned(magnitude / UInt64(scale), out, i)
        out[i] = UInt8(ascii: ".")
        var fraction = magnitude % UInt64(scale)
        var j = i + decimals
        while j > i {
            out[j] = UInt8(truncatingIfNeeded: fraction % 10) &+ 48
            fraction /= 10
            j -= 1
        }
        return i + decimals + 1
    }

    @inlinable @inline(__always)
    static func bytes(_ text: StaticString, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        let n = text.utf8CodeUnitCount
        (out + at).update(from: text.utf8Start, count: n)
        return at + n
    }
}
