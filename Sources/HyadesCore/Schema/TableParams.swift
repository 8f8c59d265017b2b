/// Every table option `system_schema.tables` shows, with Cassandra 5's defaults (what
/// `DESCRIBE TABLE` prints for a table created without options).
public struct TableParams: Hashable, Sendable {
    public var additionalWritePolicy = "99p"
    public var allowAutoSnapshot = true
    public var bloomFilterFpChance = 0.01
    public var caching: [String: String] = ["keys": "ALL", "rows_per_partition": "NONE"]
    public var cdc = false
    public var comment = ""
    public var compaction: [String: String] = TableParams.defaultCompaction
    public var compression: [String: String] = TableParams.defaultCompression
    public var crcCheckChance = 1.0
    public var defaultTimeToLive: Int32 = 0
    public var extensions: [String: [UInt8]] = [:]
    public var gcGraceSeconds: Int32 = 864_000
    public var incrementalBackups = true
    public var maxIndexInterval: Int32 = 2048
    public var memtable = "default"
    public var memtableFlushPeriodInMs: Int32 = 0
    public var minIndexInterval: Int32 = 128
    public var readRepair = "BLOCKING"
    public var speculativeRetry = "99p"

    public static let defaultCompaction: [String: String] = [
        "class": "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy",
        "max_threshold": "32", "min_threshold": "4",
    ]
    public static let defaultCompression: [String: String] = [
        "chunk_length_in_kb": "16", "class": "org.apache.cassandra.io.compress.LZ4Compressor",
    ]

    public init() {}

    /// An option's value as written in `WITH name = value`.
    public enum OptionValue: Hashable, Sendable {
        case text(String)
        case map([String: String])
    }

    /// The option names CQL accepts in CREATE/ALTER TABLE ... WITH.
    public static let optionNames: Set<String> = [
        "additional_write_policy", "allow_auto_snapshot", "bloom_filter_fp_chance", "caching", "cdc", "comment",
        "compaction", "compression", "crc_check_chance", "default_time_to_live", "extensions", "gc_grace_seconds",
        "incremental_backups", "max_index_interval", "memtable", "memtable_flush_period_in_ms",
        "min_index_interval", "read_repair", "speculative_retry",
    ]

    /// Sets one option, validating it as Cassandra does (`TableParams.validate`). The error
    /// message is Cassandra's wording where there is one.
    public mutating func set(_ name: String, _ value: OptionValue) throws(TableParamsError) {
        func text() throws(TableParamsError) -> String {
            guard case .text(let s) = value else { throw TableParamsError("Invalid value for property '\(name)': expected a constant, got a map") }
            return s
        }
        func map() throws(TableParamsError) -> [String: String] {
            guard case .map(let m) = value else { throw TableParamsError("Invalid value for property '\(name)': expected a map") }
            return m
        }
        func double(_ lo: Double, _ hi: Double) throws(TableParamsError) -> Double {
            let s = try text()
            guard let d = Double(s) else { throw TableParamsError("Invalid double value \(s) for '\(name)'") }
            guard d >= lo && d <= hi else { throw TableParamsError("\(name) must be larger than or equal to \(lo) and less than or equal to \(hi) (got \(s))") }
            return d
        }
        func int(_ lo: Int32) throws(TableParamsError) -> Int32 {
            let s = try text()
            guard let i = Int32(s) else { throw TableParamsError("Invalid integer value \(s) for '\(name)'") }
            guard i >= lo else { throw TableParamsError("\(name) must be greater than or equal to \(lo) (got \(i))") }
            return i
        }
        func bool() throws(TableParamsError) -> Bool {
            switch try text().lowercased() {
            case "true": return true
            case "false": return false
            default: throw TableParamsError("Invalid boolean value for '\(name)'")
            }
        }
        switch name {
        case "additional_write_policy": additionalWritePolicy = try text()
        case "allow_auto_snapshot": allowAutoSnapshot = try bool()
        case "bloom_filter_fp_chance":
            let d = try double(0, 1)
            guard d > 0 else { throw TableParamsError("bloom_filter_fp_chance must be larger than 0.0 and less than or equal to 1.0 (got \(d))") }
            bloomFilterFpChance = d
        case "caching":
            let m = try map()
            var c = ["keys": "ALL", "rows_per_partition": "NONE"]
            for (k, v) in m {
                guard k == "keys" || k == "rows_per_partition" else { throw TableParamsError("Invalid caching sub-options \(k): only 'keys' and 'rows_per_partition' are allowed") }
                c[k] = v.uppercased() == "ALL" || v.uppercased() == "NONE" ? v.uppercased() : v
            }
            caching = c
        case "cdc": cdc = try bool()
        case "comment": comment = try text()
        case "compaction":
            var m = try map()
            guard let cls = m["class"] else { throw TableParamsError("Missing sub-option 'class' for the 'compaction' option.") }
            m["class"] = cls.contains(".") ? cls : "org.apache.cassandra.db.compaction." + cls
            if m["max_threshold"] == nil, !cls.hasSuffix("LeveledCompactionStrategy") { m["max_threshold"] = "32" }
            if m["min_threshold"] == nil, !cls.hasSuffix("LeveledCompactionStrategy") { m["min_threshold"] = "4" }
            compaction = m
        case "compression":
            var m = try map()
            // Cassandra's CompressionParams.fromMap: an empty map, or enabled: false, turns
            // compression off (shown as {'enabled': 'false'}); enabled: false takes no other option.
            if m.isEmpty { compression = ["enabled": "false"]; return }
            if let enabled = m.removeValue(forKey: "enabled"), enabled.lowercased() == "false" {
                guard m.isEmpty else {
                    throw TableParamsError("If the 'enabled' option is set to false no other options must be specified")
                }
                compression = ["enabled": "false"]
                return
            }
            if let cls = m["class"] ?? m["sstable_compression"] {
                m.removeValue(forKey: "sstable_compression")
                m["class"] = cls.contains(".") ? cls : "org.apache.cassandra.io.compress." + cls
            } else {
                throw TableParamsError("Missing sub-option 'class' for the 'compression' option.")
            }
            if let kb = m.removeValue(forKey: "chunk_length_kb") { m["chunk_length_in_kb"] = kb }
            if m["chunk_length_in_kb"] == nil { m["chunk_length_in_kb"] = "16" }
            compression = m
        case "crc_check_chance": crcCheckChance = try double(0, 1)
        case "default_time_to_live":
            let t = try int(0)
            guard t <= 630_720_000 else { throw TableParamsError("default_time_to_live must be less than or equal to 630720000 (got \(t))") }
            defaultTimeToLive = t
        case "extensions": extensions = try map().mapValues { Array($0.utf8) }
        case "gc_grace_seconds": gcGraceSeconds = try int(0)
        case "incremental_backups": incrementalBackups = try bool()
        case "max_index_interval": maxIndexInterval = try int(1)
        case "memtable": memtable = try text()
        case "memtable_flush_period_in_ms": memtableFlushPeriodInMs = try int(0)
        case "min_index_interval": minIndexInterval = try int(1)
        case "read_repair":
            let s = try text().uppercased()
            guard s == "BLOCKING" || s == "NONE" else { throw TableParamsError("Invalid read_repair value '\(s)': expected BLOCKING or NONE") }
            readRepair = s
        case "speculative_retry": speculativeRetry = try text()
        default: throw TableParamsError("Unknown property '\(name)'")
        }
        guard minIndexInterval <= maxIndexInterval else {
            throw TableParamsError("max_index_interval must be greater than min_index_interval")
        }
    }
}

public struct TableParamsError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
