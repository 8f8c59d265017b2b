import HyadesCore

/// An open, immutable SSTable: statistics, bloom filter and index summary in memory;
/// index groups and data blocks read (mmapped where the file system can) on demand, every
/// checksum checked on every read.
public final class SSTableReader: Sendable {
    public let generation: Int64
    public let directory: String
    let fileSystem: any FileSystem
    let data: any ReadableFile
    let index: PartitionIndexReader
    let filter: BloomFilter
    public let statistics: SSTableStatistics
    public let firstKey: DecoratedKey
    public let lastKey: DecoratedKey
    public let onDiskSizeBytes: Int64
    public let filePaths: [String]
    /// Where the first block starts and the last one ends.
    let dataStart = Int64(SSTableFormat.fileHeaderSize)
    let dataEnd: Int64
    let blockCache: SSTableBlockCache?
    /// Filter.db was damaged: every key is "maybe present" (run verify).
    public let isFilterDegraded: Bool
    let cacheOwner = SSTableBlockCache.newOwner()

    init(fileSystem: any FileSystem, directory: String, generation: Int64, data: any ReadableFile,
         index: PartitionIndexReader, filter: BloomFilter, statistics: SSTableStatistics, paths: [String], size: Int64,
         blockCache: SSTableBlockCache?, filterDegraded: Bool) throws {
        self.blockCache = blockCache
        self.isFilterDegraded = filterDegraded
        self.fileSystem = fileSystem
        self.directory = directory
        self.generation = generation
        self.data = data
        self.index = index
        self.filter = filter
        self.statistics = statistics
        self.filePaths = paths
        self.onDiskSizeBytes = size
        self.dataEnd = statistics.dataEndOffset
        let statsPath = paths[3]
        guard statistics.dataEndOffset == data.size else {
            throw SSTableCorruptionError(path: data.path, offset: data.size,
                                         what: "data file is \(data.size) bytes, statistics say \(statistics.dataEndOffset)")
        }
        if statistics.partitionCount == 0 {
            firstKey = DecoratedKey(token: .minimum, key: [])
            lastKey = firstKey
        } else {
            guard let f = DecoratedKey(byteComparable: statistics.firstKey),
                  let l = DecoratedKey(byteComparable: statistics.lastKey) else {
                throw SSTableCorruptionError(path: statsPath, offset: 0, what: "bad first/last key")
            }
            firstKey = f
            lastKey = l
        }
    }

    deinit {
        blockCache?.remove(owner: cacheOwner)
        data.close()
        index.file.close()
    }

    public static func open(fileSystem: any FileSystem, directory: String, generation: Int64) throws -> SSTableReader {
        try open(fileSystem: fileSystem, directory: directory, generation: generation, blockCache: .shared)
    }

    /// Opens with a given block cache (nil: none, every read decodes from the file).
    public static func open(fileSystem: any FileSystem, directory: String, generation: Int64,
                            blockCache: SSTableBlockCache?) throws -> SSTableReader {
        let paths = SSTableFormat.Component.allCases.map { directory + "/" + SSTableFormat.fileName(generation: generation, $0) }
        var opened: [any ReadableFile] = []
        do {
            for p in paths { opened.append(try fileSystem.openForReading(p)) }
            let stats = try SSTableStatistics.read(opened[3], generation: generation)
            // The filter only saves lookups: a damaged one degrades to "maybe present".
            var filter = BloomFilter.alwaysMaybe
            var filterDegraded = true
            do {
                filter = try BloomFilter.read(opened[2], generation: generation)
                filterDegraded = false
            } catch is SSTableCorruptionError {}
            let index = try PartitionIndexReader(file: opened[1], generation: generation)
            let dataHeader = try SSTableFileHeader.read(opened[0], component: .data, generation: generation)
            guard CompressionAlgorithm(rawValue: UInt8(truncatingIfNeeded: dataHeader.flags)) != nil else {
                throw SSTableCorruptionError(path: paths[0], offset: 6, what: "unknown compression in header")
            }
            let size = opened.reduce(Int64(0)) { $0 + $1.size }
            opened[2].close()
            opened[3].close()
            return try SSTableReader(fileSystem: fileSystem, directory: directory, generation: generation, data: opened[0],
                                     index: index, filter: filter, statistics: stats, paths: paths, size: size,
                                     blockCache: blockCache, filterDegraded: filterDegraded)
        } catch {
            for f in opened { f.close() }
            throw error
        }
    }

