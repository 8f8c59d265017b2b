import HyadesCore
@testable import HyadesStorage
import Testing

@Suite("SSTable round trips")
struct SSTableRoundTripTests {
    typealias S = SSTableTestSupport

    @Test("random partitions round-trip through every compression", arguments: CompressionAlgorithm.allCases)
    func randomRoundTrip(compression: CompressionAlgorithm) throws {
        for seed: UInt64 in [1, 42, 0xDEADBEEF] {
            let fs = SSTableTestFileSystem()
            var options = TableOptions()
            options.compression = compression
            options.chunkLengthBytes = 1024
            options.indexSummaryInterval = 4
            let partitions = S.randomPartitions(seed: seed, count: 60, maxRows: 30)
            let reader = try S.write(partitions, fs: fs, options: options)
            let all = try S.drain(reader.scan(.all, slices: .all, columns: .all))
            #expect(all == partitions, "seed \(seed)")
            for p in partitions {
                let it = try #require(try reader.partition(p.header.key, slices: .all, columns: .all), "seed \(seed)")
                #expect(try S.drain(it) == [p], "seed \(seed)")
            }
            #expect(reader.statistics.partitionCount == 60)
            #expect(reader.statistics.rowCount == Int64(partitions.reduce(0) { $0 + $1.rows.count }))
            #expect(reader.firstKey == partitions.first!.header.key)
            #expect(reader.lastKey == partitions.last!.header.key)
            #expect(reader.statistics.compression == compression)
            #expect(reader.statistics.blockCount > 1)
            #expect(reader.verify() == [])
        }
    }

    @Test("absent keys are not found")
    func absentKeys() throws {
        let fs = SSTableTestFileSystem()
        let partitions = S.randomPartitions(seed: 7, count: 50, maxRows: 3)
        let reader = try S.write(partitions, fs: fs)
        for i in 0..<200 {
            let k = S.key("absent-\(i)")
            #expect(try reader.partition(k, slices: .all, columns: .all) == nil)
        }
    }

    @Test("range scans return exactly the partitions in the range")
    func rangeScans() throws {
        let fs = SSTableTestFileSystem()
        var options = TableOptions()
        options.chunkLengthBytes = 512
        options.indexSummaryInterval = 3
        let partitions = S.randomPartitions(seed: 99, count: 40, maxRows: 5)
        let reader = try S.write(partitions, fs: fs, options: options)
        let keys = partitions.map { $0.header.key }
        for (a, b) in [(0, 40), (5, 6), (3, 17), (39, 40), (10, 10)] {
            let range = PartitionRange(lower: keys[a].byteComparable, upper: b < 40 ? keys[b].byteComparable : nil)
            let got = try S.drain(reader.scan(range, slices: .all, columns: .all)).map { $0.header.key }
            #expect(got == Array(keys[a..<b]))
        }
        // Token ranges: (min, max] is everything.
        let got = try S.drain(reader.scan(.tokens(after: .minimum, upTo: .maximum), slices: .all, columns: .all))
        #expect(got.count == 40)
    }

    @Test("projections return only the requested columns")
    func projections() throws {
        let fs = SSTableTestFileSystem()
        let partitions = S.randomPartitions(seed: 5, count: 20, maxRows: 20, columnCount: 12)
        let reader = try S.write(partitions, fs: fs)
        for filter in [ColumnFilter([3]), ColumnFilter([0, 4, 11]), ColumnFilter([]), ColumnFilter([200])] {
            let got = try S.drain(reader.scan(.all, slices: .all, columns: filter))
            let expected = partitions.map { p in
                var h = p.header
                h.staticRow = h.staticRow.map { S.project($0, filter) }
                return TestPartition(header: h, rows: p.rows.map { S.project($0, filter) })
            }
            #expect(got == expected)
        }
    }

