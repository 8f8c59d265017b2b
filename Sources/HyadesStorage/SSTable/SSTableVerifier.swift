import HyadesCore

/// Checks every checksum of every file of one SSTable, continuing past damage where the
/// structure allows, so `sstable verify` reports everything it can.
///
/// Two depths, as Cassandra's `nodetool verify` / `nodetool import`: `extended` also
/// decompresses every segment and walks every entry and cell of every block (what
/// `sstable verify` does); without it every CRC32C is checked (each block header, each
/// stored segment, the index, filter and statistics) and the block chain is followed,
/// nothing is decompressed. That catches any damage in transit or on disk; only a file
/// forged with correct checksums gets past it, and the readers still refuse such a
/// block with an error (their cursors are bounds-checked) rather than crash.
enum SSTableVerifier {
    static func verify(fileSystem: any FileSystem, directory: String, generation: Int64, extended: Bool = true) -> [SSTableDamage] {
        var damage: [SSTableDamage] = []
        func path(_ c: SSTableFormat.Component) -> String { directory + "/" + SSTableFormat.fileName(generation: generation, c) }
        func record(_ error: any Error, _ p: String) {
            if let e = error as? SSTableCorruptionError {
                damage.append(SSTableDamage(e))
            } else {
                damage.append(SSTableDamage(path: p, offset: 0, what: "\(error)"))
            }
        }
        func open(_ c: SSTableFormat.Component) -> (any ReadableFile)? {
            do { return try fileSystem.openForReading(path(c)) } catch {
                damage.append(SSTableDamage(path: path(c), offset: 0, what: "cannot open: \(error)"))
                return nil
            }
        }

        var stats: SSTableStatistics?
        if let f = open(.statistics) {
            do { stats = try SSTableStatistics.read(f, generation: generation) } catch { record(error, f.path) }
            f.close()
        }
        if let f = open(.filter) {
            do { _ = try BloomFilter.read(f, generation: generation) } catch { record(error, f.path) }
            f.close()
        }
        if let f = open(.index) {
            do {
                let ix = try PartitionIndexReader(file: f, generation: generation)
                for i in ix.summary.indices {
                    do { _ = try ix.group(i) } catch { record(error, f.path) }
                }
            } catch { record(error, f.path) }
            f.close()
        }
        if let f = open(.data) {
            verifyData(f, generation: generation, stats: stats, extended: extended, damage: &damage)
            f.close()
        }
        return damage
    }

    static func verifyData(_ f: any ReadableFile, generation: Int64, stats: SSTableStatistics?, extended: Bool = true,
                           damage: inout [SSTableDamage]) {
        do { _ = try SSTableFileHeader.read(f, component: .data, generation: generation) } catch {
            if let e = error as? SSTableCorruptionError { damage.append(SSTableDamage(e)) }
            else { damage.append(SSTableDamage(path: f.path, offset: 0, what: "\(error)")) }
            return
        }
        let end = f.size
        if let stats, stats.dataEndOffset != end {
            damage.append(SSTableDamage(path: f.path, offset: end, what: "data file is \(end) bytes, statistics say \(stats.dataEndOffset)"))
        }
        var offset = Int64(SSTableFormat.fileHeaderSize)
        var blocks: Int64 = 0
        while offset < end {
            // The header's length lets us go on past a damaged segment; a damaged header stops the walk.
            let length: Int
            do {
                length = try f.withBytes(at: offset, count: Int(min(Int64(1 << 20), end - offset))) { raw -> Int in
                    guard raw.count >= SSTableFormat.blockHeaderFixedSize else {
                        throw SSTableCorruptionError(path: f.path, offset: offset, what: "block header truncated")
                    }
                    let n = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                    let segs = Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt16.self)))
                    let hs = SSTableFormat.blockHeaderFixedSize + segs * SSTableFormat.directoryEntrySize + 4
                    if hs <= raw.count {
                        _ = try BlockHeader.parse(UnsafeRawBufferPointer(rebasing: raw[0..<hs]), offset: offset, limit: end - offset, path: f.path)
                    } else {
                        throw SSTableCorruptionError(path: f.path, offset: offset, what: "block header truncated")
                    }
                    return n
                }
            } catch {
                if let e = error as? SSTableCorruptionError { damage.append(SSTableDamage(e)) }
                else { damage.append(SSTableDamage(path: f.path, offset: offset, what: "\(error)")) }
                return
            }
            if !extended {
                do { try checkSegmentChecksums(f, at: offset, length: length, dataEnd: end) } catch {
                    if let e = error as? SSTableCorruptionError { damage.append(SSTableDamage(e)) }
                    else { damage.append(SSTableDamage(path: f.path, offset: offset, what: "\(error)")) }
                }
                offset += Int64(length)
                blocks += 1
                continue
            }
            do {
                let b = try DecodedBlock.read(f, at: offset, dataEnd: end, columns: .all)
                do {
                    try b.verifyEntries()
                    try b.checkEnd()
                    for col in b.columns where !col.cursor.atEnd {
                        throw DecodeFailure("column \(col.columnID) has bytes past its last cell")
                    }
                } catch let e as DecodeFailure {
                    damage.append(SSTableDamage(path: f.path, offset: offset, what: "block contents: \(e.what)"))
                }
            } catch {
                if let e = error as? SSTableCorruptionError { damage.append(SSTableDamage(e)) }
                else { damage.append(SSTableDamage(path: f.path, offset: offset, what: "\(error)")) }
            }
            offset += Int64(length)
            blocks += 1
        }
        if let stats, stats.blockCount != blocks, damage.isEmpty {
            damage.append(SSTableDamage(path: f.path, offset: end, what: "\(blocks) blocks, statistics say \(stats.blockCount)"))
        }
    }
}

extension SSTableVerifier {
    /// The block's header CRC and every stored segment's CRC32C, over the bytes as stored
    /// (compressed): no decompression, no walk.
    static func checkSegmentChecksums(_ f: any ReadableFile, at offset: Int64, length: Int, dataEnd: Int64) throws {
        try f.withBytes(at: offset, count: length) { raw in
            let header = try BlockHeader.parse(raw, offset: offset, limit: dataEnd - offset, path: f.path)
            for (i, s) in header.segments.enumerated() {
                let stored = UnsafeRawBufferPointer(rebasing: raw[s.offset..<(s.offset + s.storedLength)])
                guard CRC32C.checksum(stored) == s.crc else {
                    let what = s.columnID == SSTableFormat.entriesSegmentID ? "entries" : "column \(s.columnID)"
                    throw SSTableCorruptionError(path: f.path, offset: offset + Int64(s.offset), what: "segment \(i) (\(what)) checksum mismatch")
                }
            }
        }
    }
}

extension SSTableReader {
    /// Verifies an SSTable that may be too damaged to open.
    public static func verify(fileSystem: any FileSystem, directory: String, generation: Int64) -> [SSTableDamage] {
        SSTableVerifier.verify(fileSystem: fileSystem, directory: directory, generation: generation)
    }
}
