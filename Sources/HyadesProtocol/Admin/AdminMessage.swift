import HyadesCore

/// One node's gossip state as `nodetool gossipinfo` prints it (Cassandra's EndpointState).
public struct AdminEndpointState: Hashable, Sendable {
    public var host: String
    public var port: UInt16
    public var generation: Int32
    public var heartbeat: Int32
    /// (ApplicationState ordinal, version, value), in ordinal order.
    public var states: [AdminApplicationState]

    public init(host: String, port: UInt16, generation: Int32, heartbeat: Int32, states: [AdminApplicationState]) {
        self.host = host
        self.port = port
        self.generation = generation
        self.heartbeat = heartbeat
        self.states = states
    }
}

public struct AdminApplicationState: Hashable, Sendable {
    public var key: UInt16
    public var version: Int32
    public var value: String

    public init(key: UInt16, version: Int32, value: String) {
        self.key = key
        self.version = version
        self.value = value
    }
}

/// One table's figures for `nodetool tablestats`: named integers, so a newer node may add
/// figures an older nodetool skips (the names are listed in docs/formats/admin.md).
public struct AdminTableStats: Hashable, Sendable {
    public var keyspace: String
    public var table: String
    public var figures: [(name: String, value: Int64)]

    public init(keyspace: String, table: String, figures: [(name: String, value: Int64)]) {
        self.keyspace = keyspace
        self.table = table
        self.figures = figures
    }

    public subscript(_ name: String) -> Int64? { figures.first { $0.name == name }?.value }

    public static func == (a: Self, b: Self) -> Bool {
        a.keyspace == b.keyspace && a.table == b.table
            && a.figures.map(\.name) == b.figures.map(\.name) && a.figures.map(\.value) == b.figures.map(\.value)
    }

    public func hash(into h: inout Hasher) {
        h.combine(keyspace)
        h.combine(table)
        for f in figures { h.combine(f.name); h.combine(f.value) }
    }
}

/// What nodetool asks a node.
public enum AdminRequest: Hashable, Sendable {
    case gossipInfo
    /// Names are "keyspace" or "keyspace.table"; none: every table.
    case tableStats([String])
    /// Keyspace nil: every keyspace; tables empty: every table of the keyspace.
    case flush(keyspace: String?, tables: [String])
    /// A major compaction of the tables named as for flush.
    case compact(keyspace: String?, tables: [String])
    case drain
}

/// What the node answers.
public enum AdminResponse: Hashable, Sendable {
    case gossipInfo([AdminEndpointState])
    case tableStats([AdminTableStats])
    case done
    case error(code: UInt16, message: String)
}

public struct AdminProtocolError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Frames and message payloads of the management protocol (docs/formats/admin.md).
/// Integers are big-endian.
public enum AdminCodec {
    // MARK: frames

    /// header (magic, version, type, payload length), payload, CRC32C of both.
    public static func frame(type: UInt8, payload: [UInt8]) -> [UInt8] {
        var out = AdminFormat.magic
        out.reserveCapacity(AdminFormat.headerBytes + payload.count + AdminFormat.trailerBytes)
        out.append(AdminFormat.version)
        out.append(type)
        put32(&out, UInt32(payload.count))
        out += payload
        put32(&out, CRC32C.checksum(out))
        return out
    }

    /// A whole frame at the start of `bytes` (type, payload, bytes consumed), or nil when more
    /// bytes are needed. Throws on a bad magic, version, length or checksum.
    public static func decodeFrame(_ bytes: ArraySlice<UInt8>) throws(AdminProtocolError)
        -> (type: UInt8, payload: [UInt8], consumed: Int)? {
        let b = bytes.startIndex
        let magicBytes = min(bytes.count, AdminFormat.magic.count)
        guard Array(bytes.prefix(magicBytes)) == Array(AdminFormat.magic.prefix(magicBytes)) else {
            throw AdminProtocolError("not a management frame (bad magic)")
        }
        guard bytes.count >= AdminFormat.headerBytes else { return nil }
        guard bytes[b + 4] == AdminFormat.version else {
            throw AdminProtocolError("management protocol version \(bytes[b + 4]) is not supported (this node speaks \(AdminFormat.version))")
        }
        let length = Int(get32(bytes, b + 6))
        guard length <= AdminFormat.maxPayloadBytes else {
            throw AdminProtocolError("management frame of \(length) bytes is over the limit of \(AdminFormat.maxPayloadBytes)")
        }
        let total = AdminFormat.headerBytes + length + AdminFormat.trailerBytes
        guard bytes.count >= total else { return nil }
        let covered = Array(bytes[b..<(b + AdminFormat.headerBytes + length)])
        guard CRC32C.checksum(covered) == get32(bytes, b + AdminFormat.headerBytes + length) else {
            throw AdminProtocolError("management frame checksum mismatch")
        }
        return (bytes[b + 5], Array(covered[AdminFormat.headerBytes...]), total)
    }

