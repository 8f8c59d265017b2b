import Foundation
import HyadesCore

/// What `importSSTables` adopted.
public struct SSTableImportResult: Hashable, Sendable {
    /// The session id was already committed on this table: nothing was adopted again.
    public var alreadyImported: Bool
    /// Generations the SSTables received in the table directory, in import order.
    public var generations: [Int64]
    public var partitionCount: Int64
    public var rowCount: Int64
    public var onDiskBytes: Int64

    public init(alreadyImported: Bool, generations: [Int64], partitionCount: Int64, rowCount: Int64, onDiskBytes: Int64) {
        self.alreadyImported = alreadyImported
        self.generations = generations
        self.partitionCount = partitionCount
        self.rowCount = rowCount
        self.onDiskBytes = onDiskBytes
    }

    public static func already() -> SSTableImportResult {
        SSTableImportResult(alreadyImported: true, generations: [], partitionCount: 0, rowCount: 0, onDiskBytes: 0)
    }
}

/// Why an import adopted nothing: which file and what is wrong with it.
public struct SSTableImportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Hashable {
        /// Nothing to import, or files that are not whole SSTables.
        case invalidInput
        /// A checksum or structure check failed.
        case corrupt
        /// The SSTable's schema header does not fit the table.
        case schemaMismatch
    }
    public var kind: Kind
    public var path: String
    public var message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "cannot import \(path): \(message)" }
}

extension TableStore {
    /// True when a streaming session with this id was already adopted (recorded in the MANIFEST).
    public func hasImported(sessionID: UUID) -> Bool {
        state.withLock { $0.manifest.importedSessions.contains(sessionID) }
    }

    /// Adopts the SSTables in `directory` (Cassandra's `nodetool import`): every file of
    /// every SSTable checked (all checksums, schema header against `expectedSchema` or the
    /// table's own; with `extendedVerify` also every block decompressed and every entry
    /// and cell walked, as Cassandra's opt-in extended verify), then renamed into the table directory under fresh generations and
    /// named in ONE new MANIFEST, which also records `sessionID`. Crash-consistent: either
    /// all of them are live after a restart or none (renamed files no MANIFEST names are
    /// removed at start). No row goes through the commit log.
    ///
    /// Any problem with any file adopts nothing and throws `SSTableImportError`; the files
    /// then stay in `directory`. On success `directory` holds none of them any more. A
    /// `sessionID` already recorded returns `alreadyImported` without touching the files.
    public func importSSTables(from directory: String, sessionID: UUID? = nil,
                               expectedSchema: SSTableSchemaHeader? = nil, extendedVerify: Bool = false) throws -> SSTableImportResult {
        try importSSTables(fromDirectories: [directory], sessionID: sessionID, expectedSchema: expectedSchema,
                           extendedVerify: extendedVerify)
    }

