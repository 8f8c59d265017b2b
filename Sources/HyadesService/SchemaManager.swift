import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
import Synchronization

/// Errors of schema changes that are not the client's (I/O, storage).
public struct SchemaManagerError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// The node's schema: the live keyspaces and tables (a thread-safe `SchemaView`), the
/// durable schema file in the data directory, and one `TableStore` per table in the
/// storage engine (directory `<data>/<keyspace>/<table>-<table id hex>`).
///
/// Start-up: `init` (reads the schema file and opens every table), then the caller runs
/// `engine.replayCommitLog()`.
public final class SchemaManager: SchemaView, @unchecked Sendable {
    public let engine: StorageEngine
    public let dataDirectory: String
    public let defaultMemtableLimitBytes: Int

    private struct State {
        var schema = InMemorySchema()
        var version = UUID()
    }
    private let state = Mutex(State())
    /// Serialises schema changes (file write + table store open/close) so the file always
    /// matches the applied state.
    private let changeLock = NSLock()
    /// Called after every applied change with the schema before it (the prepared
    /// statement cache evicts through it).
    private let listeners = Mutex<[@Sendable (SchemaChangePlan, InMemorySchema) -> Void]>([])
    /// Called after a change made on this node (not one adopted from a peer) with the
    /// schema's new timestamp: the cluster's schema sync pushes it to the other nodes.
    let localListeners = Mutex<[@Sendable (Int64) -> Void]>([])
    /// When the schema last changed (µs), kept in `schema-timestamp.txt`: between nodes
    /// the newer schema wins (`SchemaManager+Sync.swift`).
    let timestamp = Mutex<Int64>(0)
    /// When each schema object last changed or was dropped (`schema-clock.txt`): nodes
    /// merge schemas object by object with it (`SchemaClock`).
    let clock = Mutex(SchemaClock())

    public init(engine: StorageEngine, dataDirectory: String, memtableLimitBytes: Int = 64 << 20) throws {
        self.engine = engine
        self.dataDirectory = dataDirectory
        self.defaultMemtableLimitBytes = memtableLimitBytes
        try engine.fileSystem.createDirectory(dataDirectory)
        let keyspaces = try SchemaFile.read(directory: dataDirectory, fileSystem: engine.fileSystem) ?? []
        let schema = InMemorySchema(keyspaces)
        for ks in keyspaces {
            for t in ks.tables.values { _ = try openStore(t) }
        }
        let version = try Self.version(of: keyspaces)
        state.withLock { $0.schema = schema; $0.version = version }
        let ts = Self.readTimestamp(directory: dataDirectory, fileSystem: engine.fileSystem)
        timestamp.withLock { $0 = ts }
        // A schema from before per-object clocks: every object as of the schema's time.
        let stored = Self.readClock(directory: dataDirectory, fileSystem: engine.fileSystem)
        clock.withLock { $0 = stored ?? SchemaClock.uniform(schema, at: ts) }
    }

    // MARK: SchemaView

    public func keyspace(named name: String) -> KeyspaceMetadata? { state.withLock { $0.schema.keyspaces[name] } }

    /// A consistent copy of the whole schema.
    public var snapshot: InMemorySchema { state.withLock { $0.schema } }

    /// Changes on every schema change: a digest of the schema (name-based UUID, version 3).
    public var schemaVersion: UUID { state.withLock { $0.version } }

    public func tableStore(_ id: TableID) -> TableStore? { engine.table(id) }

    /// The directory of a table's files.
    public func directory(of t: TableMetadata) -> String {
        dataDirectory + "/" + t.keyspace + "/" + t.name + "-" + Self.hex(t.id)
    }

    // MARK: changes

