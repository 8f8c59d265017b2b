import HyadesCore
import HyadesProtocol
import HyadesStorage

extension AdminService {
    /// `nodetool tablestats [keyspace[.table] ...]`: the figures of every table named (a
    /// keyspace alone: all its tables; nothing: every table), as Cassandra's OptionFilter
    /// chooses them, with its errors for names that do not exist. The system keyspaces
    /// are virtual here: they have no stored tables to show.
    func tableStats(_ names: [String]) throws(AdminRefusal) -> [AdminTableStats] {
        let schema = node.schema.snapshot
        var wanted: [String: Set<String>] = [:]
        for n in names {
            let parts = n.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            wanted[parts[0], default: []].formUnion(parts.count == 2 ? [parts[1]] : [])
        }
        for (ks, tables) in wanted.sorted(by: { $0.key < $1.key }) {
            guard let k = schema.keyspaces[ks] else {
                if SystemKeyspaceNames.all.contains(ks) && tables.isEmpty { continue }
                throw AdminRefusal(code: AdminFormat.errorUnknownTable, message: "Unknown keyspace: \(ks)")
            }
            let missing = tables.filter { k.tables[$0] == nil }.sorted()
            if !missing.isEmpty {
                throw AdminRefusal(code: AdminFormat.errorUnknownTable,
                                   message: "Unknown tables: [\(missing.joined(separator: ", "))] in keyspace: \(ks)")
            }
        }
        var out: [AdminTableStats] = []
        for k in schema.keyspaces.values.sorted(by: { $0.name < $1.name }) {
            if !wanted.isEmpty && wanted[k.name] == nil { continue }
            for t in k.tables.values.sorted(by: { $0.name < $1.name }) {
                if let only = wanted[k.name], !only.isEmpty, !only.contains(t.name) { continue }
                guard let store = node.engine.table(t.id) else { continue }
                out.append(AdminTableStats(keyspace: k.name, table: t.name,
                                           figures: Self.figures(store.statistics, leveled: Self.isLeveled(store.options.compaction))))
            }
        }
        return out
    }

    /// The named figures of docs/formats/admin.md.
    static func figures(_ s: TableStatistics, leveled: Bool) -> [(name: String, value: Int64)] {
        var f: [(name: String, value: Int64)] = [
            ("sstable_count", Int64(s.sstableCount)),
            ("space_used_live", s.liveDiskBytes),
            // Replaced SSTables are deleted as soon as no read uses them: live is total.
            ("space_used_total", s.liveDiskBytes),
            ("compressed", s.isCompressed ? 1 : 0),
            ("compressed_bytes", s.compressedDataBytes),
            ("uncompressed_bytes", s.uncompressedDataBytes),
            ("partitions_estimate", s.estimatedPartitions),
            ("memtable_data_bytes", s.memtableDataBytes),
            ("pending_flushes", Int64(s.pendingFlushes)),
            ("bloom_filter_bytes", s.bloomFilterBytes),
            ("partition_min_bytes", s.partitionMinimumBytes),
            ("partition_max_bytes", s.partitionMaximumBytes),
            ("partition_mean_bytes", s.partitionMeanBytes),
            ("leveled", leveled ? 1 : 0),
        ]
        if leveled {
            for (level, count) in s.sstablesPerLevel.enumerated() { f.append(("sstables_in_level_\(level)", Int64(count))) }
        }
        return f
    }
}

extension AdminService {
    static func isLeveled(_ k: CompactionStrategyKind) -> Bool {
        if case .leveled = k { return true }
        return false
    }
}
