import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage

/// The schema between nodes. Every schema carries the time of its last change (µs, the
/// larger of the clock and the previous time + 1); nodes exchange whole schemas (the schema
/// file's checksummed encoding) and the newer one wins everywhere, so after any sequence of
/// DDL on any nodes the cluster converges on one schema, never two (a DDL that lost a race
/// with a later one on another node is undone, as the last write of a Cassandra cell wins).
/// The timestamp is kept in `<data>/schema-timestamp.txt` (docs/formats/schema.md).
extension SchemaManager {
    static let timestampFileName = "schema-timestamp.txt"

    /// The schema, its timestamp and its per-object clock, encoded for a peer.
    public var syncSnapshot: (timestamp: Int64, bytes: [UInt8]) {
        let (ts, ks, _) = syncState
        return (ts, (try? SchemaFile.encode(ks)) ?? [])
    }

    /// The schema, its timestamp and its clock. Not under the change lock: pushes are sent
    /// from the change listeners, which run holding it. A push read while a change lands
    /// may pair the new schema with the old clock; the next push (every change pushes)
    /// carries both, and the merge converges.
    public var syncState: (timestamp: Int64, keyspaces: [KeyspaceMetadata], clock: SchemaClock) {
        (timestamp.withLock { $0 }, Array(snapshot.keyspaces.values), clock.withLock { $0 })
    }

    public var schemaClock: SchemaClock { clock.withLock { $0 } }

    /// What a schema push carries: timestamp, clock and the schema file's encoding.
    public var syncParts: (timestamp: Int64, clock: SchemaClock, bytes: [UInt8]) {
        let (ts, ks, c) = syncState
        return (ts, c, (try? SchemaFile.encode(ks)) ?? [])
    }

    static let clockFileName = "schema-clock.txt"

    /// Persists the clock (temporary file, fsync, rename, directory fsync). Caller holds the
    /// change lock.
    func saveClock(_ c: SchemaClock) throws {
        let fs = engine.fileSystem
        let path = dataDirectory + "/" + Self.clockFileName
        let f = try fs.createForWriting(path + ".tmp")
        do {
            try f.append(c.encoded)
            try f.sync()
            try f.close()
        } catch {
            try? f.close()
            throw error
        }
        try fs.rename(path + ".tmp", to: path)
        try fs.syncDirectory(dataDirectory)
        clock.withLock { $0 = c }
    }

    static func readClock(directory: String, fileSystem fs: any FileSystem) -> SchemaClock? {
        let path = directory + "/" + clockFileName
        guard fs.fileExists(path), let size = try? fs.fileSize(path), let f = try? fs.openForReading(path) else { return nil }
        defer { f.close() }
        guard let bytes = try? f.read(at: 0, count: Int(size)) else { return nil }
        return SchemaClock.decode(bytes)
    }

    /// Merges a peer's schema object by object (`SchemaClock.merge`): installs the result
    /// if it differs from ours (tables that lose keep their files), keeps the later clock,
    /// and says whether the peer lacks something of the result (then it gets ours).
    public func merge(_ bytes: [UInt8], clock remoteClock: SchemaClock, timestamp remote: Int64,
                      from peer: String) throws -> (changes: [SchemaChangePlan], peerIsBehind: Bool) {
        let keyspaces = try SchemaFile.decode(bytes, path: "schema from \(peer)")
        let theirs = InMemorySchema(keyspaces)
        return try withChangeLock { () -> ([SchemaChangePlan], Bool) in
            let old = snapshot
            let ours = clock.withLock { $0 }
            let (merged, mergedClock) = SchemaClock.merge(old, ours, theirs, remoteClock)
            let peerIsBehind = merged != theirs || mergedClock != remoteClock
            var changes: [SchemaChangePlan] = []
            if merged != old {
                try install(merged, replacing: old, keepDroppedFiles: true)
                changes = Self.changes(from: old, to: merged)
            }
            if mergedClock != ours { try saveClock(mergedClock) }
            if remote > schemaTimestamp { _ = try advanceTimestamp(to: remote) }
            for listener in listenersSnapshot { for c in changes { listener(c, old) } }
            return (changes, peerIsBehind)
        }
    }

    public var schemaTimestamp: Int64 { timestamp.withLock { $0 } }

    /// Registers `listener`, called after each change made on this node with its timestamp.
    public func addLocalChangeListener(_ listener: @escaping @Sendable (Int64) -> Void) {
        localListeners.withLock { $0.append(listener) }
    }

