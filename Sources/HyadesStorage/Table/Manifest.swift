import Foundation
import HyadesCore

/// The durable record of a table's live SSTables and of how much of the commit log is
/// already in them. Changing the live set (flush, compaction, truncate) means writing a
/// new MANIFEST atomically: temp file, fsync, rename, directory fsync. Files on disk that
/// the MANIFEST does not name are leftovers of an interrupted flush or compaction.
public struct Manifest: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var generation: Int64
        /// Leveled compaction's level (0 under size-tiered).
        public var level: Int
        public init(generation: Int64, level: Int) {
            self.generation = generation
            self.level = level
        }
    }

    public var table: TableID
    /// Every mutation of this table before this commit-log position is in an SSTable.
    public var flushedPosition: CommitLogPosition?
    /// The next SSTable generation to allocate (never reused, even for aborted outputs).
    public var nextGeneration: Int64
    public var sstables: [Entry]
    /// Streaming sessions whose SSTables were adopted (`importSSTables`), oldest first, at
    /// most `ManifestFormat.maxImportedSessions`: recorded in the same edit that names the
    /// SSTables, so a session is either adopted and remembered, or neither.
    public var importedSessions: [UUID]

    public init(table: TableID, flushedPosition: CommitLogPosition? = nil, nextGeneration: Int64 = 1, sstables: [Entry] = [],
                importedSessions: [UUID] = []) {
        self.table = table
        self.flushedPosition = flushedPosition
        self.nextGeneration = nextGeneration
        self.sstables = sstables
        self.importedSessions = importedSessions
    }

    public func serialized() -> [UInt8] {
        var p: [UInt8] = []
        Self.put(&p, table.high)
        Self.put(&p, table.low)
        if let pos = flushedPosition {
            p.append(ManifestFormat.hasFlushedPosition)
            Self.put(&p, UInt64(bitPattern: pos.segmentID))
            Self.put(&p, UInt32(bitPattern: pos.offset))
        } else {
            p.append(0)
        }
        Self.put(&p, UInt64(bitPattern: nextGeneration))
        Self.put(&p, UInt32(sstables.count))
        for e in sstables {
            Self.put(&p, UInt64(bitPattern: e.generation))
            p.append(UInt8(clamping: e.level))
        }
        // Version 1 stays byte-identical for tables that never imported anything.
        let version = importedSessions.isEmpty ? 1 : ManifestFormat.currentVersion
        if !importedSessions.isEmpty {
            Self.put(&p, UInt32(importedSessions.count))
            for id in importedSessions { withUnsafeBytes(of: id.uuid) { p.append(contentsOf: $0) } }
        }
        var out = ManifestFormat.magic
        Self.put(&out, version)
        Self.put(&out, UInt16(0))
        Self.put(&out, UInt32(p.count))
        out += p
        Self.put(&out, CRC32C.checksum(out))
        return out
    }

    public static func deserialize(_ bytes: [UInt8], path: String) throws -> Manifest {
        func fail(_ offset: Int, _ why: String) -> ManifestError { ManifestError(path: path, offset: offset, message: why) }
        guard bytes.count >= ManifestFormat.headerSize + ManifestFormat.trailerSize else { throw fail(0, "file too short (\(bytes.count) bytes)") }
        guard Array(bytes[0..<4]) == ManifestFormat.magic else { throw fail(0, "bad magic") }
        var r = Reader(bytes: bytes, offset: 4)
        let version: UInt16 = r.get()
        guard version >= 1 && version <= ManifestFormat.currentVersion else { throw fail(4, "unsupported version \(version)") }
        let _: UInt16 = r.get()
        let length: UInt32 = r.get()
        guard Int(length) <= ManifestFormat.maxPayloadBytes,
              ManifestFormat.headerSize + Int(length) + ManifestFormat.trailerSize == bytes.count else {
            throw fail(8, "payload length \(length) does not match the file size \(bytes.count)")
        }
        let crcOffset = bytes.count - 4
        let stored = bytes[crcOffset..<bytes.count].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        let computed = bytes[0..<crcOffset].withUnsafeBytes { CRC32C.checksum($0) }
        guard UInt32(littleEndian: stored) == computed else { throw fail(crcOffset, "checksum mismatch") }
        let end = crcOffset
        func need(_ n: Int) throws { if r.offset + n > end { throw fail(r.offset, "truncated payload") } }
        try need(17)
        let high: UInt64 = r.get(), low: UInt64 = r.get()
        let flags = r.byte()
        var position: CommitLogPosition?
        if flags & ManifestFormat.hasFlushedPosition != 0 {
            try need(12)
            let seg: UInt64 = r.get(), off: UInt32 = r.get()
            position = CommitLogPosition(segmentID: Int64(bitPattern: seg), offset: Int32(bitPattern: off))
        }
        try need(12)
        let next: UInt64 = r.get()
        let count: UInt32 = r.get()
        if version == 1 {
            guard Int(count) * 9 == end - r.offset else { throw fail(r.offset, "SSTable count \(count) does not match the payload") }
        } else {
            guard Int(count) * 9 + 4 <= end - r.offset else { throw fail(r.offset, "SSTable count \(count) does not match the payload") }
        }
        var entries: [Entry] = []
        for _ in 0..<count {
            let g: UInt64 = r.get()
            entries.append(Entry(generation: Int64(bitPattern: g), level: Int(r.byte())))
        }
        var sessions: [UUID] = []
        if version >= 2 {
            let n: UInt32 = r.get()
            guard Int(n) <= ManifestFormat.maxImportedSessions, Int(n) * 16 == end - r.offset else {
                throw fail(r.offset, "imported session count \(n) does not match the payload")
            }
            for _ in 0..<n {
                var u = [UInt8](repeating: 0, count: 16)
                for i in 0..<16 { u[i] = r.byte() }
                sessions.append(UUID(uuid: (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
                                            u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15])))
            }
        }
        return Manifest(table: TableID(high: high, low: low), flushedPosition: position,
                        nextGeneration: Int64(bitPattern: next), sstables: entries, importedSessions: sessions)
    }

    /// Reads the MANIFEST of `directory`; nil when there is none (a new table).
    static func load(directory: String, fileSystem: any FileSystem) throws -> Manifest? {
        let path = directory + "/" + ManifestFormat.fileName
        guard fileSystem.fileExists(path) else { return nil }
        let file = try fileSystem.openForReading(path)
        defer { file.close() }
        let bytes = try file.read(at: 0, count: Int(file.size))
        return try deserialize(bytes, path: path)
    }

    /// Replaces the MANIFEST of `directory` durably and atomically.
    func store(directory: String, fileSystem: any FileSystem) throws {
        let temp = directory + "/" + ManifestFormat.tempFileName
        let file = try fileSystem.createForWriting(temp)
        do {
            try file.append(serialized())
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
        try fileSystem.rename(temp, to: directory + "/" + ManifestFormat.fileName)
        try fileSystem.syncDirectory(directory)
    }

    private static func put<T: FixedWidthInteger>(_ out: inout [UInt8], _ v: T) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset: Int
        mutating func get<T: FixedWidthInteger>() -> T {
            var v: T = 0
            withUnsafeMutableBytes(of: &v) { dst in
                for i in 0..<MemoryLayout<T>.size { dst[i] = bytes[offset + i] }
            }
            offset += MemoryLayout<T>.size
            return T(littleEndian: v)
        }
        mutating func byte() -> UInt8 { defer { offset += 1 }; return bytes[offset] }
    }
}

/// A MANIFEST that cannot be trusted: which file, where, and why.
public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var offset: Int
    public var message: String
    public var description: String { "corrupt manifest \(path) at offset \(offset): \(message)" }
}
