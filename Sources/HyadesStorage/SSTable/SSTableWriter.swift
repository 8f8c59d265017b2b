import HyadesCore

/// Misuse of the writer (keys out of order, a row outside a partition, writing after
/// finish): a bug in the caller, reported as an error rather than a bad file.
public struct SSTableWriterError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// Writes one SSTable (Data, Index, Filter, Statistics) from partitions in ring order and
/// rows in clustering order. Files get their final names at once: the engine's manifest,
/// not the file names, decides which SSTables are live, so a crash mid-write leaves files
/// the engine removes at start. `finish()` makes everything durable before returning.
public final class SSTableWriter {
    /// All mutable state in one struct: each call is one exclusive access to it, not one
    /// exclusivity-checked access per field touched (several per row otherwise).
    var state: SSTableWriterState
    public let generation: Int64

    public init(fileSystem: any FileSystem, directory: String, generation: Int64, options: TableOptions,
                schema: SSTableSchemaHeader?, expectedPartitions: Int) throws {
        state = try SSTableWriterState(fileSystem: fileSystem, directory: directory, generation: generation,
                                       options: options, schema: schema, expectedPartitions: expectedPartitions)
        self.generation = generation
    }

    /// A writer of an older format version (tests: files as earlier releases wrote them).
    init(fileSystem: any FileSystem, directory: String, generation: Int64, options: TableOptions,
         schema: SSTableSchemaHeader?, expectedPartitions: Int, formatVersion: UInt16) throws {
        state = try SSTableWriterState(fileSystem: fileSystem, directory: directory, generation: generation,
                                       options: options, schema: schema, expectedPartitions: expectedPartitions,
                                       formatVersion: formatVersion)
        self.generation = generation
    }

    /// Starts the next partition; keys must strictly increase in ring order.
    public func beginPartition(_ header: PartitionHeader) throws { try state.beginPartition(header) }

    /// Appends a row of the current partition; clusterings must strictly increase.
    public func append(_ row: Row) throws { try state.append(row) }

    /// Writes the index, filter and statistics, fsyncs every file and the directory, and
    /// opens the result.
    public func finish() throws -> SSTableReader { try state.finish() }

    /// Writes the index, filter and statistics and syncs and closes every file, without
    /// opening the result: for a file system the files only pass through (the bulk
    /// loader's, which streams them to a node as they are written). Returns the
    /// SSTable's statistics.
    public func finishWithoutOpening() throws -> SSTableStatistics {
        try state.finishFiles()
        return state.stats
    }

    /// Closes and removes whatever was written (best effort).
    public func abort() { state.abort() }
}

/// The writer itself (see `SSTableWriter`).
struct SSTableWriterState {
    let fileSystem: any FileSystem
    let directory: String
    let generation: Int64
    let options: TableOptions
    let schema: SSTableSchemaHeader?

    var dataFile: (any WritableFile)?
    var index: PartitionIndexWriter?
    var indexFile: (any WritableFile)?
    var filter: BloomFilter
    var stats = SSTableStatistics()
    var block = BlockBuilder()

    /// The partition being written and where its index entry points.
    var current: PartitionIndexEntry?
    var lastKey: [UInt8]?
    var lastClustering: [UInt8]?
    var partitionBytes: Int64 = 0
    var finished = false
    var dataPath: String { directory + "/" + SSTableFormat.fileName(generation: generation, .data) }

    init(fileSystem: any FileSystem, directory: String, generation: Int64, options: TableOptions,
         schema: SSTableSchemaHeader?, expectedPartitions: Int, formatVersion: UInt16 = SSTableFormat.currentVersion) throws {
        self.fileSystem = fileSystem
        self.directory = directory
        self.generation = generation
        self.options = options
        self.schema = schema
        self.filter = BloomFilter(expectedKeys: expectedPartitions, fpChance: options.bloomFilterFpChance)
        stats.compression = options.compression
        stats.chunkLengthBytes = options.chunkLengthBytes
        stats.schema = schema
        // Version 1 has no fixed-width column segments.
        block.allowFixed = formatVersion >= 2
        do {
            let data = try fileSystem.createForWriting(path(.data))
            dataFile = data
            try data.append(SSTableFileHeader(component: .data, version: formatVersion,
                                              flags: UInt16(options.compression.rawValue), generation: generation).encoded())
            let ix = try fileSystem.createForWriting(path(.index))
            indexFile = ix
            index = try PartitionIndexWriter(file: ix, interval: options.indexSummaryInterval, generation: generation)
        } catch {
            abort()
            throw error
        }
    }

    func path(_ c: SSTableFormat.Component) -> String {
        directory + "/" + SSTableFormat.fileName(generation: generation, c)
    }

    var currentBlockOffset: Int64 { dataFile?.size ?? 0 }

    func misuse(_ message: String) -> SSTableWriterError { SSTableWriterError(path: dataPath, message: message) }