    /// Registers `listener`, called after every schema change this node applies, in order,
    /// with the schema as it was before the change.
    public func addChangeListener(_ listener: @escaping @Sendable (SchemaChangePlan, InMemorySchema) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    /// Applies a schema change: validated against the live schema under the change lock,
    /// persisted, then table stores opened or closed. Returns false when nothing changed
    /// (IF [NOT] EXISTS).
    @discardableResult
    public func apply(_ change: SchemaChangePlan) throws -> Bool {
        changeLock.lock()
        defer { changeLock.unlock() }
        let old = snapshot
        var new = old
        guard try new.apply(change) else { return false }
        try install(new, replacing: old)
        let timestamp = try advanceTimestamp(to: nil)
        var c = clock.withLock { $0 }
        c.stamp(changesFrom: old, to: new, at: timestamp)
        try saveClock(c)
        for listener in listeners.withLock({ $0 }) { listener(change, old) }
        for listener in localListeners.withLock({ $0 }) { listener(timestamp) }
        return true
    }

    /// Makes `new` the live schema: opens the stores of tables that appear (by id), writes
    /// the schema file, then closes the stores of tables that disappear and (unless
    /// `keepDroppedFiles`) removes their files. Caller holds `changeLock`.
    func install(_ new: InMemorySchema, replacing old: InMemorySchema, keepDroppedFiles: Bool = false) throws {
        // Tables that appear or disappear (by id).
        let oldTables = Self.tables(old), newTables = Self.tables(new)
        var opened: [TableID] = []
        do {
            for (id, t) in newTables where oldTables[id] == nil {
                _ = try openStore(t)
                opened.append(id)
            }
            try SchemaFile.write(Array(new.keyspaces.values), directory: dataDirectory, fileSystem: engine.fileSystem)
        } catch {
            for id in opened { engine.table(id)?.close() }
            throw error
        }
        let version = try Self.version(of: Array(new.keyspaces.values))
        state.withLock { $0.schema = new; $0.version = version }
        for (id, t) in oldTables where newTables[id] == nil {
            if keepDroppedFiles {
                engine.table(id)?.close()
            } else {
                dropStore(t)
            }
        }
        guard !keepDroppedFiles else { return }
        for name in old.keyspaces.keys where new.keyspaces[name] == nil {
            try? FileManager.default.removeItem(atPath: dataDirectory + "/" + name)
        }
    }

    func withChangeLock<T>(_ body: () throws -> T) throws -> T {
        changeLock.lock()
        defer { changeLock.unlock() }
        return try body()
    }

    var listenersSnapshot: [@Sendable (SchemaChangePlan, InMemorySchema) -> Void] { listeners.withLock { $0 } }

    /// TRUNCATE: discards every SSTable and memtable of the table.
    public func truncate(keyspace: String, table: String) throws {
        guard let t = self.table(keyspace: keyspace, name: table) else {
            throw SchemaManagerError(message: "unconfigured table \(table)")
        }
        guard let store = engine.table(t.id) else { throw SchemaManagerError(message: "table \(keyspace).\(table) is not open") }
        try store.truncate()
    }

    /// Closes every table store (the engine's shutdown closes them too).
    public func close() {
        for (id, _) in Self.tables(snapshot) { engine.table(id)?.close() }
    }

    // MARK: helpers

    private func openStore(_ t: TableMetadata) throws -> TableStore {
        if let s = engine.table(t.id) { return s }
        try engine.fileSystem.createDirectory(dataDirectory + "/" + t.keyspace)
        // The schema header makes the node's own SSTables self-describing: `sstable dump`
        // names columns, and they can be imported elsewhere (`hyades sstable import`).
        return try engine.openTable(t.id, directory: directory(of: t), options: Self.options(t.params, memtable: defaultMemtableLimitBytes),
                                    schema: SSTableSchemaHeader(table: t))
    }

    /// Closes the store and removes its files (Cassandra would snapshot first; we do not).
    private func dropStore(_ t: TableMetadata) {
        guard let store = engine.table(t.id) else { return }
        store.close()
        let fs = engine.fileSystem
        let dir = directory(of: t)
        if let names = try? fs.listDirectory(dir) {
            for n in names { try? fs.removeFile(dir + "/" + n) }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    static func tables(_ s: InMemorySchema) -> [TableID: TableMetadata] {
        var out: [TableID: TableMetadata] = [:]
        for ks in s.keyspaces.values { for t in ks.tables.values { out[t.id] = t } }
        return out
    }

    static func options(_ p: TableParams, memtable: Int) -> TableOptions {
        TableOptions(params: p, memtableLimitBytes: memtable)
    }

    static func version(of keyspaces: [KeyspaceMetadata]) throws -> UUID {
        let bytes = try SchemaFile.encode(keyspaces)
        let h = bytes.withUnsafeBytes { Murmur3.hash128($0) }
        var u = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            u[i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: h.h1) >> (56 - 8 * UInt64(i)))
            u[8 + i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: h.h2) >> (56 - 8 * UInt64(i)))
        }
        u[6] = u[6] & 0x0F | 0x30
        u[8] = u[8] & 0x3F | 0x80
        return UUID(uuid: (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]))
    }

    static func hex(_ id: TableID) -> String {
        func h(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return h(id.high) + h(id.low)
    }
}
