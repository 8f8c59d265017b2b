import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage

/// When each schema object last changed, and when dropped ones were dropped (µs): what lets
/// nodes merge schemas object by object, as Cassandra merges its schema tables' rows by
/// timestamp. Two nodes that each create a different table at the same moment end with both
/// tables; the same table created or altered on two nodes ends as the later version
/// everywhere; a drop wins over older versions and loses to a later re-creation.
/// Keys: `k:<keyspace>`, `t:<keyspace>.<table>`, `u:<keyspace>.<type>`.
public struct SchemaClock: Hashable, Sendable {
    public var live: [String: Int64] = [:]
    public var dropped: [String: Int64] = [:]

    public init(live: [String: Int64] = [:], dropped: [String: Int64] = [:]) {
        self.live = live
        self.dropped = dropped
    }

    static func keyspaceKey(_ ks: String) -> String { "k:" + ks }
    static func tableKey(_ ks: String, _ t: String) -> String { "t:" + ks + "." + t }
    static func typeKey(_ ks: String, _ u: String) -> String { "u:" + ks + "." + u }

    /// Every object of `schema` stamped `timestamp` (a schema from before clocks existed).
    static func uniform(_ schema: InMemorySchema, at timestamp: Int64) -> SchemaClock {
        var c = SchemaClock()
        c.stamp(changesFrom: InMemorySchema(), to: schema, at: timestamp)
        return c
    }

    /// Stamps what differs between two schemas: objects that appear or change get
    /// `timestamp`, objects that disappear a drop at `timestamp`.
    mutating func stamp(changesFrom old: InMemorySchema, to new: InMemorySchema, at timestamp: Int64) {
        func set(_ key: String, present: Bool) {
            if present {
                live[key] = timestamp
                dropped[key] = nil
            } else {
                dropped[key] = timestamp
                live[key] = nil
            }
        }
        for name in Set(old.keyspaces.keys).union(new.keyspaces.keys) {
            let a = old.keyspaces[name], b = new.keyspaces[name]
            if let b {
                if a == nil || a!.replication != b.replication || a!.durableWrites != b.durableWrites {
                    set(Self.keyspaceKey(name), present: true)
                }
            } else {
                set(Self.keyspaceKey(name), present: false)
            }
            for t in Set(a?.tables.keys ?? [:].keys).union(b?.tables.keys ?? [:].keys) where a?.tables[t] != b?.tables[t] {
                set(Self.tableKey(name, t), present: b?.tables[t] != nil)
            }
            for u in Set(a?.userTypes.keys ?? [:].keys).union(b?.userTypes.keys ?? [:].keys) where a?.userTypes[u] != b?.userTypes[u] {
                set(Self.typeKey(name, u), present: b?.userTypes[u] != nil)
            }
        }
    }

    /// The later of both clocks, key by key.
    func merged(with other: SchemaClock) -> SchemaClock {
        SchemaClock(live: live.merging(other.live, uniquingKeysWith: max),
                    dropped: dropped.merging(other.dropped, uniquingKeysWith: max))
    }

    // MARK: merge

    /// The schema both sides converge on: each object from the side that changed it last
    /// (ties broken by content, the same way on every node), unless a later drop removed it.
    static func merge(_ a: InMemorySchema, _ ca: SchemaClock, _ b: InMemorySchema, _ cb: SchemaClock)
        -> (InMemorySchema, SchemaClock) {
        let clock = ca.merged(with: cb)
        var out: [KeyspaceMetadata] = []
        for name in Set(a.keyspaces.keys).union(b.keyspaces.keys).sorted() {
            let ka = a.keyspaces[name], kb = b.keyspaces[name]
            let key = keyspaceKey(name)
            guard var shell = pick(ka, ca.live[key] ?? 0, kb, cb.live[key] ?? 0) else { continue }
            let keyspaceTime = max(ka == nil ? 0 : ca.live[key] ?? 0, kb == nil ? 0 : cb.live[key] ?? 0)
            let keyspaceDrop = clock.dropped[key] ?? Int64.min
            if keyspaceDrop >= keyspaceTime { continue }
            var tables: [String: TableMetadata] = [:]
            for t in Set(ka?.tables.keys ?? [:].keys).union(kb?.tables.keys ?? [:].keys) {
                let tk = tableKey(name, t)
                let ta = ka?.tables[t], tb = kb?.tables[t]
                let (ts, chosen) = pickTimed(ta, ca.live[tk] ?? 0, tb, cb.live[tk] ?? 0)
                guard let chosen, ts > (clock.dropped[tk] ?? Int64.min), ts > keyspaceDrop else { continue }
                tables[t] = chosen
            }
            var types: [String: UserTypeMetadata] = [:]
            for u in Set(ka?.userTypes.keys ?? [:].keys).union(kb?.userTypes.keys ?? [:].keys) {
                let uk = typeKey(name, u)
                let (ts, chosen) = pickTimed(ka?.userTypes[u], ca.live[uk] ?? 0, kb?.userTypes[u], cb.live[uk] ?? 0)
                guard let chosen, ts > (clock.dropped[uk] ?? Int64.min), ts > keyspaceDrop else { continue }
                types[u] = chosen
            }
            shell.tables = tables
            shell.userTypes = types
            out.append(shell)
        }
        return (InMemorySchema(out), clock)
    }

    static func pick<T: Hashable>(_ a: T?, _ ta: Int64, _ b: T?, _ tb: Int64) -> T? { pickTimed(a, ta, b, tb).1 }

    /// The version changed last; on equal times the same one on every node (by hash).
    static func pickTimed<T: Hashable>(_ a: T?, _ ta: Int64, _ b: T?, _ tb: Int64) -> (Int64, T?) {
        switch (a, b) {
        case (nil, nil): return (0, nil)
        case (let x?, nil): return (ta, x)
        case (nil, let y?): return (tb, y)
        case (let x?, let y?):
            if ta != tb { return ta > tb ? (ta, x) : (tb, y) }
            if x == y { return (ta, x) }
            return "\(x)" >= "\(y)" ? (ta, x) : (tb, y)
        }
    }

    // MARK: text form (file and wire)

    /// Lines `+ <key> <µs>` / `- <key> <µs>`, sorted, then `crc32c=<hex>` of the lines.
    public var encoded: [UInt8] {
        var body = ""
        for (k, v) in live.sorted(by: { $0.key < $1.key }) { body += "+ \(k) \(v)\n" }
        for (k, v) in dropped.sorted(by: { $0.key < $1.key }) { body += "- \(k) \(v)\n" }
        return Array((body + "crc32c=\(String(CRC32C.checksum(Array(body.utf8)), radix: 16))\n").utf8)
    }

    public static func decode(_ bytes: [UInt8]) -> SchemaClock? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let crcLine = text.range(of: "crc32c=", options: .backwards) else { return nil }
        let body = String(text[..<crcLine.lowerBound])
        let crc = text[crcLine.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        guard String(CRC32C.checksum(Array(body.utf8)), radix: 16) == crc else { return nil }
        var c = SchemaClock()
        for line in body.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let ts = Int64(parts[2]) else { return nil }
            switch parts[0] {
            case "+": c.live[String(parts[1])] = ts
            case "-": c.dropped[String(parts[1])] = ts
            default: return nil
            }
        }
        return c
    }
}
