#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HEALPix in the NESTED scheme, as Gaia uses it: a source_id carries its level-12 pixel
/// in the top bits (`source_id >> 35`), and the pixel at level L is that pixel's
/// ancestor, `source_id >> (35 + 2 * (12 - L))`. Only what the generator and its tests
/// need: position -> pixel (Górski et al. 2005, the `loc2pix` of the reference code).
public enum HEALPix {
    /// Bits of a Gaia source_id below the level-12 pixel.
    public static let sourceIDPixelShift = 35
    public static let gaiaLevel = 12

    /// Pixels on the whole sphere at `level`: 12 * 4^level.
    @inlinable
    public static func pixelCount(level: Int) -> Int64 { 12 << (2 * Int64(level)) }

    /// The level-`level` pixel encoded in a Gaia source_id (levels 0...12).
    @inlinable
    public static func pixel(sourceID: Int64, level: Int) -> Int64 {
        sourceID >> Int64(sourceIDPixelShift + 2 * (gaiaLevel - level))
    }

    /// The nested pixel containing right ascension / declination (degrees, ICRS).
    @inlinable
    public static func nestedPixel(level: Int, raDegrees: Double, decDegrees: Double) -> Int64 {
        let dec = decDegrees * (Double.pi / 180)
        return nestedPixel(level: level, z: sin(dec), phi: raDegrees * (Double.pi / 180), sinTheta: cos(dec))
    }

    /// The nested pixel of the point with z = cos(colatitude) = sin(dec), phi = ra
    /// (radians), sinTheta = cos(dec) (used near the poles, where 1 - |z| loses digits).
    @inlinable
    public static func nestedPixel(level: Int, z: Double, phi: Double, sinTheta: Double) -> Int64 {
        let nside = Int64(1) << Int64(level)
        let za = abs(z)
        var tt = (phi * (2 / Double.pi)).truncatingRemainder(dividingBy: 4)
        if tt < 0 { tt += 4 }
        let face: Int64, ix: Int64, iy: Int64
        if za <= 2.0 / 3.0 {
            // Equatorial belt: the pixel lies between two families of edge lines.
            let temp1 = Double(nside) * (0.5 + tt)
            let temp2 = Double(nside) * (z * 0.75)
            let jp = Int64(temp1 - temp2)   // ascending edge line
            let jm = Int64(temp1 + temp2)   // descending edge line
            let ifp = jp >> Int64(level), ifm = jm >> Int64(level)
            face = ifp == ifm ? (ifp | 4) : (ifp < ifm ? ifp : ifm + 8)
            ix = jm & (nside - 1)
            iy = nside - (jp & (nside - 1)) - 1
        } else {
            // Polar caps.
            let ntt = min(3, Int64(tt))
            let tp = tt - Double(ntt)
            let tmp = za < 0.99 ? Double(nside) * (3 * (1 - za)).squareRoot()
                                : Double(nside) * sinTheta / ((1 + za) / 3).squareRoot()
            let jp = min(Int64(tp * tmp), nside - 1)
            let jm = min(Int64((1 - tp) * tmp), nside - 1)
            if z > 0 {
                face = ntt; ix = nside - jm - 1; iy = nside - jp - 1
            } else {
                face = ntt + 8; ix = jp; iy = jm
            }
        }
        return face << (2 * Int64(level)) | interleave(ix, iy)
    }

    /// x bits to the even positions, y bits to the odd ones (the nested index in a face).
    @inlinable
    static func interleave(_ x: Int64, _ y: Int64) -> Int64 {
        spread(UInt64(truncatingIfNeeded: x)) | (spread(UInt64(truncatingIfNeeded: y)) << 1)
    }

    @inlinable
    static func spread(_ v: UInt64) -> Int64 {
        var x = v & 0xFFFF_FFFF
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333_3333_3333
        x = (x | (x << 1)) & 0x5555_5555_5555_5555
        return Int64(bitPattern: x)
    }
}
