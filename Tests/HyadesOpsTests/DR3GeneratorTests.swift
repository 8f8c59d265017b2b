import Foundation
import HyadesLoader
import Testing

/// The DR3-like generator: what a benchmark or scale test relies on.
@Suite struct DR3GeneratorTests {
    /// Rows `range` of `seed` as text lines (no header).
    static func lines(seed: UInt64, _ range: Range<UInt64>) -> [Substring] {
        let generator = DR3RowGenerator(seed: seed)
        var text = [UInt8]()
        text.reserveCapacity(range.count * 240)
        let row = UnsafeMutablePointer<UInt8>.allocate(capacity: DR3RowGenerator.maxRowBytes)
        defer { row.deallocate() }
        for i in range {
            let n = generator.writeRow(i, to: row)
            text.append(contentsOf: UnsafeBufferPointer(start: row, count: n))
        }
        return String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }

    static func fields(_ line: Substring) -> [Substring] { line.split(separator: ",", omittingEmptySubsequences: false) }

    @Test func sameSeedSameRowsAnyRangeIndependently() {
        let whole = Self.lines(seed: 7, 0..<2000)
        #expect(whole == Self.lines(seed: 7, 0..<2000))
        // Rows depend only on (seed, row number): a later range equals the same rows of a longer run.
        #expect(Array(whole[1500..<2000]) == Self.lines(seed: 7, 1500..<2000))
        let other = Self.lines(seed: 8, 0..<2000)
        #expect(zip(whole, other).filter { $0 == $1 }.count == 0)
    }

    @Test func everyRowHasTheHeadersColumnsAndRequiredValues() {
        let names = DR3Columns.all.map(\.name)
        #expect(names.count == 20)
        #expect(String(decoding: DR3RowGenerator.headerLine, as: UTF8.self) == names.joined(separator: ",") + "\n")
        for line in Self.lines(seed: 1, 0..<20_000) {
            let f = Self.fields(line)
            #expect(f.count == 20, "\(line)")
            for (value, column) in zip(f, DR3Columns.all) where !column.nullable {
                #expect(!value.isEmpty, "\(column.name) empty in \(line)")
            }
            #expect(Double(f[1])! >= 0 && Double(f[1])! < 360)
            #expect(Double(f[3])! >= -90 && Double(f[3])! <= 90)
            #expect(f[19] == "NOT_AVAILABLE" || f[19] == "VARIABLE")
        }
    }

    @Test func nullsWhereGaiaHasThem() {
        let rows = Self.lines(seed: 42, 0..<50_000).map(Self.fields)
        func nullRate(_ column: String) -> Double {
            let i = DR3Columns.all.firstIndex { $0.name == column }!
            return Double(rows.filter { $0[i].isEmpty }.count) / Double(rows.count)
        }
        // Gaia DR3: 33.8M radial velocities among 1.81G sources; 1.47G 5/6-parameter solutions.
        #expect(nullRate("radial_velocity") > 0.95 && nullRate("radial_velocity") < 0.999)
        #expect(nullRate("radial_velocity_error") == nullRate("radial_velocity"))
        #expect(nullRate("parallax") > 0.1 && nullRate("parallax") < 0.35)
        #expect(nullRate("pmra") == nullRate("parallax") && nullRate("ruwe") == nullRate("parallax"))
        #expect(nullRate("bp_rp") > 0.01 && nullRate("bp_rp") < 0.2)
        #expect(nullRate("phot_bp_mean_mag") == nullRate("bp_rp"))
        #expect(nullRate("teff_gspphot") > 0.5 && nullRate("teff_gspphot") < 0.9)
        #expect(nullRate("source_id") == 0 && nullRate("phot_g_mean_mag") == 0)
        // bp_rp is null exactly when a band is missing, and is their difference otherwise.
        for r in rows.prefix(5000) where !r[15].isEmpty {
            #expect(abs(Double(r[13])! - Double(r[14])! - Double(r[15])!) < 2e-6)
        }
    }

    @Test func sourceIDsAreUniqueAndCarryThePixelOfTheirPosition() {
        var seen = Set<Int64>()
        var patches = Set<Int64>()
        for line in Self.lines(seed: 3, 0..<30_000) {
            let f = Self.fields(line)
            let id = Int64(f[0])!
            #expect(seen.insert(id).inserted)
            let pixel12 = HEALPix.pixel(sourceID: id, level: 12)
            #expect(pixel12 >= 0 && pixel12 < HEALPix.pixelCount(level: 12))
            #expect(HEALPix.nestedPixel(level: 12, raDegrees: Double(f[1])!, decDegrees: Double(f[3])!) == pixel12, "\(line)")
            patches.insert(id >> 49)
        }
        // Spread over the sky, denser in the Galactic plane: most level-5 patches hit, not all evenly.
        #expect(patches.count > 6000 && patches.count <= 12_288)
    }

    @Test func commandWritesTheSameRowsPlainOrGzip() throws {
        let dir = Ops.temporaryDirectory("generate")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = try Ops.hyades(["generate", "dr3", "--rows", "3000", "--seed", "9", "--out", dir + "/g.csv"])
        #expect(plain.status == 0, "\(plain.err)")
        #expect(plain.err.contains("3000 rows"))
        let gz = try Ops.hyades(["generate", "dr3", "--rows", "3000", "--seed", "9", "--gzip", "--out", dir + "/g.csv.gz"])
        #expect(gz.status == 0, "\(gz.err)")
        let unzipped = try Ops.run("/bin/sh", ["-c", "gzip -dc '\(dir)/g.csv.gz'"])
        let text = try String(contentsOfFile: dir + "/g.csv", encoding: .utf8)
        #expect(unzipped.out == text)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3001)
        #expect(lines[0] == Substring(DR3Columns.header))
        #expect(Array(lines.dropFirst()) == Self.lines(seed: 9, 0..<3000))
        // A fifo (or a device such as /dev/null) is written into, never replaced by a file.
        let fifo = try Ops.run("/bin/sh", ["-c", """
            cd '\(dir)' && mkfifo pipe && { timeout 60 cat pipe > copy.csv & reader=$!; } && \(Ops.hyades) generate dr3 --rows 3000 --seed 9 --out pipe \
            && wait $reader && test -p pipe && cmp copy.csv g.csv && echo same
            """])
        #expect(fifo.out.contains("same"), "\(fifo.out) \(fifo.err)")
        // No file appears when the arguments are wrong.
        let bad = try Ops.hyades(["generate", "dr3", "--rows", "40000000000", "--out", dir + "/bad.csv"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("2^35"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/bad.csv"))
    }
}