    // MARK: requests

    public static func encode(_ r: AdminRequest) -> [UInt8] {
        var p: [UInt8] = []
        switch r {
        case .gossipInfo: return frame(type: AdminFormat.typeGossipInfo, payload: [])
        case .tableStats(let names):
            putStrings(&p, names)
            return frame(type: AdminFormat.typeTableStats, payload: p)
        case .flush(let ks, let tables), .compact(let ks, let tables):
            putString(&p, ks ?? "")
            putStrings(&p, tables)
            if case .flush = r { return frame(type: AdminFormat.typeFlush, payload: p) }
            return frame(type: AdminFormat.typeCompact, payload: p)
        case .drain: return frame(type: AdminFormat.typeDrain, payload: [])
        }
    }

    public static func decodeRequest(type: UInt8, payload: [UInt8]) throws(AdminProtocolError) -> AdminRequest {
        var r = Reader(payload)
        let request: AdminRequest
        switch type {
        case AdminFormat.typeGossipInfo: request = .gossipInfo
        case AdminFormat.typeTableStats: request = .tableStats(try r.strings())
        case AdminFormat.typeFlush, AdminFormat.typeCompact:
            let ks = try r.string()
            let tables = try r.strings()
            guard !ks.isEmpty || tables.isEmpty else { throw AdminProtocolError("tables named without a keyspace") }
            request = type == AdminFormat.typeFlush ? .flush(keyspace: ks.isEmpty ? nil : ks, tables: tables)
                                                    : .compact(keyspace: ks.isEmpty ? nil : ks, tables: tables)
        case AdminFormat.typeDrain: request = .drain
        default: throw AdminProtocolError("unknown management request type 0x\(String(type, radix: 16))")
        }
        try r.end()
        return request
    }

    // MARK: responses

    public static func encode(_ r: AdminResponse) -> [UInt8] {
        var p: [UInt8] = []
        switch r {
        case .gossipInfo(let endpoints):
            put32(&p, UInt32(endpoints.count))
            for e in endpoints {
                putString(&p, e.host)
                put16(&p, e.port)
                put32(&p, UInt32(bitPattern: e.generation))
                put32(&p, UInt32(bitPattern: e.heartbeat))
                put16(&p, UInt16(e.states.count))
                for s in e.states {
                    put16(&p, s.key)
                    put32(&p, UInt32(bitPattern: s.version))
                    putLongString(&p, s.value)
                }
            }
            return frame(type: AdminFormat.typeGossipInfoResult, payload: p)
        case .tableStats(let tables):
            put32(&p, UInt32(tables.count))
            for t in tables {
                putString(&p, t.keyspace)
                putString(&p, t.table)
                put16(&p, UInt16(t.figures.count))
                for f in t.figures {
                    putString(&p, f.name)
                    put64(&p, UInt64(bitPattern: f.value))
                }
            }
            return frame(type: AdminFormat.typeTableStatsResult, payload: p)
        case .done: return frame(type: AdminFormat.typeDone, payload: [])
        case .error(let code, let message):
            put16(&p, code)
            putLongString(&p, message)
            return frame(type: AdminFormat.typeError, payload: p)
        }
    }