    @Test("scans and point reads with slices return exactly the rows in the slices")
    func slicedScans() throws {
        let fs = SSTableTestFileSystem()
        var options = TableOptions()
        options.chunkLengthBytes = 800
        let partitions = S.randomPartitions(seed: 31, count: 40, maxRows: 40)
        let reader = try S.write(partitions, fs: fs, options: options)
        let sliceSets: [Slices] = [
            Slices([ClusteringSlice(start: S.clustering(5), end: S.clustering(9))]),
            Slices([ClusteringSlice(start: S.clustering(0), end: S.clustering(3)),
                    ClusteringSlice(start: S.clustering(20), end: S.clustering(30)),
                    ClusteringSlice(start: S.clustering(60), end: ClusteringEncoding.top)]),
            Slices([ClusteringSlice(start: S.clustering(1000), end: S.clustering(2000))]),
        ]
        for slices in sliceSets {
            let expected = partitions.map { TestPartition(header: $0.header, rows: $0.rows.filter { slices.contains($0.clustering) }) }
            #expect(try S.drain(reader.scan(.all, slices: slices, columns: .all)) == expected)
            for p in expected {
                let it = try #require(try reader.partition(p.header.key, slices: slices, columns: .all))
                #expect(try S.drain(it) == [p])
            }
        }
    }

    @Test("wide partitions spanning many blocks serve slices from the blocks they need")
    func widePartitionSlices() throws {
        let fs = SSTableTestFileSystem()
        var options = TableOptions()
        options.chunkLengthBytes = 600
        var rng = SplitMix64(seed: 11)
        let key = S.key("wide")
        var rows: [Row] = []
        for i in 0..<3000 {
            rows.append(Row(clustering: S.clustering(i * 2), liveness: LivenessInfo(timestamp: 1000 + Int64(i)),
                            columns: [.simple(1, .live(timestamp: 1000 + Int64(i), value: S.randomBytes(8, &rng))),
                                      .simple(2, .live(timestamp: 5, value: Array("row \(i)".utf8)))]))
        }
        let partitions = [TestPartition(header: PartitionHeader(key: S.key("a")), rows: [rows[0]]),
                          TestPartition(header: PartitionHeader(key: key, staticRow: Row(clustering: [], columns: [.simple(9, .live(timestamp: 1, value: [1]))])), rows: rows),
                          TestPartition(header: PartitionHeader(key: S.key("z")), rows: [rows[1]])].sorted { $0.header.key < $1.header.key }
        let reader = try S.write(partitions, fs: fs, options: options)
        #expect(reader.statistics.blockCount > 50)

        let entry = try #require(try reader.index.find(key.byteComparable))
        #expect(entry.blockList.count > 50)

        func slice(_ lo: Int, _ hi: Int) -> ClusteringSlice { ClusteringSlice(start: S.clustering(lo), end: S.clustering(hi)) }
        let cases: [[ClusteringSlice]] = [
            [slice(4000, 4010)], [slice(0, 1)], [slice(5990, 6001)], [slice(100, 200), slice(3000, 3004), slice(5000, 5002)],
            [slice(7000, 8000)], [ClusteringSlice(start: S.clustering(5999), end: ClusteringEncoding.top)],
        ]
        // A narrow slice of the wide partition loads a handful of its 50+ blocks.
        let narrow = try #require(try reader.partition(key, slices: Slices([slice(4000, 4010)]), columns: .all) as? SSTableScanner)
        _ = try S.drain(narrow)
        #expect(narrow.blocksLoaded <= 3)
        let narrowScan = try #require(reader.scan(.all, slices: Slices([slice(4000, 4010)]), columns: .all) as? SSTableScanner)
        _ = try S.drain(narrowScan)
        #expect(narrowScan.blocksLoaded <= 5)
        for slices in cases {
            let it = try #require(try reader.partition(key, slices: Slices(slices), columns: .all))
            let got = try S.drain(it)
            #expect(got.count == 1)
            let expected = rows.filter { Slices(slices).contains($0.clustering) }
            #expect(got.first?.rows == expected)
            #expect(got.first?.header.staticRow != nil)
            // A range scan with the same slices jumps through the same block list.
            let scanned = try S.drain(reader.scan(.all, slices: Slices(slices), columns: .all))
            #expect(scanned.map(\.rows) == partitions.map { p in p.rows.filter { Slices(slices).contains($0.clustering) } })
        }
    }

