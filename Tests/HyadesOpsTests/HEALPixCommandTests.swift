import Foundation
import HyadesLoader
import Testing

/// `hyades healpix cone|pixel`: the partition keys of a cone search.
@Suite struct HEALPixCommandTests {
    static func cone(ra: Double, dec: Double, radius: Double, level: Int) throws -> Set<Int64> {
        let r = try Ops.hyades(["healpix", "cone", "--ra=\(ra)", "--dec=\(dec)", "--radius=\(radius)", "--level=\(level)"])
        #expect(r.status == 0, "\(r.err)")
        return Set(r.out.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }).compactMap { Int64($0) })
    }

    @Test func everyPointInsideTheConeIsInOneOfItsPixels() throws {
        for (ra, dec, radius, level) in [(56.75, 24.12, 2.0, 5), (10.0, -30.0, 0.3, 9), (200.0, 88.5, 4.0, 4), (359.5, -70.0, 1.0, 7)] {
            let pixels = try Self.cone(ra: ra, dec: dec, radius: radius, level: level)
            #expect(!pixels.isEmpty)
            // Random points uniformly inside the cap: their pixels must all be listed.
            var rng = SystemRandomNumberGenerator()
            let d2r = Double.pi / 180
            for _ in 0..<20_000 {
                let cosR = cos(radius * d2r)
                let c = acos(1 - Double.random(in: 0...1, using: &rng) * (1 - cosR))
                let bearing = Double.random(in: 0..<(2 * Double.pi), using: &rng)
                let d0 = dec * d2r
                let lat = asin(sin(d0) * cos(c) + cos(d0) * sin(c) * cos(bearing))
                let lon = ra * d2r + atan2(sin(bearing) * sin(c) * cos(d0), cos(c) - sin(d0) * sin(lat))
                let p = HEALPix.nestedPixel(level: level, raDegrees: lon / d2r, decDegrees: lat / d2r)
                #expect(pixels.contains(p), "(\(lon / d2r), \(lat / d2r)) in pixel \(p), not listed for cone \(ra),\(dec),\(radius)")
                if !pixels.contains(p) { break }
            }
            // Inclusive but not wasteful: about the cone's area in pixels, plus a rim.
            let capArea = 2 * Double.pi * (1 - cos(radius * d2r))
            let pixelArea = 4 * Double.pi / Double(HEALPix.pixelCount(level: level))
            #expect(Double(pixels.count) < 4 * capArea / pixelArea + 40)
        }
    }

    @Test func pixelOfAPositionAndOfASourceID() throws {
        // Alcyone in the Gaia DR3 sample: its source_id and its position give patch 118.
        let byID = try Ops.hyades(["healpix", "pixel", "--source-id", "66714384142368256", "--level", "5"])
        let byPosition = try Ops.hyades(["healpix", "pixel", "--ra", "56.871250847256", "--dec", "24.104934475225"])
        #expect(byID.out == "118\n")
        #expect(byPosition.out == "118\n")
        let bad = try Ops.hyades(["healpix", "cone", "--ra", "1", "--dec", "1", "--radius", "90"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("--radius must be"))
    }
}
