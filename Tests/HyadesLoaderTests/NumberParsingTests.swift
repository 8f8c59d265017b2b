#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HyadesTestSupport
import Testing
@testable import HyadesLoader

/// The loader's number parsing must give exactly what the C library gives.
@Suite struct NumberParsingTests {
    static func viaStrtod(_ s: String) -> UInt64? {
        s.withCString { p in
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(p, &end)
            return end.map { $0 - UnsafeMutablePointer(mutating: p) } == s.utf8.count ? v.bitPattern : nil
        }
    }

    static func viaStrtof(_ s: String) -> UInt32? {
        s.withCString { p in
            var end: UnsafeMutablePointer<CChar>?
            let v = strtof(p, &end)
            return end.map { $0 - UnsafeMutablePointer(mutating: p) } == s.utf8.count ? v.bitPattern : nil
        }
    }

    static func ours(_ s: String) -> UInt64? {
        var a = Array(s.utf8)
        if a.isEmpty { a = [0]; return nil }
        return a.withUnsafeBufferPointer { FastNumberParser.parseDouble($0.baseAddress!, s.utf8.count)?.bitPattern }
    }

    static func oursFloat(_ s: String) -> UInt32? {
        let a = Array(s.utf8)
        if a.isEmpty { return nil }
        return a.withUnsafeBufferPointer { FastNumberParser.parseFloat($0.baseAddress!, a.count)?.bitPattern }
    }

    /// The parser as the loader calls it: the field followed by more bytes it may load
    /// (digits, the worst case: they must not be taken for the field's).
    static func oursReadingAhead(_ s: String) -> (UInt64?, UInt32?) {
        let a = Array(s.utf8) + Array("9876543210987654".utf8)
        let n = s.utf8.count
        return a.withUnsafeBufferPointer { b in
            (FastNumberParser.parseDouble(b.baseAddress!, n, readable: b.count)?.bitPattern,
             FastNumberParser.parseFloat(b.baseAddress!, n, readable: b.count)?.bitPattern)
        }
    }