    /// The same for the SSTables of several directories (the sessions of one atomic load,
    /// `hyades load --atomic`): all of them adopted in ONE MANIFEST edit, or none.
    public func importSSTables(fromDirectories directories: [String], sessionID: UUID? = nil,
                               expectedSchema: SSTableSchemaHeader? = nil, extendedVerify: Bool = false) throws -> SSTableImportResult {
        try engine.checkRunning()
        if let sessionID, hasImported(sessionID: sessionID) { return .already() }
        let fs = fileSystem
        let candidates: [(directory: String, generation: Int64)] = try directories.flatMap { d in
            try Self.sstablesToImport(in: d, fileSystem: fs).map { (d, $0) }
        }
        let expected = expectedSchema ?? schema

        // 1. Check everything before changing anything. The SSTables are verified in
        //    parallel (checksumming, and with extendedVerify decoding, every block is most
        //    of an import's CPU); the first problem in candidate order is reported.
        let checks = ImportChecks(count: candidates.count)
        DispatchQueue.concurrentPerform(iterations: candidates.count) { i in
            checks.set(i, Result { try Self.check(fs, directory: candidates[i].directory, generation: candidates[i].generation,
                                                 expected: expected, extended: extendedVerify) })
        }
        var partitions: Int64 = 0, rows: Int64 = 0, bytes: Int64 = 0
        for r in checks.results {
            let c = try r!.get()
            partitions += c.partitions
            rows += c.rows
            bytes += c.bytes
        }

        // 2. Move the files in under fresh generations, restamp their headers with the new
        //    generation, make them durable. Until the MANIFEST names them they are
        //    leftovers to the engine (removed at start after a crash).
        var moved: [(from: String, to: String, component: SSTableFormat.Component, source: Int64, target: Int64)] = []
        var adopted: [(source: Int64, generation: Int64)] = []
        // Gives the files back as they came (best effort; a failed fsync stopped the engine).
        func giveBack() {
            for m in moved.reversed() {
                try? Self.restamp(fs, path: m.to, component: m.component, from: m.target, to: m.source)
                try? fs.rename(m.to, to: m.from)
            }
        }
        do {
            for (directory, g) in candidates {
                let target = allocateGeneration()
                for c in SSTableFormat.Component.allCases {
                    let from = directory + "/" + SSTableFormat.fileName(generation: g, c)
                    let to = self.directory + "/" + SSTableFormat.fileName(generation: target, c)
                    try fs.rename(from, to: to)
                    moved.append((from, to, c, g, target))
                    try Self.restamp(fs, path: to, component: c, from: g, to: target)
                    let f = try fs.openForAppending(to)
                    do { try f.sync() } catch {
                        try? f.close()
                        engine.fail(error)
                        throw error
                    }
                    try f.close()
                }
                adopted.append((g, target))
            }
            try fs.syncDirectory(self.directory)
            for d in directories { try fs.syncDirectory(d) }
        } catch {
            giveBack()
            throw error
        }
        var readers: [SSTableReader] = []
        do {
            for a in adopted { readers.append(try SSTableReader.open(fileSystem: fs, directory: self.directory, generation: a.generation)) }
        } catch {
            readers = []
            giveBack()
            throw error
        }

        // 3. One MANIFEST edit adopts them all (and remembers the session).
        let committed: Bool
        do {
            committed = try state.withLock { s -> Bool in
                if let sessionID, s.manifest.importedSessions.contains(sessionID) { return false }
                var m = s.manifest
                m.sstables += readers.map { Manifest.Entry(generation: $0.generation, level: 0) }
                if let sessionID {
                    m.importedSessions.append(sessionID)
                    if m.importedSessions.count > ManifestFormat.maxImportedSessions {
                        m.importedSessions.removeFirst(m.importedSessions.count - ManifestFormat.maxImportedSessions)
                    }
                }
                try m.store(directory: self.directory, fileSystem: fs)
                s.manifest = m
                s.sstables += readers.map { LiveSSTable($0, level: 0) }
                return true
            }
        } catch {
            // The MANIFEST's fate is unknown after a failed write or fsync: stop, as a flush does.
            engine.fail(error)
            throw error
        }
        guard committed else {
            // Another connection committed the same session meanwhile.
            removeFiles(of: readers)
            return .already()
        }
        maybeCompactInBackground()
        return SSTableImportResult(alreadyImported: false, generations: adopted.map(\.generation),
                                   partitionCount: partitions, rowCount: rows, onDiskBytes: bytes)
    }

    /// Checks every SSTable in `directory` as an import would (every checksum, the schema
    /// header against `expectedSchema` or the table's), changing nothing: a session staged
    /// for an atomic load is checked when it arrives, so a bad file fails the load early.
    public func checkStaged(directory: String, expectedSchema: SSTableSchemaHeader? = nil,
                            extendedVerify: Bool = false) throws -> SSTableImportResult {
        let fs = fileSystem
        let generations = try Self.sstablesToImport(in: directory, fileSystem: fs)
        var partitions: Int64 = 0, rows: Int64 = 0, bytes: Int64 = 0
        for g in generations {
            let c = try Self.check(fs, directory: directory, generation: g, expected: expectedSchema ?? schema, extended: extendedVerify)
            partitions += c.partitions
            rows += c.rows
            bytes += c.bytes
        }
        return SSTableImportResult(alreadyImported: false, generations: generations, partitionCount: partitions,
                                   rowCount: rows, onDiskBytes: bytes)
    }

