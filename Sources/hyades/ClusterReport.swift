import Foundation
import HyadesClient
import HyadesCluster
import HyadesCore
import HyadesProtocol

/// What `hyades nodetool` knows of the cluster, read from one node over CQL: its own row of
/// `system.local` and its gossip view in `system.peers_v2`; placement computed with
/// HyadesCluster, the code the node and the drivers' token maps agree with.
struct ClusterReport: Sendable {
    struct Node: Sendable {
        var hostID: HostID
        var address: String
        var nativePort: Int
        var dataCenter: String
        var rack: String
        var tokens: [Token]
        var isLocal: Bool
        var isUp: Bool
    }

    let client: HyadesClient
    let nodes: [Node]
    let ring: TokenMetadata
    let schemaVersion: String
    /// Each node's gossiped LOAD (bytes of live SSTables) by host id, as the node asked
    /// knows it; empty when its storage_port is not reached (Load then prints "?").
    var loads: [String: Double] = [:]

    /// LOAD per host id from the node's gossip (a management request on storage_port,
    /// docs/formats/admin.md), or nothing when that port does not answer within a second or two.
    static func gossipedLoads(host: String, storagePort: Int) -> [String: Double] {
        let client = NodetoolAdminClient(host: host, port: storagePort, connectTimeoutSeconds: 1, readTimeoutSeconds: 2)
        guard case .gossipInfo(let endpoints)? = try? client.send(.gossipInfo) else { return [:] }
        var out: [String: Double] = [:]
        for e in endpoints {
            let value = { (key: ApplicationState) in e.states.first { $0.key == key.rawValue }?.value }
            if let id = value(.hostID), let load = value(.load).flatMap(Double.init) { out[id.lowercased()] = load }
        }
        return out
    }

    /// A node's Load column: Cassandra's binary units, "?" when not known.
    func load(_ n: Node) -> String {
        loads[n.hostID.description.lowercased()].map { NodetoolAdminReport.stringifyFileSize($0) } ?? "?"
    }

    static func load(_ client: HyadesClient, host: String, port: Int) async throws -> ClusterReport {
        let local = try await client.execute(
            "SELECT host_id, data_center, rack, tokens, rpc_address, schema_version FROM system.local WHERE key = 'local'")
        guard let l = local.first else { throw NodetoolError("nodetool: the node has no system.local row") }
        var nodes = [Node(hostID: hostID(l.blob("host_id")), address: host, nativePort: port,
                          dataCenter: l.string("data_center") ?? "datacenter1", rack: l.string("rack") ?? "rack1",
                          tokens: tokens(l.blob("tokens")), isLocal: true, isUp: true)]
        let schemaVersion = l.blob("schema_version").flatMap(uuidText) ?? "?"
        let peers = try await client.execute(
            "SELECT peer, host_id, data_center, rack, tokens, native_address, native_port FROM system.peers_v2")
        for p in peers {
            let address = inet(p.blob("native_address") ?? p.blob("peer"))
            let nativePort = Int(p.int32("native_port") ?? Int32(port))
            nodes.append(Node(hostID: hostID(p.blob("host_id")), address: address, nativePort: nativePort,
                              dataCenter: p.string("data_center") ?? "datacenter1", rack: p.string("rack") ?? "rack1",
                              tokens: tokens(p.blob("tokens")), isLocal: false,
                              isUp: answers(address, nativePort)))
        }
        var ring = TokenMetadata()
        for n in nodes where !n.tokens.isEmpty {
            try? ring.add(Endpoint(hostID: n.hostID, address: n.address,
                                   location: Location(dataCenter: n.dataCenter, rack: n.rack)), tokens: n.tokens)
        }
        return ClusterReport(client: client, nodes: nodes, ring: ring, schemaVersion: schemaVersion)
    }

    // MARK: commands

