#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import HyadesLoader

/// `hyades healpix`: the sky-patch numbers a query on a HEALPix-partitioned table needs
/// (`WHERE healpix5 IN (...)`), without a HEALPix library.
struct HEALPixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "healpix", abstract: "HEALPix (nested) pixels for partition keys: of a position, of a source_id, of a cone.",
        subcommands: [HEALPixPixelCommand.self, HEALPixConeCommand.self])
}

struct HEALPixPixelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pixel", abstract: "The pixel of a position (--ra/--dec) or of a Gaia source_id (--source-id).")

    @Option(help: "Right ascension, degrees.") var ra: Double?
    @Option(help: "Declination, degrees.") var dec: Double?
    @Option(name: .customLong("source-id"), help: "A Gaia source_id (its top bits are the level-12 pixel).") var sourceID: Int64?
    @Option(help: "HEALPix level (order) 0...12.") var level: Int = 5

    func validate() throws {
        guard (0...12).contains(level) else { throw ValidationError("--level must be 0...12") }
        guard (sourceID != nil) != (ra != nil || dec != nil) else { throw ValidationError("give either --source-id, or --ra and --dec") }
        if sourceID == nil { guard ra != nil, dec != nil else { throw ValidationError("give both --ra and --dec") } }
        if let dec { guard (-90...90).contains(dec) else { throw ValidationError("--dec must be -90...90") } }
    }

    func run() throws {
        if let sourceID {
            print(HEALPix.pixel(sourceID: sourceID, level: level))
        } else if let ra, let dec {
            print(HEALPix.nestedPixel(level: level, raDegrees: ra, decDegrees: dec))
        }
    }
}

struct HEALPixConeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cone",
        abstract: "The pixels a cone touches, comma-separated for `WHERE healpix5 IN (...)`.",
        discussion: """
            Inclusive: every pixel that meets the cone is listed, and a few that only come \
            close may be (the rows' exact distance is for the client to check), like \
            healpy.query_disc(..., nest=True, inclusive=True).
            Example: hyades healpix cone --ra 56.75 --dec 24.12 --radius 2 --level 5
            """)

    @Option(help: "Centre right ascension, degrees.") var ra: Double
    @Option(help: "Centre declination, degrees.") var dec: Double
    @Option(help: "Radius, degrees (up to 60).") var radius: Double
    @Option(help: "HEALPix level (order) 0...12.") var level: Int = 5

    func validate() throws {
        guard (0...12).contains(level) else { throw ValidationError("--level must be 0...12") }
        guard (-90...90).contains(dec) else { throw ValidationError("--dec must be -90...90") }
        guard radius > 0, radius <= 60 else { throw ValidationError("--radius must be in (0, 60] degrees") }
    }

    func run() throws {
        let d2r = Double.pi / 180
        let pixelSize = (4 * Double.pi / Double(HEALPix.pixelCount(level: level))).squareRoot()   // radians
        // Sample the cone, grown by one step, on a grid a quarter pixel apart in the
        // tangent plane: any pixel meeting the cone holds a sample.
        let step = pixelSize / 4
        let reach = radius * d2r + step
        let extent = tan(reach)
        let n = Int((2 * extent / step).rounded(.up)) + 1
        guard n * n <= 40_000_000 else {
            throw ValidationError("that cone covers too many level-\(level) pixels; use a lower --level or a smaller --radius")
        }
        let ra0 = ra * d2r, dec0 = dec * d2r
        let sinD0 = sin(dec0), cosD0 = cos(dec0)
        var pixels = Set<Int64>()
        pixels.insert(HEALPix.nestedPixel(level: level, raDegrees: ra, decDegrees: dec))
        for i in 0..<n {
            let x = -extent + Double(i) * step
            for j in 0..<n {
                let y = -extent + Double(j) * step
                let rho = (x * x + y * y).squareRoot()
                let c = atan(rho)   // angular distance from the centre
                guard c <= reach, rho > 0 else { continue }
                // Inverse gnomonic projection.
                let sinC = sin(c), cosC = cos(c)
                let z = cosC * sinD0 + y * sinC * cosD0 / rho
                let phi = ra0 + atan2(x * sinC, rho * cosD0 * cosC - y * sinD0 * sinC)
                let clampedZ = max(-1, min(1, z))
                pixels.insert(HEALPix.nestedPixel(level: level, z: clampedZ, phi: phi,
                                                  sinTheta: (1 - clampedZ * clampedZ).squareRoot()))
            }
        }
        print(pixels.sorted().map(String.init).joined(separator: ", "))
    }
}