    /// Starts the next partition; keys must strictly increase in ring order.
    mutating func beginPartition(_ header: PartitionHeader) throws {
        guard !finished, dataFile != nil else { throw misuse("writer already finished or aborted") }
        let keyBytes = header.key.comparableBytes
        if let lastKey, ByteOrder.compare(lastKey, keyBytes) >= 0 {
            throw misuse("partition keys out of order: \(header.key)")
        }
        try endPartition()
        if block.rawSize >= options.chunkLengthBytes { try flushBlock() }
        let before = block.rawSize
        current = PartitionIndexEntry(key: keyBytes, blockOffset: currentBlockOffset, entryIndex: block.entryCount,
                                      entryByteOffset: block.entries.count, rowOrdinal: block.rowCount, blockList: [])
        block.addPartitionStart(header, keyBytes: keyBytes, stats: &stats)
        if let staticRow = header.staticRow {
            try checkColumns(staticRow)
            block.addRow(staticRow, isStatic: true, stats: &stats)
        }
        partitionBytes = Int64(block.rawSize - before)
        lastKey = keyBytes
        lastClustering = nil
        filter.add(header.key.key)
        if stats.partitionCount == 0 { stats.firstKey = keyBytes }
        stats.lastKey = keyBytes
        stats.partitionCount += 1
        if header.key.token < stats.minToken { stats.minToken = header.key.token }
        if header.key.token > stats.maxToken { stats.maxToken = header.key.token }
    }

    /// Appends a row of the current partition; clusterings must strictly increase.
    mutating func append(_ row: Row) throws {
        guard var entry = current else { throw misuse("row appended outside a partition") }
        if let lastClustering, ByteOrder.compare(lastClustering, row.clustering) >= 0 {
            throw misuse("rows out of clustering order in partition \(DecoratedKey(byteComparable: entry.key).map { "\($0)" } ?? "?")")
        }
        if block.rawSize >= options.chunkLengthBytes {
            try flushBlock()
            // The partition continues in a new block: note where, for slice reads.
            if entry.blockList.isEmpty {
                entry.blockList.append(.init(firstClustering: [], offset: entry.blockOffset))
            }
            entry.blockList.append(.init(firstClustering: row.clustering, offset: currentBlockOffset))
            current = entry
        }
        try checkColumns(row)
        partitionBytes += Int64(block.addRow(row, isStatic: false, stats: &stats))
        lastClustering = row.clustering
        stats.rowCount += 1
    }

    /// One entry per column, sorted by id: the column segments are indexed by row ordinal,
    /// so a duplicate would misalign every later cell of the block.
    func checkColumns(_ row: Row) throws {
        var previous = -1
        for d in row.columns {
            guard Int(d.column) > previous, d.column != SSTableFormat.entriesSegmentID else {
                throw misuse("row columns not sorted by id or duplicated (column \(d.column))")
            }
            previous = Int(d.column)
        }
    }

    mutating func endPartition() throws {
        guard let entry = current else { return }
        try index!.add(entry)
        stats.partitionSizeHistogram.add(partitionBytes)
        current = nil
    }

    mutating func flushBlock() throws {
        guard !block.isEmpty, let dataFile else { return }
        if block.largestColumnBodyBytes > SSTableFormat.maxSegmentRawLength / 2 {
            throw misuse("a block column segment above \(SSTableFormat.maxSegmentRawLength / 2) bytes")
        }
        let (bytes, raw) = block.finish(compression: options.compression, minCompressRatio: options.minCompressRatio)
        try dataFile.append(bytes)
        stats.uncompressedDataBytes += Int64(raw)
        stats.compressedDataBytes += Int64(bytes.count)
        stats.blockCount += 1
        block.reset()
    }

    /// Writes the index, filter and statistics, fsyncs every file and the directory, and
    /// opens the result.
    mutating func finish() throws -> SSTableReader {
        try finishFiles()
        return try SSTableReader.open(fileSystem: fileSystem, directory: directory, generation: generation)
    }

    mutating func finishFiles() throws {
        guard !finished, let dataFile, let indexFile else { throw misuse("writer already finished or aborted") }
        do {
            try endPartition()
            try flushBlock()
            stats.dataEndOffset = dataFile.size
            try index!.finish()
            let filterFile = try fileSystem.createForWriting(path(.filter))
            try filterFile.append(filter.serialized(generation: generation))
            let statsFile = try fileSystem.createForWriting(path(.statistics))
            try statsFile.append(stats.serialized(generation: generation))
            for f in [dataFile, indexFile, filterFile, statsFile] {
                try f.sync()
                try f.close()
            }
            self.dataFile = nil
            self.indexFile = nil
            try fileSystem.syncDirectory(directory)
            finished = true
        } catch {
            abort()
            throw error
        }
    }

    /// Closes and removes whatever was written (best effort: the engine also removes
    /// files of SSTables absent from its manifest at start).
    mutating func abort() {
        try? dataFile?.close()
        try? indexFile?.close()
        dataFile = nil
        indexFile = nil
        finished = true
        for c in SSTableFormat.Component.allCases {
            let p = path(c)
            if fileSystem.fileExists(p) { try? fileSystem.removeFile(p) }
        }
    }
}