    public static func decodeResponse(type: UInt8, payload: [UInt8]) throws(AdminProtocolError) -> AdminResponse {
        var r = Reader(payload)
        let response: AdminResponse
        switch type {
        case AdminFormat.typeGossipInfoResult:
            let n = try r.u32()
            var endpoints: [AdminEndpointState] = []
            for _ in 0..<n {
                let host = try r.string(), port = try r.u16()
                let generation = Int32(bitPattern: try r.u32()), heartbeat = Int32(bitPattern: try r.u32())
                var states: [AdminApplicationState] = []
                for _ in 0..<(try r.u16()) {
                    let key = try r.u16(), version = Int32(bitPattern: try r.u32())
                    states.append(AdminApplicationState(key: key, version: version, value: try r.longString()))
                }
                endpoints.append(AdminEndpointState(host: host, port: port, generation: generation, heartbeat: heartbeat,
                                                    states: states))
            }
            response = .gossipInfo(endpoints)
        case AdminFormat.typeTableStatsResult:
            let n = try r.u32()
            var tables: [AdminTableStats] = []
            for _ in 0..<n {
                let ks = try r.string(), table = try r.string()
                var figures: [(name: String, value: Int64)] = []
                for _ in 0..<(try r.u16()) { figures.append((try r.string(), Int64(bitPattern: try r.u64()))) }
                tables.append(AdminTableStats(keyspace: ks, table: table, figures: figures))
            }
            response = .tableStats(tables)
        case AdminFormat.typeDone: response = .done
        case AdminFormat.typeError:
            let code = try r.u16()
            response = .error(code: code, message: try r.longString())
        default: throw AdminProtocolError("unknown management response type 0x\(String(type, radix: 16))")
        }
        try r.end()
        return response
    }

    // MARK: primitives

    static func put16(_ o: inout [UInt8], _ v: UInt16) { o += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func put32(_ o: inout [UInt8], _ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { o.append(UInt8((v >> UInt32(s)) & 0xFF)) } }
    static func put64(_ o: inout [UInt8], _ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { o.append(UInt8((v >> UInt64(s)) & 0xFF)) } }
    static func putString(_ o: inout [UInt8], _ s: String) {
        let b = Array(s.utf8.prefix(AdminFormat.maxStringBytes))
        put16(&o, UInt16(b.count))
        o += b
    }
    static func putLongString(_ o: inout [UInt8], _ s: String) {
        let b = Array(s.utf8)
        put32(&o, UInt32(b.count))
        o += b
    }
    static func putStrings(_ o: inout [UInt8], _ l: [String]) {
        put16(&o, UInt16(min(l.count, Int(UInt16.max))))
        for s in l.prefix(Int(UInt16.max)) { putString(&o, s) }
    }
    static func get32(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt32 {
        (UInt32(b[i]) << 24) | (UInt32(b[i + 1]) << 16) | (UInt32(b[i + 2]) << 8) | UInt32(b[i + 3])
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0
        init(_ b: [UInt8]) { bytes = b }

        mutating func take(_ n: Int) throws(AdminProtocolError) -> ArraySlice<UInt8> {
            guard n >= 0, bytes.count - at >= n else { throw AdminProtocolError("management message is truncated") }
            defer { at += n }
            return bytes[at..<(at + n)]
        }
        mutating func u16() throws(AdminProtocolError) -> UInt16 {
            let s = try take(2)
            return UInt16(s[s.startIndex]) << 8 | UInt16(s[s.startIndex + 1])
        }
        mutating func u32() throws(AdminProtocolError) -> UInt32 { AdminCodec.get32(try take(4), at - 4) }
        mutating func u64() throws(AdminProtocolError) -> UInt64 { UInt64(try u32()) << 32 | UInt64(try u32()) }
        mutating func string() throws(AdminProtocolError) -> String {
            let n = Int(try u16())
            return try utf8(take(n))
        }
        mutating func longString() throws(AdminProtocolError) -> String {
            let n = Int(try u32())
            return try utf8(take(n))
        }
        mutating func strings() throws(AdminProtocolError) -> [String] {
            var out: [String] = []
            for _ in 0..<(try u16()) { out.append(try string()) }
            return out
        }
        func utf8(_ s: ArraySlice<UInt8>) throws(AdminProtocolError) -> String {
            guard let text = String(validating: s, as: UTF8.self) else { throw AdminProtocolError("management message has a string that is not UTF-8") }
            return text
        }
        func end() throws(AdminProtocolError) {
            guard at == bytes.count else { throw AdminProtocolError("management message has \(bytes.count - at) bytes left over") }
        }
    }
}