    static func check(_ s: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = viaStrtod(s)
        let ahead = oursReadingAhead(s)
        let nanBits = { (b: UInt64?) in b.map { Double(bitPattern: $0).isNaN } ?? false }
        let nanFloatBits = { (b: UInt32?) in b.map { Float(bitPattern: $0).isNaN } ?? false }
        #expect(ahead.0 == expected || (nanBits(ahead.0) && nanBits(expected)), "\(s) (reading ahead)", sourceLocation: sourceLocation)
        let expectedFloat = viaStrtof(s)
        #expect(ahead.1 == expectedFloat || (nanFloatBits(ahead.1) && nanFloatBits(expectedFloat)), "\(s) (float, reading ahead)",
                sourceLocation: sourceLocation)
        let got = ours(s)
        if let e = expected, Double(bitPattern: e).isNaN {
            #expect(got.map { Double(bitPattern: $0).isNaN } == true, "\(s)", sourceLocation: sourceLocation)
        } else {
            #expect(got == expected, "\(s): ours \(got.map { String(Double(bitPattern: $0)) } ?? "nil") strtod \(expected.map { String(Double(bitPattern: $0)) } ?? "nil")",
                    sourceLocation: sourceLocation)
        }
        let ef = viaStrtof(s)
        let gf = oursFloat(s)
        if let e = ef, Float(bitPattern: e).isNaN {
            #expect(gf.map { Float(bitPattern: $0).isNaN } == true, "\(s) (float)", sourceLocation: sourceLocation)
        } else {
            #expect(gf == ef, "\(s) (float): ours \(gf.map { String(Float(bitPattern: $0)) } ?? "nil") strtof \(ef.map { String(Float(bitPattern: $0)) } ?? "nil")",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func trickyInputsMatchStrtod() {
        let tricky = [
            "0", "-0", "0.0", "1", "-1", "1.5", "0.1", "0.2", "0.3", "123456789012345678", "9007199254740993",
            "9007199254740992", "9007199254740991", "1e22", "1e23", "1e-22", "1e-23", "1.7976931348623157e308",
            "1.7976931348623159e308", "1.8e308", "4.9406564584124654e-324", "2.2250738585072011e-308",
            "2.2250738585072014e-308", "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "1e400",
            "0.000000000000000000000000000000000000000000001", "3.141592653589793238462643383279502884197",
            "2.718281828459045235360287471352662497757", "123456789012345678901234567890",
            "0.1234567890123456789012345678901234567890", "7.038531e-26", "1.00000005960464477550", "1.0000000596046448",
            "3.4028235e38", "3.4028236e38", "1.17549435e-38", "1.4e-45", "7e-46", "16777217", "16777216.0", "0.5", "+1.5",
            "1E5", "1e+5", "1e-5", ".5", "5.", "00001.25", "NaN", "nan", "-inf", "Infinity", "-Infinity",
            "193.50817846782095", "55.959784778923755", "-46.96161734131188", "1.731607", "2.4691198",
            "9007199254740993.0000000000000000001", "2.2250738585072012e-308", "1.9156918820264798e-56",
            "6.6564021122018745e+112", "4.91e-6", "4.91e-7", "5.45e-22", "1.7976931348623157e+308",
            "0.0000000000000000000000000000000000000000000000000000000000000000000000001",
            "89255.0e-22", "8.988465674311579e+307", "1e-45", "3e-45", "5e-324", "1e-324",
        ]
        for s in tricky { Self.check(s) }
    }

    @Test func eightFractionDigitsAtATimeMatchStrtod() {
        // Windows of eight fraction digits: all digits, a digit count crossing 19, leading
        // zeros (not significant: no window until the first non-zero digit), and windows
        // that meet an exponent, a sign or a stray byte.
        let inputs = [
            "1.23456789", "1.234567891", "1.2345678912345678", "12.345678912345678", "123.45678912345678912",
            "1.2345678901234567890123", "9.99999999999999999999", "0.12345678", "0.000000001234567891",
            "0.00000000000000001234567890123", "1.12345678e10", "1.1234567e-10", "1.123456789012e+5",
            "-0.123456789012345", "1.1234567a", "1.12345678a", "1.1234567.8", "1.12345678-1", "1.1234567 ",
            "5.00000000000000000001", "5.000000000000000000000001", "1.00000000", "100000000.00000000",
        ]
        for s in inputs { Self.check(s) }
    }

    @Test func rejectsWhatIsNotANumber() {
        for s in ["", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "0x10", "abc", "1d", "--1", "nanx"] {
            #expect(Self.ours(s) == nil, "\(s)")
            #expect(Self.oursFloat(s) == nil, "\(s)")
        }
    }

    @Test func randomDoublesMatchStrtod() {
        var rng = SplitMix(seed: 20261124)
        for _ in 0..<60_000 {
            let bits = rng.next()
            let d = Double(bitPattern: bits)
            if d.isNaN || d.isInfinite { continue }
            let digits = Int(rng.next() % 20) + 1
            Self.check(String(format: "%.\(digits)g", d))
            Self.check("\(d)")
        }
    }

    @Test func randomDigitStringsMatchStrtod() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<60_000 {
            let intDigits = Int(rng.next() % 22)
            let fracDigits = Int(rng.next() % 22)
            var s = rng.next() % 2 == 0 ? "" : "-"
            for _ in 0..<max(intDigits, 1) { s += String(rng.next() % 10) }
            if fracDigits > 0 {
                s += "."
                for _ in 0..<fracDigits { s += String(rng.next() % 10) }
            }
            if rng.next() % 3 == 0 { s += "e" + String(Int(rng.next() % 700) - 350) }
            Self.check(s)
        }
    }

    @Test func halfwayCasesMatchStrtod() {
        // Exact decimal midpoints between adjacent doubles (integers above 2^53, where
        // the midpoint is an integer): exactly where rounding must be right, ties to even.
        var rng = SplitMix(seed: 99)
        for _ in 0..<20_000 {
            let u = rng.next() | (1 << 53)
            let d = Double(u)
            guard d < 18446744073709549568.0 else { continue }
            let low = UInt64(d)
            let ulp = UInt64(d.nextUp) - low
            let mid = low + ulp / 2
            Self.check(String(mid))
            Self.check(String(mid - 1))
            Self.check(String(mid + 1))
            Self.check(String(mid) + ".0000000000000000000001")
            Self.check(String(format: "%.17e", Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)))
        }
    }

    @Test func integersParseWithOverflowChecks() {
        func p(_ s: String) -> Int64? {
            let a = Array(s.utf8)
            let exact = a.isEmpty ? nil : a.withUnsafeBufferPointer { FastNumberParser.parseInt64($0.baseAddress!, a.count) }
            // Reading ahead (8 bytes at a time past the field, into digits) gives the same.
            let b = a + Array("1234567890123456".utf8)
            let ahead = b.withUnsafeBufferPointer { FastNumberParser.parseInt64($0.baseAddress!, a.count, readable: b.count) }
            #expect(ahead == exact, "\(s) reading ahead")
            return exact
        }
        #expect(p("0") == 0)
        #expect(p("-42") == -42)
        #expect(p("+42") == 42)
        #expect(p("9223372036854775807") == Int64.max)
        #expect(p("-9223372036854775808") == Int64.min)
        #expect(p("9223372036854775808") == nil)
        #expect(p("-9223372036854775809") == nil)
        #expect(p("99999999999999999999") == nil)
        #expect(p("1576683529448755328") == 1576683529448755328)
        #expect(p("12a") == nil)
        #expect(p("-") == nil)
        #expect(p("1.0") == nil)
        #expect(p("") == nil)
        #expect(p("+") == nil)
        #expect(p("0000000000000000000000042") == 42)
        #expect(p("-0000000000000000000009223372036854775808") == Int64.min)
        #expect(p("12345678") == 12345678)
        #expect(p("123456789") == 123456789)
        #expect(p("1234567890123456") == 1234567890123456)
        #expect(p("1234567812345678123") == 1234567812345678123)
    }

    /// Random integers of 0 to 24 digits (leading zeros, signs, a stray byte), parsed in
    /// place with bytes after them, against Swift's own `Int64(_:)`.
    @Test func randomIntegersReadingAheadMatchInt64() {
        var rng = SplitMix(seed: 424242)
        for _ in 0..<40_000 {
            var s = ["", "-", "+"][Int(rng.next() % 3)]
            let digits = Int(rng.next() % 25)
            let zeros = rng.next() % 4 == 0 ? Int(rng.next() % 6) : 0
            s += String(repeating: "0", count: min(zeros, digits))
            for _ in 0..<max(digits - zeros, 0) { s += String(rng.next() % 10) }
            if rng.next() % 10 == 0 { let at = s.index(s.startIndex, offsetBy: Int(rng.next() % UInt64(s.count + 1))); s.insert("x", at: at) }
            let expected = Int64(s)
            let a = Array(s.utf8) + Array("7777777777777777".utf8)
            let got = a.withUnsafeBufferPointer { FastNumberParser.parseInt64($0.baseAddress!, s.utf8.count, readable: a.count) }
            #expect(got == expected, "\(s)")
        }
    }

    /// Floats decided through a correctly rounded double: text whose nearest double is a
    /// float midpoint (or a neighbour of one) must still give strtof's float.
    @Test func floatMidpointsThroughDoublesMatchStrtof() {
        var rng = SplitMix(seed: 31337)
        for _ in 0..<20_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF)
            guard f.isNormal, f.nextUp.isFinite else { continue }
            let m = (Double(f) + Double(f.nextUp)) / 2
            for x in [m, m.nextUp, m.nextDown] {
                for format in ["%.17g", "%.16g", "%.9g", "%.8g"] { Self.check(String(format: format, x)) }
            }
        }
    }
}