    func status(keyspace: String?) async throws -> String {
        var ownership: [HostID: Double]
        var header = "Owns"
        if let keyspace {
            ownership = try await replicaMap(keyspace).effectiveOwnership()
            header = "Owns (effective)"
        } else {
            ownership = rawOwnership()
        }
        var out = ""
        for dc in Set(nodes.map(\.dataCenter)).sorted() {
            let title = "Datacenter: \(dc)"
            out += title + "\n" + String(repeating: "=", count: title.count) + "\n"
            out += "Status=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n"
            var rows = [["--", "Address", "Load", "Tokens", header, "Host ID", "Rack"]]
            for n in nodes.filter({ $0.dataCenter == dc }).sorted(by: { $0.address < $1.address }) {
                rows.append([n.isUp ? "UN" : "DN", n.address, load(n), String(n.tokens.count),
                             Self.percent(ownership[n.hostID] ?? 0), n.hostID.description, n.rack])
            }
            out += Self.table(rows) + "\n"
        }
        if keyspace == nil {
            out += "Note: Non-system keyspaces don't have the same replication settings, effective ownership information is meaningless\n"
        }
        return out
    }

    func ring() async throws -> String {
        let ownership = rawOwnership()
        var out = ""
        for dc in Set(nodes.map(\.dataCenter)).sorted() {
            out += "\nDatacenter: \(dc)\n==========\n"
            let members = nodes.filter { $0.dataCenter == dc }
            let entries = members.flatMap { n in n.tokens.map { (n, $0) } }.sorted { $0.1 < $1.1 }
            var rows = [["Address", "Rack", "Status", "State", "Load", "Owns", "Token"]]
            if let last = entries.last { rows.append(["", "", "", "", "", "", String(last.1.value)]) }
            for (n, t) in entries {
                rows.append([n.address, n.rack, n.isUp ? "Up" : "Down", "Normal", load(n),
                             Self.percent(ownership[n.hostID] ?? 0), String(t.value)])
            }
            out += Self.table(rows) + "\n"
        }
        return out
    }

    func info() async throws -> String {
        guard let me = nodes.first(where: \.isLocal) else { return "" }
        return """
            ID                     : \(me.hostID)
            Gossip active          : true
            Native Transport active: true
            Load                   : \(load(me))
            Data Center            : \(me.dataCenter)
            Rack                   : \(me.rack)
            Schema Version         : \(schemaVersion)
            Token                  : (invoke with -T/--tokens to see all \(me.tokens.count) tokens)

            """
    }

    func describeRing(_ keyspace: String) async throws -> String {
        let map = try await replicaMap(keyspace)
        var out = "Schema Version:\(schemaVersion)\nTokenRange: \n"
        for (i, range) in ring.ranges.enumerated() {
            let replicas = map.rangeReplicas[i].compactMap { id in nodes.first { $0.hostID == id } }
            let addresses = replicas.map(\.address).joined(separator: ", ")
            let details = replicas.map { "EndpointDetails(host:\($0.address), datacenter:\($0.dataCenter), rack:\($0.rack))" }
                .joined(separator: ", ")
            out += "\tTokenRange(start_token:\(range.start.value), end_token:\(range.end.value), endpoints:[\(addresses)], "
                + "rpc_endpoints:[\(addresses)], endpoint_details:[\(details)])\n"
        }
        return out
    }