    /// Checks one staged SSTable: every checksum (and with `extended` every block's
    /// contents), then its schema header against `expected`. Returns its counts.
    static func check(_ fs: any FileSystem, directory: String, generation g: Int64,
                      expected: SSTableSchemaHeader?, extended: Bool = false) throws -> (partitions: Int64, rows: Int64, bytes: Int64) {
        let dataPath = directory + "/" + SSTableFormat.fileName(generation: g, .data)
        let damage = SSTableVerifier.verify(fileSystem: fs, directory: directory, generation: g, extended: extended)
        if let first = damage.first {
            let more = damage.count > 1 ? " (and \(damage.count - 1) more problems)" : ""
            throw SSTableImportError(.corrupt, path: first.path, "\(first)\(more)")
        }
        let reader: SSTableReader
        do { reader = try SSTableReader.open(fileSystem: fs, directory: directory, generation: g, blockCache: nil) } catch {
            throw SSTableImportError(.corrupt, path: dataPath, "\(error)")
        }
        if let expected {
            guard let found = reader.statistics.schema else {
                throw SSTableImportError(.schemaMismatch, path: reader.filePaths[3],
                                         "the SSTable has no schema header, so it cannot be checked against table \(expected.keyspace).\(expected.table)")
            }
            if let why = found.incompatibility(with: expected) {
                throw SSTableImportError(.schemaMismatch, path: reader.filePaths[3],
                                         "written for \(found.keyspace).\(found.table), does not fit table \(expected.keyspace).\(expected.table): \(why)")
            }
        }
        return (reader.statistics.partitionCount, reader.statistics.rowCount, reader.onDiskSizeBytes)
    }

    /// Rewrites the generation in a component's 20-byte header (the header names its file's
    /// generation to catch misplaced files; nothing else in the file depends on it).
    static func restamp(_ fs: any FileSystem, path: String, component: SSTableFormat.Component, from old: Int64, to new: Int64) throws {
        let file = try fs.openForReading(path)
        let header: SSTableFileHeader
        do { header = try SSTableFileHeader.read(file, component: component, generation: old) } catch {
            file.close()
            throw error
        }
        file.close()
        var stamped = header
        stamped.generation = new
        try fs.writeInPlace(path, at: 0, stamped.encoded())
    }

    /// Generations of the whole SSTables in `directory`; throws on stray or partial ones.
    static func sstablesToImport(in directory: String, fileSystem fs: any FileSystem) throws -> [Int64] {
        let names: [String]
        do { names = try fs.listDirectory(directory) } catch {
            throw SSTableImportError(.invalidInput, path: directory, "cannot list the directory: \(error)")
        }
        var components: [Int64: Set<SSTableFormat.Component>] = [:]
        for name in names where name.hasPrefix("hy-") {
            guard let (g, c) = SSTableFormat.parseFileName(name) else {
                throw SSTableImportError(.invalidInput, path: directory + "/" + name,
                                         "not an SSTable component (expected hy-<generation>-<Data.db|Index.db|Filter.db|Statistics.db>)")
            }
            components[g, default: []].insert(c)
        }
        guard !components.isEmpty else {
            throw SSTableImportError(.invalidInput, path: directory, "no SSTables (hy-<generation>-Data.db ...) in the directory")
        }
        for (g, cs) in components where cs.count != SSTableFormat.Component.allCases.count {
            let missing = SSTableFormat.Component.allCases.filter { !cs.contains($0) }.map(\.rawValue)
            throw SSTableImportError(.invalidInput, path: directory + "/" + SSTableFormat.fileName(generation: g, .data),
                                     "SSTable generation \(g) is incomplete: missing \(missing.joined(separator: ", "))")
        }
        return components.keys.sorted()
    }
}

/// Results of the parallel checks, one slot per SSTable (each task writes only its own).
private final class ImportChecks: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<(partitions: Int64, rows: Int64, bytes: Int64), any Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<(partitions: Int64, rows: Int64, bytes: Int64), any Error>) { lock.withLock { values[i] = r } }
    var results: [Result<(partitions: Int64, rows: Int64, bytes: Int64), any Error>?] { lock.withLock { values } }
}