    @Test("finish syncs every file and the directory; abort removes the files")
    func durabilityAndAbort() throws {
        let fs = SSTableTestFileSystem()
        let reader = try S.write(S.randomPartitions(seed: 3, count: 5, maxRows: 2), fs: fs, generation: 12)
        #expect(reader.filePaths.count == 4)
        for p in reader.filePaths { #expect(fs.isSynced(p), "\(p) not synced") }
        #expect(fs.syncedDirectories.contains("/t"))
        #expect(try SSTableReader.generations(in: "/t", fileSystem: fs) == [12])
        #expect(reader.onDiskSizeBytes == reader.filePaths.reduce(0) { $0 + Int64(fs.bytes($1).count) })

        let w = try SSTableWriter(fileSystem: fs, directory: "/t", generation: 13, options: TableOptions(), schema: nil, expectedPartitions: 1)
        try w.beginPartition(PartitionHeader(key: S.key("x")))
        #expect(try SSTableReader.generations(in: "/t", fileSystem: fs) == [12, 13])
        w.abort()
        #expect(try SSTableReader.generations(in: "/t", fileSystem: fs) == [12])
    }

    @Test("the block cache serves repeated, differently projected and evicted reads correctly",
          arguments: [64 << 10, 1 << 20])
    func blockCache(capacityBytes: Int) throws {
        let fs = SSTableTestFileSystem()
        var options = TableOptions()
        options.chunkLengthBytes = 2048
        let partitions = S.randomPartitions(seed: 8, count: 80, maxRows: 20, columnCount: 10)
        _ = try S.write(partitions, fs: fs, options: options)
        let cache = SSTableBlockCache(capacityBytes: capacityBytes)
        let reader = try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1, blockCache: cache)
        for filter in [ColumnFilter([2]), .all, ColumnFilter([2, 7]), .all] {
            for p in partitions {
                let it = try #require(try reader.partition(p.header.key, slices: .all, columns: filter))
                var h = p.header
                h.staticRow = h.staticRow.map { S.project($0, filter) }
                #expect(try S.drain(it) == [TestPartition(header: h, rows: p.rows.map { S.project($0, filter) })])
            }
        }
        #expect(cache.sizeBytes > 0 && cache.sizeBytes <= capacityBytes)
    }

    @Test("point reads deep inside big blocks jump through cell checkpoints")
    func cellCheckpoints() throws {
        let fs = SSTableTestFileSystem()
        var rng = SplitMix64(seed: 23)
        let partitions = (0..<3000).map { i -> TestPartition in
            var cols: [ColumnData] = [.simple(1, .live(timestamp: Int64(i), value: S.randomBytes(i % 7, &rng)))]
            if i % 3 == 0 { cols.append(.simple(2, .live(timestamp: 9, value: [UInt8(i & 0xFF)]))) }
            if i % 11 == 0 { cols.append(.complex(3, ComplexColumnData(cells: [.live(timestamp: 1, value: [1], path: [0x40, 1])]))) }
            return TestPartition(header: PartitionHeader(key: S.key("p\(i)")), rows: [Row(clustering: [], columns: cols)])
        }.sorted { $0.header.key < $1.header.key }
        let reader = try S.write(partitions, fs: fs)
        for p in partitions.reversed() {
            for filter in [ColumnFilter.all, ColumnFilter([2])] {
                let it = try #require(try reader.partition(p.header.key, slices: .all, columns: filter))
                #expect(try S.drain(it) == [TestPartition(header: p.header, rows: p.rows.map { S.project($0, filter) })])
            }
        }
    }

    @Test("an SSTable without partitions opens, scans empty and verifies")
    func emptyTable() throws {
        let fs = SSTableTestFileSystem()
        let reader = try S.write([], fs: fs)
        #expect(try S.drain(reader.scan(.all, slices: .all, columns: .all)).isEmpty)
        #expect(!reader.mayContain(S.key("x")))
        #expect(try reader.partition(S.key("x"), slices: .all, columns: .all) == nil)
        #expect(reader.verify() == [])
    }