    func getEndpoints(_ keyspace: String, _ table: String, _ key: String) async throws -> String {
        let columns = try await client.execute(
            "SELECT column_name, kind, position, type FROM system_schema.columns WHERE keyspace_name = '\(keyspace)' AND table_name = '\(table)'")
        let keyColumns = columns.filter { $0.string("kind") == "partition_key" }
            .sorted { ($0.int32("position") ?? 0) < ($1.int32("position") ?? 0) }
        guard !keyColumns.isEmpty else { throw NodetoolError("nodetool: unknown table \(keyspace).\(table)") }
        let parts = keyColumns.count == 1 ? [key] : key.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == keyColumns.count else {
            throw NodetoolError("nodetool: the partition key of \(keyspace).\(table) has \(keyColumns.count) components")
        }
        var components: [[UInt8]] = []
        for (text, column) in zip(parts, keyColumns) {
            let type = try CQLType.parse(column.string("type") ?? "text")
            do {
                components.append(try CQLLiteral.serialize(text, kind: Self.literalKind(type), type: type,
                                                           receiver: column.string("column_name") ?? ""))
            } catch { throw NodetoolError("nodetool: \(error)") }
        }
        let bytes = components.count == 1 ? components[0] : Murmur3Partitioner.compositeKey(components)
        let token = Murmur3Partitioner.token(bytes)
        let map = try await replicaMap(keyspace)
        return map.replicas(for: token).compactMap { id in nodes.first { $0.hostID == id }?.address }
            .joined(separator: "\n") + "\n"
    }

    // MARK: helpers

    func replicaMap(_ keyspace: String) async throws -> ReplicaMap {
        let rows = try await client.execute(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = '\(keyspace)'")
        guard let row = rows.first, let blob = row.blob("replication") else {
            throw NodetoolError("nodetool: Keyspace \(keyspace) does not exist")
        }
        var options: [String: String] = [:]
        if let entries = try? CQLLiteral.elements(of: blob, perEntry: 2) {
            var i = 0
            while i + 1 < entries.count {
                options[String(decoding: entries[i], as: UTF8.self)] = String(decoding: entries[i + 1], as: UTF8.self)
                i += 2
            }
        }
        let cls = options.removeValue(forKey: "class") ?? ReplicationParams.simpleStrategy
        let local = nodes.first(where: \.isLocal)!.hostID
        do {
            let strategy = try ReplicationStrategies.make(ReplicationParams(className: cls, options: options), localHost: local)
            return ReplicaMap(strategy: strategy, ring: ring)
        } catch { throw NodetoolError("nodetool: \(error)") }
    }

    /// Each node's share of the token space (its primary ranges), as `nodetool ring` shows.
    func rawOwnership() -> [HostID: Double] {
        var out: [HostID: Double] = [:]
        let whole = Double(UInt64.max)
        for range in ring.ranges {
            var width = Double(range.end.value) - Double(range.start.value)
            if width <= 0 { width += whole }
            if let owner = ring.owner(of: range.end) { out[owner, default: 0] += width / whole }
        }
        return out
    }

    static func percent(_ f: Double) -> String { String(format: "%.1f%%", f * 100) }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { c, v in c == r.count - 1 ? v : v.padding(toLength: widths[c] + 2, withPad: " ", startingAt: 0) }
                .joined().trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }

    static func literalKind(_ t: CQLType) -> CQLLiteral.Kind {
        switch t.unfrozen {
        case .tinyint, .smallint, .int, .bigint, .varint, .counter: return .integer
        case .float, .double, .decimal: return .float
        case .boolean: return .boolean
        case .uuid, .timeuuid: return .uuid
        case .blob: return .hex
        case .duration: return .duration
        default: return .string
        }
    }

    static func hostID(_ bytes: [UInt8]?) -> HostID {
        guard let bytes, bytes.count == 16 else { return HostID(high: 0, low: 0) }
        return HostID(bytes: bytes)
    }

    static func tokens(_ set: [UInt8]?) -> [Token] {
        guard let set, let elements = try? CQLLiteral.elements(of: set, perEntry: 1) else { return [] }
        return elements.compactMap { Int64(String(decoding: $0, as: UTF8.self)).map(Token.init) }.sorted()
    }

    static func uuidText(_ b: [UInt8]) -> String? {
        guard b.count == 16 else { return nil }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
            .uuidString.lowercased()
    }

    static func inet(_ bytes: [UInt8]?) -> String {
        guard let bytes, bytes.count == 4 else { return "?" }
        return bytes.map(String.init).joined(separator: ".")
    }

    /// Whether the node's native port accepts a connection within a second.
    static func answers(_ host: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { return false }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
