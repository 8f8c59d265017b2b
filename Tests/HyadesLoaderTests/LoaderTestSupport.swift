import Foundation
import HyadesCore
import HyadesStorage
@testable import HyadesLoader

enum LoaderFixtures {
    /// gaia.dr3 as ../shared/DATA.md declares it.
    static let dr3 = TableMetadata(
        keyspace: "gaia", name: "dr3", id: TableID(high: 1, low: 2),
        partitionKey: [("healpix5", .int)], clustering: [("source_id", .bigint, .asc)],
        regular: [("ra", .double), ("dec", .double), ("phot_g_mean_mag", .float), ("pmra", .float), ("pmdec", .float)])

    /// A simple table keyed by source_id with a text column.
    static let named = TableMetadata(
        keyspace: "ks", name: "named", id: TableID(high: 3, low: 4),
        partitionKey: [("source_id", .bigint)],
        regular: [("name", .text), ("mag", .double), ("flag", .boolean), ("n", .int)])

    static func tempDir(_ tag: String = "load") -> String {
        let d = NSTemporaryDirectory() + "hyades-loader-\(tag)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    static func write(_ text: String, to path: String) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    /// Runs a load into `dir/out`, returning the summary.
    static func load(_ table: TableMetadata, _ inputs: [String], dir: String, mapping: LoadMapping = LoadMapping(),
                     memory: Int = 1 << 30, threads: Int = 2, dryRun: Bool = false, rejects: String? = nil) throws -> LoadSummary {
        let out = dir + "/out"
        let options = LoadOptions(inputs: inputs, mapping: mapping, memoryBudgetBytes: memory, rejectsPath: rejects,
                                  dryRun: dryRun, threads: threads, writeTimestamp: 1000, workDirectory: out)
        let loader = try BulkLoader(table: table, options: options, sink: LocalDirectorySink(directory: out))
        return try loader.run()
    }

    /// Every row of every SSTable in `dir`: (partition key bytes, clustering, column id -> value).
    struct LoadedRow: Equatable {
        var key: [UInt8]
        var clustering: [UInt8]
        var cells: [ColumnID: [UInt8]]
    }

    static func rows(in dir: String) throws -> [LoadedRow] {
        let fs = PosixFileSystem()
        var out: [LoadedRow] = []
        for g in try SSTableReader.generations(in: dir, fileSystem: fs) {
            let reader = try SSTableReader.open(fileSystem: fs, directory: dir, generation: g)
            let it = reader.scan(.all, slices: .all, columns: .all)
            while let h = try it.nextPartition() {
                while let r = try it.nextRow() {
                    var cells: [ColumnID: [UInt8]] = [:]
                    for c in r.columns { if case .simple(let id, let cell) = c { cells[id] = cell.value } }
                    out.append(LoadedRow(key: h.key.key, clustering: r.clustering, cells: cells))
                }
            }
        }
        return out
    }

    static func bigEndian(_ v: Int64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (56 - 8 * UInt64($0))) } }
    static func bigEndian(_ v: Int32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: UInt32(bitPattern: v) >> (24 - 8 * UInt32($0))) } }
    static func double(_ b: [UInt8]?) -> Double? {
        guard let b, b.count == 8 else { return nil }
        return Double(bitPattern: b.reduce(0) { $0 << 8 | UInt64($1) })
    }
    static func float(_ b: [UInt8]?) -> Float? {
        guard let b, b.count == 4 else { return nil }
        return Float(bitPattern: b.reduce(0) { $0 << 8 | UInt32($1) })
    }
}