    @Test("file names parse; a newer format version is refused, not guessed at")
    func versionRule() throws {
        #expect(SSTableFormat.parseFileName("hy-42-Data.db")! == (42, .data))
        #expect(SSTableFormat.parseFileName("hy-42-Summary.db") == nil)
        #expect(SSTableFormat.parseFileName("hy--1-Data.db") == nil)
        let fs = SSTableTestFileSystem()
        _ = try S.write(S.randomPartitions(seed: 1, count: 3, maxRows: 1), fs: fs)
        let path = "/t/hy-1-Statistics.db"
        var bytes = fs.bytes(path)
        bytes[4] = UInt8(SSTableFormat.currentVersion + 1)
        let crc = CRC32C.checksum(Array(bytes[0..<16]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[16 + i] = $0[i] } }
        fs.setBytes(path, bytes)
        #expect(throws: SSTableVersionError.self) { _ = try SSTableReader.open(fileSystem: fs, directory: "/t", generation: 1) }
    }

    @Test("the writer refuses keys and rows out of order")
    func orderChecks() throws {
        let fs = SSTableTestFileSystem()
        let w = try SSTableWriter(fileSystem: fs, directory: "/t", generation: 1, options: TableOptions(), schema: nil, expectedPartitions: 2)
        let keys = [S.key("a"), S.key("b")].sorted()
        try w.beginPartition(PartitionHeader(key: keys[1]))
        #expect(throws: SSTableWriterError.self) { try w.beginPartition(PartitionHeader(key: keys[0])) }
        try w.append(Row(clustering: S.clustering(2)))
        #expect(throws: SSTableWriterError.self) { try w.append(Row(clustering: S.clustering(1))) }
        let cell = Cell.live(timestamp: 1, value: [1])
        #expect(throws: SSTableWriterError.self) {
            try w.append(Row(clustering: S.clustering(5), columns: [.simple(2, cell), .simple(2, cell)]))
        }
        #expect(throws: SSTableWriterError.self) {
            try w.append(Row(clustering: S.clustering(6), columns: [.simple(3, cell), .simple(1, cell)]))
        }
        w.abort()
    }

    @Test("statistics and the schema header round-trip")
    func statistics() throws {
        let fs = SSTableTestFileSystem()
        let schema = SSTableSchemaHeader(keyspace: "gaia", table: "source",
                                         partitionKeyColumns: [.init(name: "healpix", type: "bigint")],
                                         clusteringColumns: [.init(name: "source_id", type: "bigint", order: .descending)],
                                         columns: [.init(id: 1, name: "ra", type: "double"), .init(id: 0, name: "note", type: "text", kind: .static)])
        let key = S.key("k")
        let p = TestPartition(header: PartitionHeader(key: key, deletion: DeletionTime(markedForDeleteAt: 3, localDeletionTime: 1_000_000)),
                              rows: [Row(clustering: S.clustering(1), liveness: LivenessInfo(timestamp: 10),
                                         columns: [.simple(1, .live(timestamp: 10, value: [1, 2]))]),
                                     Row(clustering: S.clustering(2), columns: [.simple(1, .tombstone(timestamp: 20, nowInSeconds: 2_000_000))])])
        let reader = try S.write([p], fs: fs, schema: schema)
        let st = reader.statistics
        #expect(st.schema == schema)
        #expect(st.minTimestamp == 3 && st.maxTimestamp == 20)
        #expect(st.tombstoneCount == 2)
        #expect(st.maxLocalDeletionTime == 2_000_000)
        #expect(st.minToken == key.token && st.maxToken == key.token)
        #expect(st.partitionSizeHistogram.totalCount == 1)
        #expect(st.estimatedDroppableTombstones(gcBefore: 1_500_000) == 1)
        #expect(st.estimatedDroppableTombstones(gcBefore: 3_000_000) == 2)
        #expect(st.uncompressedDataBytes > 0 && st.compressedDataBytes > 0)
    }
}
