#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Deterministic DR3-like rows for scale tests and benchmarks, one CSV line at a time.
///
/// Row `i` depends only on (seed, i): any range of rows can be produced independently, in
/// any order or in parallel, and the same seed always gives the same bytes. Positions
/// follow a crude Milky Way (40% isotropic, 60% a thin disc concentrated toward the
/// Galactic centre); `source_id` = level-12 nested HEALPix pixel of (ra, dec) << 35 |
/// the row number, so it is unique and `source_id >> 49` is the row's level-5 sky patch,
/// as in Gaia. Nulls where Gaia has them: about a fifth of the sources (mostly faint ones)
/// have a 2-parameter solution (no parallax, proper motion, ruwe), a few per cent no
/// BP/RP photometry (so no bp_rp), about 98% no radial velocity, about 70% no teff_gspphot.
public struct DR3RowGenerator: Sendable {
    public let seed: UInt64
    @usableFromInline let seedHash: UInt64

    /// Bytes a row never exceeds (20 fields; the widest is ~230 bytes).
    public static let maxRowBytes = 512

    public init(seed: UInt64) {
        self.seed = seed
        var mixer = SplitMix64(state: seed)
        seedHash = mixer.next()
    }

    /// The CSV header line with its newline.
    public static var headerLine: [UInt8] { Array((DR3Columns.header + "\n").utf8) }

