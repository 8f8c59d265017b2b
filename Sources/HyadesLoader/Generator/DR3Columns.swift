/// The columns of generated DR3-like rows: a subset of the Gaia DR3 `gaia_source` table
/// with the archive's names, units and CQL types (double where the archive has double,
/// float where it has float, text for flags).
public enum DR3Columns {
    public struct Column: Sendable, Equatable {
        public var name: String
        public var cqlType: String
        /// Nullable in Gaia DR3 (empty field in the archive's CSV).
        public var nullable: Bool
    }

    public static let all: [Column] = [
        Column(name: "source_id", cqlType: "bigint", nullable: false),
        Column(name: "ra", cqlType: "double", nullable: false),             // deg, ICRS, epoch 2016.0
        Column(name: "ra_error", cqlType: "float", nullable: false),        // mas
        Column(name: "dec", cqlType: "double", nullable: false),            // deg
        Column(name: "dec_error", cqlType: "float", nullable: false),       // mas
        Column(name: "parallax", cqlType: "double", nullable: true),        // mas; null for 2-parameter solutions
        Column(name: "parallax_error", cqlType: "float", nullable: true),
        Column(name: "pmra", cqlType: "double", nullable: true),            // mas/yr
        Column(name: "pmra_error", cqlType: "float", nullable: true),
        Column(name: "pmdec", cqlType: "double", nullable: true),           // mas/yr
        Column(name: "pmdec_error", cqlType: "float", nullable: true),
        Column(name: "ruwe", cqlType: "float", nullable: true),
        Column(name: "phot_g_mean_mag", cqlType: "float", nullable: false), // mag
        Column(name: "phot_bp_mean_mag", cqlType: "float", nullable: true),
        Column(name: "phot_rp_mean_mag", cqlType: "float", nullable: true),
        Column(name: "bp_rp", cqlType: "float", nullable: true),
        Column(name: "radial_velocity", cqlType: "float", nullable: true),  // km/s; mostly null
        Column(name: "radial_velocity_error", cqlType: "float", nullable: true),
        Column(name: "teff_gspphot", cqlType: "float", nullable: true),     // K
        Column(name: "phot_variable_flag", cqlType: "text", nullable: false),
    ]

    /// The CSV header line (without the newline).
    public static var header: String { all.map(\.name).joined(separator: ",") }

    /// A table for generated rows partitioned by sky patch like `gaia.dr3` (DATA.md):
    /// load with `--derive healpix5=healpix(source_id,5)`.
    public static func createTable(_ qualifiedName: String = "gaia.dr3_generated") -> String {
        let columns = all.map { "    \($0.name) \($0.cqlType)," }.joined(separator: "\n")
        return "CREATE TABLE IF NOT EXISTS \(qualifiedName) (\n    healpix5 int,\n\(columns)\n    PRIMARY KEY ((healpix5), source_id));"
    }
}
