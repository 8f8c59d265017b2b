import Foundation
import HyadesCluster
import HyadesProtocol

/// Prints what the management requests answer with Cassandra's nodetool wording
/// (GossipInfo, TableStatsPrinter's default layout). Only figures the node really keeps are
/// printed: Hyades has no read/write latency metrics, memtable cell counts, repair state,
/// bloom filter false-positive counters or off-heap accounting, so those lines are left out
/// rather than shown as made-up zeros (docs/operations.md lists them).
enum NodetoolAdminReport {
    /// `nodetool gossipinfo`: per endpoint "/address", generation, heartbeat, then every
    /// application state as NAME:version:value in state order. TOKENS is "<hidden>" as in
    /// Cassandra unless `tokens` (then the node's tokens, comma-separated).
    static func gossipInfo(_ endpoints: [AdminEndpointState], tokens: Bool, printPort: Bool) -> String {
        var out = ""
        for e in endpoints {
            out += "/\(e.host)" + (printPort ? ":\(e.port)" : "") + "\n"
            out += "  generation:\(e.generation)\n"
            out += "  heartbeat:\(e.heartbeat)\n"
            for s in e.states.sorted(by: { $0.key < $1.key }) {
                let name = ApplicationState(rawValue: s.key).description
                let value = s.key == ApplicationState.tokens.rawValue && !tokens ? "<hidden>" : s.value
                out += "  \(name):\(s.version):\(value)\n"
            }
        }
        return out
    }

    /// `nodetool tablestats`: tables grouped by keyspace, in name order.
    static func tableStats(_ tables: [AdminTableStats], humanReadable: Bool) -> String {
        func size(_ v: Int64?) -> String {
            guard let v else { return "n/a" }
            return humanReadable ? stringifyFileSize(Double(v)) : String(v)
        }
        var out = "Total number of tables: \(tables.count)\n----------------\n"
        let keyspaces = Dictionary(grouping: tables, by: \.keyspace)
        for name in keyspaces.keys.sorted() {
            let list = keyspaces[name]!.sorted { $0.table < $1.table }
            out += "Keyspace : \(name)\n"
            out += "\tPending Flushes: \(list.reduce(Int64(0)) { $0 + ($1["pending_flushes"] ?? 0) })\n"
            for t in list {
                let i = "\t\t"
                out += "\(i)Table: \(t.table)\n"
                out += "\(i)SSTable count: \(t["sstable_count"] ?? 0)\n"
                if t["leveled"] == 1 {
                    let levels = t.figures.filter { $0.name.hasPrefix("sstables_in_level_") }
                        .sorted { (Int($0.name.dropFirst(18)) ?? 0) < (Int($1.name.dropFirst(18)) ?? 0) }
                        .map { String($0.value) }
                    out += "\(i)SSTables in each level: [\(levels.joined(separator: ", "))]\n"
                }
                out += "\(i)Space used (live): \(size(t["space_used_live"]))\n"
                out += "\(i)Space used (total): \(size(t["space_used_total"]))\n"
                out += "\(i)SSTable Compression Ratio: \(compressionRatio(t))\n"
                out += "\(i)Number of partitions (estimate): \(t["partitions_estimate"] ?? 0)\n"
                out += "\(i)Memtable data size: \(size(t["memtable_data_bytes"]))\n"
                out += "\(i)Pending flushes: \(t["pending_flushes"] ?? 0)\n"
                out += "\(i)Bloom filter space used: \(size(t["bloom_filter_bytes"]))\n"
                out += "\(i)Compacted partition minimum bytes: \(t["partition_min_bytes"] ?? 0)\n"
                out += "\(i)Compacted partition maximum bytes: \(t["partition_max_bytes"] ?? 0)\n"
                out += "\(i)Compacted partition mean bytes: \(t["partition_mean_bytes"] ?? 0)\n"
                out += "\n"
            }
            out += "----------------\n"
        }
        return out
    }

    /// Compressed over uncompressed data bytes of the compressed SSTables; -1.0 when none is
    /// compressed (Cassandra's "no compression ratio").
    static func compressionRatio(_ t: AdminTableStats) -> String {
        guard t["compressed"] == 1, let c = t["compressed_bytes"], let u = t["uncompressed_bytes"], u > 0 else { return "-1.0" }
        return String(Double(c) / Double(u))
    }

    /// Cassandra's FileUtils.stringifyFileSize: two decimals at most, binary units.
    static func stringifyFileSize(_ v: Double) -> String {
        let units: [(Double, String)] = [(Double(1 << 40), "TiB"), (Double(1 << 30), "GiB"), (Double(1 << 20), "MiB"), (Double(1 << 10), "KiB")]
        for (scale, unit) in units where v >= scale { return "\(decimal(v / scale)) \(unit)" }
        return "\(decimal(v)) bytes"
    }

    static func decimal(_ v: Double) -> String {
        var s = String(format: "%.2f", v)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s
    }
}