    /// Adopts a peer's schema if it is newer than ours: stores open, close and drop as the
    /// tables differ (by id), and the change listeners hear of every table and keyspace that
    /// changed. Returns whether it was adopted.
    @discardableResult
    public func adopt(_ bytes: [UInt8], timestamp remote: Int64, from peer: String) throws -> Bool {
        try adoptChanges(bytes, timestamp: remote, from: peer) != nil
    }

    /// `adopt`, returning what changed (nil: not adopted), as computed under the change
    /// lock against the schema it replaced.
    public func adoptChanges(_ bytes: [UInt8], timestamp remote: Int64, from peer: String) throws -> [SchemaChangePlan]? {
        let keyspaces = try SchemaFile.decode(bytes, path: "schema from \(peer)")
        return try withChangeLock { () -> [SchemaChangePlan]? in
            guard remote > schemaTimestamp else { return nil }
            let old = snapshot
            let new = InMemorySchema(keyspaces)
            // A table the newer schema lacks is closed, its files kept where they are (as
            // Cassandra's auto_snapshot keeps a dropped table's data): a node that joins a
            // cluster with tables of its own loses no data to the merge.
            try install(new, replacing: old, keepDroppedFiles: true)
            _ = try advanceTimestamp(to: remote)
            try saveClock(SchemaClock.uniform(new, at: remote))
            let changes = Self.changes(from: old, to: new)
            for listener in listenersSnapshot { for c in changes { listener(c, old) } }
            return changes
        }
    }

    /// The plans a whole-schema replacement amounts to (for the listeners: prepared
    /// statement eviction, the gossiped schema version).
    static func changes(from old: InMemorySchema, to new: InMemorySchema) -> [SchemaChangePlan] {
        var out: [SchemaChangePlan] = []
        for (name, ks) in old.keyspaces {
            guard let now = new.keyspaces[name] else { out.append(.dropKeyspace(name, ifExists: true)); continue }
            for (tn, t) in ks.tables {
                if let nt = now.tables[tn] {
                    if nt != t { out.append(.alterTable(nt)) }
                } else {
                    out.append(.dropTable(keyspace: name, name: tn, id: t.id, ifExists: true))
                }
            }
            for (un, _) in ks.userTypes where now.userTypes[un] == nil {
                out.append(.dropType(keyspace: name, name: un, ifExists: true))
            }
        }
        for (name, ks) in new.keyspaces {
            guard let before = old.keyspaces[name] else {
                out.append(.createKeyspace(ks, ifNotExists: true))
                for t in ks.tables.values { out.append(.createTable(t, ifNotExists: true)) }
                continue
            }
            if before.replication != ks.replication { out.append(.alterKeyspace(ks)) }
            for (tn, t) in ks.tables where before.tables[tn] == nil { out.append(.createTable(t, ifNotExists: true)) }
        }
        return out
    }

    /// Sets the schema timestamp to `remote`, or (a local change) to the larger of the clock
    /// and the last timestamp + 1; persists it. Caller holds the change lock.
    func advanceTimestamp(to remote: Int64?) throws -> Int64 {
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let ts = timestamp.withLock { t -> Int64 in
            t = remote ?? max(now, t + 1)
            return t
        }
        let body = "timestamp=\(ts)\n"
        let crc = String(CRC32C.checksum(Array(body.utf8)), radix: 16)
        // As the schema file is written (SchemaFile.write): temporary file, fsync, rename,
        // directory fsync, through the engine's file system.
        let fs = engine.fileSystem
        let path = dataDirectory + "/" + Self.timestampFileName
        let f = try fs.createForWriting(path + ".tmp")
        do {
            try f.append(Array((body + "crc32c=\(crc)\n").utf8))
            try f.sync()
            try f.close()
        } catch {
            try? f.close()
            throw error
        }
        try fs.rename(path + ".tmp", to: path)
        try fs.syncDirectory(dataDirectory)
        return ts
    }

    /// The stored timestamp; 0 when there is none or it does not check out (the schema then
    /// loses to any peer's, and is pulled from them).
    static func readTimestamp(directory: String, fileSystem fs: any FileSystem) -> Int64 {
        let path = directory + "/" + timestampFileName
        guard fs.fileExists(path), let size = try? fs.fileSize(path), let f = try? fs.openForReading(path) else { return 0 }
        defer { f.close() }
        guard let bytes = try? f.read(at: 0, count: Int(size)) else { return 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n")
        guard lines.count == 2, lines[0].hasPrefix("timestamp="), lines[1].hasPrefix("crc32c="),
              let ts = Int64(lines[0].dropFirst("timestamp=".count)),
              String(CRC32C.checksum(Array((String(lines[0]) + "\n").utf8)), radix: 16) == lines[1].dropFirst("crc32c=".count)
        else { return 0 }
        return ts
    }
}