    /// Writes row `index` as one CSV line ending in "\n" at `out` (which has at least
    /// `maxRowBytes` free) and returns the number of bytes written.
    @inlinable
    public func writeRow(_ index: UInt64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        // 64 draws reserved per row on one SplitMix64 sequence: rows never share draws.
        var rng = SplitMix64(state: seedHash &+ (index << 6) &* SplitMix64.gamma)
        let comma = UInt8(ascii: ",")

        // --- Position: isotropic halo or a disc around the Galactic plane.
        let z: Double, phi: Double
        if rng.uniform() < 0.4 {
            z = 2 * rng.uniform() - 1
            phi = 2 * Double.pi * rng.uniform()
        } else {
            // Galactic longitude concentrated toward l = 0, latitude Laplace(0, 5 deg).
            let (n1, _) = rng.normalPair()
            let l = n1 * 1.2
            let u = rng.uniform() - 0.5
            let b = (u < 0 ? 1.0 : -1.0) * 0.0873 * log(1 - 2 * abs(u) + 1e-300)
            let bc = max(-Double.pi / 2, min(Double.pi / 2, b))
            let gx = cos(bc) * cos(l), gy = cos(bc) * sin(l), gz = sin(bc)
            // ICRS = A_G^T * galactic (Hipparcos / Gaia definition of the Galactic frame).
            let x = -0.0548755604162154 * gx + 0.4941094278755837 * gy - 0.8676661490190047 * gz
            let y = -0.8734370902348850 * gx - 0.4448296299600112 * gy - 0.1980763734312015 * gz
            let zz = -0.4838350155487132 * gx + 0.7469822444972189 * gy + 0.4559837761750669 * gz
            var p = atan2(y, x)
            if p < 0 { p += 2 * Double.pi }
            z = max(-1, min(1, zz))
            phi = p
        }
        let sinTheta = (1 - z * z).squareRoot()
        let pixel = HEALPix.nestedPixel(level: 12, z: z, phi: phi, sinTheta: sinTheta)
        let sourceID = pixel << 35 | Int64(truncatingIfNeeded: index & 0x7_FFFF_FFFF)
        var ra = phi * (180 / Double.pi)
        if ra >= 360 { ra -= 360 }
        let dec = atan2(z, sinTheta) * (180 / Double.pi)

        // --- Photometry: counts rise steeply toward the faint limit, like Gaia's G.
        let g = max(3.0, 21.0 + 1.24 * log(rng.uniform() + 1e-12))
        let (nColour, nRuwe) = rng.normalPair()
        let colour = max(-0.6, min(5.5, 1.15 + 0.55 * nColour))
        let hasBPRP = rng.uniform() >= (g > 20 ? 0.2 : 0.02)
        let twoParameter = rng.uniform() < (g > 20 ? 0.4 : 0.03)
        let hasRV = g < 15.5 && rng.uniform() < 0.92
        let hasTeff = hasBPRP && g < 19.5 && rng.uniform() < 0.9
        let isVariable = rng.uniform() < 0.01

        // --- Astrometry: uncertainties grow with magnitude.
        let sigma = max(0.008, 0.02 * exp(0.5066 * (g - 15)))   // 0.02 * 10^(0.22 (G - 15))
        let (nPlx, nDist) = rng.normalPair()
        let (nPmra, nPmdec) = rng.normalPair()
        let trueParallax = 0.15 + 0.6 * abs(nDist) * abs(nDist)
        let parallax = trueParallax + 1.2 * sigma * nPlx
        let tangential = 4.74 * trueParallax
        let pmra = nPmra * (2 + 6 * tangential / 4.74) - 2.5
        let pmdec = nPmdec * (2 + 6 * tangential / 4.74) - 3.5
        let ruwe = rng.uniform() < 0.06 ? 1.4 + 4 * rng.uniform() : 0.85 + 0.12 * abs(nRuwe) + 0.1 * rng.uniform()

        var at = ASCIIFormat.integer(sourceID, out, 0)
        out[at] = comma; at += 1
        at = ASCIIFormat.fixed(ra, decimals: 11, out, at)
        out[at] = comma; at += 1
        at = ASCIIFormat.fixed(sigma * (twoParameter ? 8 : 0.85), decimals: 5, out, at)
        out[at] = comma; at += 1
        at = ASCIIFormat.fixed(dec, decimals: 11, out, at)
        out[at] = comma; at += 1
        at = ASCIIFormat.fixed(sigma * (twoParameter ? 7 : 0.78), decimals: 5, out, at)
        out[at] = comma; at += 1
        if !twoParameter {
            at = ASCIIFormat.fixed(parallax, decimals: 6, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(sigma * 1.2, decimals: 5, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(pmra, decimals: 6, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(sigma * 1.3, decimals: 5, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(pmdec, decimals: 6, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(sigma * 1.15, decimals: 5, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(ruwe, decimals: 4, out, at)
            out[at] = comma; at += 1
        } else {
            for _ in 0..<7 { out[at] = comma; at += 1 }
        }
        at = ASCIIFormat.fixed(g, decimals: 6, out, at)
        out[at] = comma; at += 1
        if hasBPRP {
            let bp = g + 0.25 + 0.45 * colour
            let rp = bp - colour
            at = ASCIIFormat.fixed(bp, decimals: 6, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(rp, decimals: 6, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(colour, decimals: 6, out, at)
            out[at] = comma; at += 1
        } else {
            for _ in 0..<3 { out[at] = comma; at += 1 }
        }
        if hasRV {
            at = ASCIIFormat.fixed(35 * nPlx - 5 + 20 * nDist, decimals: 3, out, at)
            out[at] = comma; at += 1
            at = ASCIIFormat.fixed(0.15 + 0.4 * exp(0.7 * (g - 13)), decimals: 3, out, at)
            out[at] = comma; at += 1
        } else {
            out[at] = comma; out[at + 1] = comma; at += 2
        }
        if hasTeff {
            at = ASCIIFormat.fixed(max(2500, 9500 / (0.55 + 1.0 * max(colour, 0)) + 150 * nRuwe), decimals: 2, out, at)
        }
        out[at] = comma; at += 1
        at = isVariable ? ASCIIFormat.bytes("VARIABLE", out, at) : ASCIIFormat.bytes("NOT_AVAILABLE", out, at)
        out[at] = UInt8(ascii: "\n")
        return at + 1
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a fast, well-mixed, seekable sequence.
@usableFromInline
struct SplitMix64 {
    @usableFromInline static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    @usableFromInline var state: UInt64

    @inlinable init(state: UInt64) { self.state = state }

    @inlinable @inline(__always)
    mutating func next() -> UInt64 {
        state &+= Self.gamma
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inlinable @inline(__always)
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Two independent standard normal deviates (Box-Muller).
    @inlinable @inline(__always)
    mutating func normalPair() -> (Double, Double) {
        let u1 = 1 - uniform()   // (0, 1]: log stays finite
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let a = 2 * Double.pi * u2
        return (r * cos(a), r * sin(a))
    }
}