    /// Generations with at least one file in `directory` (complete or not: the engine's
    /// manifest says which are live).
    public static func generations(in directory: String, fileSystem: any FileSystem) throws -> [Int64] {
        var gens = Set<Int64>()
        for name in try fileSystem.listDirectory(directory) {
            if let (g, _) = SSTableFormat.parseFileName(name) { gens.insert(g) }
        }
        return gens.sorted()
    }

    /// False only when the partition is certainly absent (bloom filter and key bounds).
    public func mayContain(_ key: DecoratedKey) -> Bool {
        guard statistics.partitionCount > 0, key >= firstKey, key <= lastKey else { return false }
        return filter.mayContain(key.key)
    }

    /// One partition, or nil when it is not in this SSTable.
    public func partition(_ key: DecoratedKey, slices: Slices, columns: ColumnFilter) throws -> (any UnfilteredPartitionIterator)? {
        try partition(key, hash: nil, slices: slices, columns: columns)
    }

    /// `partition(_:slices:columns:)` with the key's `Murmur3.hash128(key.key)` already
    /// computed (the engine hashes once for every SSTable). Without slices the index entry
    /// is located in place (no group copy, no block list decoded).
    public func partition(_ key: DecoratedKey, hash: (h1: Int64, h2: Int64)?, slices: Slices,
                          columns: ColumnFilter) throws -> (any UnfilteredPartitionIterator)? {
        guard statistics.partitionCount > 0, key >= firstKey, key <= lastKey else { return nil }
        let h = hash ?? key.key.withUnsafeBytes { Murmur3.hash128($0) }
        guard filter.mayContain(hash: (UInt64(bitPattern: h.h1), UInt64(bitPattern: h.h2))) else { return nil }
        let keyBytes = key.byteComparable
        let entry: PartitionIndexEntry
        if slices.isAll {
            // A whole-partition read never uses the block list: position only.
            guard let p = try keyBytes.withUnsafeBytes({ try index.findPosition($0, cache: blockCache, owner: cacheOwner) }) else { return nil }
            entry = PartitionIndexEntry(key: keyBytes, blockOffset: p.blockOffset, entryIndex: p.entry.entryIndex,
                                        entryByteOffset: p.entry.byteOffset, rowOrdinal: p.entry.rowOrdinal, blockList: [])
        } else {
            guard let e = try index.find(keyBytes, cache: blockCache, owner: cacheOwner) else { return nil }
            entry = e
        }
        return SSTableScanner(reader: self, start: .entry(entry), upper: nil, slices: slices, columns: columns)
    }

    /// Partitions in `range` in ring order.
    public func scan(_ range: PartitionRange, slices: Slices, columns: ColumnFilter) -> any UnfilteredPartitionIterator {
        SSTableScanner(reader: self, start: .lowerBound(range.lower), upper: range.upper, slices: slices, columns: columns)
    }

    /// Checks every checksum of every file; empty when healthy.
    public func verify() -> [SSTableDamage] {
        SSTableVerifier.verify(fileSystem: fileSystem, directory: directory, generation: generation)
    }

    /// Range scans pass `populate: false` so one pass over a big table does not flush the
    /// cache of the point reads' working set.
    func readBlock(at offset: Int64, columns: ColumnFilter, populate: Bool = true) throws -> DecodedBlock {
        try DecodedBlock.read(data, at: offset, dataEnd: dataEnd, columns: columns, cache: blockCache, owner: cacheOwner,
                              populate: populate)
    }
}
