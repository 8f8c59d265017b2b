import Dispatch
import Foundation
import HyadesClient
import HyadesCluster
import HyadesCore
import HyadesProtocol
import HyadesStorage

/// A problem talking to the cluster (schema, ring, streaming).
public struct LoaderClusterError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What the loader needs to know about the cluster before it writes anything: the
/// table with the node's storage column ids, its compression, where the keyspace's
/// replicas are (the nodes' own placement, `LoadPlacement`), which replicas answer, and
/// how many replicas each SSTable must reach (`--consistency`).
public struct ClusterTarget: Sendable {
    public var table: TableMetadata
    public var placement: LoadPlacement
    /// The streaming listener's port on every node (`storage_port`).
    public var storagePort: Int
    /// Replicas found unreachable before the load (a failed connection to their
    /// `storage_port`), with the reason: no session is opened to them.
    public var unreachable: [HostID: String] = [:]
    /// How many of its replicas every SSTable must reach (default ALL).
    public var consistency: ConsistencyLevel = .all

    public init(table: TableMetadata, placement: LoadPlacement, storagePort: Int) {
        self.table = table
        self.placement = placement
        self.storagePort = storagePort
    }

    /// Reads everything over CQL (system.local / system.peers_v2: host ids, addresses, DCs,
    /// racks, tokens; system_schema.tables / keyspaces) and the streaming DESCRIBE_TABLE
    /// (column ids). The round trips overlap (the DESCRIBE_TABLE connection and the two
    /// schema queries run while the CQL connection's own set-up completes); errors are
    /// reported in the order a user fixes them: connection, keyspace, table, then the
    /// streaming port.
    public static func discover(host: String, port: Int, storagePort: Int, keyspace: String, table: String) async throws -> ClusterTarget {
        async let described = describe(keyspace: keyspace, table: table, at: host, port: storagePort)
        let client: HyadesClient
        do {
            client = try await HyadesClient.connect(contactPoints: ["\(host):\(port)"])
        } catch {
            _ = await described
            throw LoaderClusterError("cannot connect to \(host):\(port): \(error)")
        }
        do {
            async let ksQuery = client.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?", [.text(keyspace)])
            async let tbQuery = client.execute("SELECT compression FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?",
                                               [.text(keyspace), .text(table)])
            async let localQuery = client.execute(
                "SELECT host_id, broadcast_address, listen_address, data_center, rack, tokens FROM system.local WHERE key = 'local'")
            async let peersQuery = client.execute("SELECT peer, host_id, data_center, rack, tokens FROM system.peers_v2")
            let ks = try await ksQuery
            guard let ksRow = ks.first else {
                _ = try? await tbQuery; _ = try? await localQuery; _ = try? await peersQuery
                throw LoaderClusterError("keyspace \(keyspace) does not exist")
            }
            var replication = stringMap(ksRow.value(0))
            let tb = try await tbQuery
            guard let tbRow = tb.first else {
                _ = try? await localQuery; _ = try? await peersQuery
                throw LoaderClusterError("table \(keyspace).\(table) does not exist")
            }
            var params = TableParams()
            let compression = stringMap(tbRow.value(0))
            if !compression.isEmpty { params.compression = compression }
            let local = try await localQuery, peers = try await peersQuery
            let schema: StreamingTableSchema
            do {
                schema = try await described.get()
            } catch {
                throw LoaderClusterError("cannot read the column ids of \(keyspace).\(table) from \(host):\(storagePort) (storage_port): \(error)")
            }
            let metadata = try tableMetadata(schema, params: params)
            guard let l = local.first, let localID = hostID(l.blob("host_id")) else {
                throw LoaderClusterError("\(host):\(port) has no system.local row with a host id")
            }
            var nodes = [LoadNode(hostID: localID, address: inet(l.blob("broadcast_address") ?? l.blob("listen_address")) ?? host,
                                  location: Location(dataCenter: l.string("data_center") ?? Location.default.dataCenter,
                                                     rack: l.string("rack") ?? Location.default.rack))]
            var tokens = [localID: tokenSet(l.blob("tokens"))]
            for p in peers {
                guard let id = hostID(p.blob("host_id")), let address = inet(p.blob("peer")) else { continue }
                nodes.append(LoadNode(hostID: id, address: address,
                                      location: Location(dataCenter: p.string("data_center") ?? Location.default.dataCenter,
                                                         rack: p.string("rack") ?? Location.default.rack)))
                tokens[id] = tokenSet(p.blob("tokens"))
            }
            let cls = replication.removeValue(forKey: "class") ?? ReplicationParams.simpleStrategy
            let placement = try LoadPlacement(nodes: nodes, tokens: tokens, replication: ReplicationParams(className: cls, options: replication),
                                              localHost: localID)
            await client.close()
            var target = ClusterTarget(table: metadata, placement: placement, storagePort: storagePort)
            target.unreachable = await probe(nodes.filter { $0.hostID != localID }, port: storagePort)
            return target
        } catch {
            await client.close()
            throw error
        }
    }

    /// Which nodes do not accept a connection on `storage_port` (within 2 s each, all at
    /// once). system.peers lists a stopped node as long as it is a ring member, so a
    /// connection attempt is what tells a down replica (as `nodetool status` does).
    static func probe(_ nodes: [LoadNode], port: Int) async -> [HostID: String] {
        await withTaskGroup(of: (HostID, String?).self) { group in
            for n in nodes {
                group.addTask { (n.hostID, StoragePortProbe.refusal(host: n.address, port: port, timeoutSeconds: 2)) }
            }
            var out: [HostID: String] = [:]
            for await (id, reason) in group { if let reason { out[id] = reason } }
            return out
        }
    }

    static func hostID(_ bytes: [UInt8]?) -> HostID? {
        guard let bytes, bytes.count == 16 else { return nil }
        return HostID(bytes: bytes)
    }

    static func inet(_ bytes: [UInt8]?) -> String? {
        guard let bytes else { return nil }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        if bytes.count == 16 {
            var a = in6_addr()
            withUnsafeMutableBytes(of: &a) { $0.copyBytes(from: bytes) }
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count)) != nil else { return nil }
            return String(cString: buf)
        }
        return nil
    }

    static func tokenSet(_ bytes: [UInt8]?) -> [Token] {
        guard let bytes, let elements = try? CQLLiteral.elements(of: bytes, perEntry: 1) else { return [] }
        return elements.compactMap { Int64(String(decoding: $0, as: UTF8.self)).map(Token.init) }.sorted()
    }

    static func describe(keyspace: String, table: String, at host: String, port: Int) async -> Result<StreamingTableSchema, any Error> {
        do { return .success(try await SSTableStreamer.tableSchema(keyspace: keyspace, table: table, at: host, port: port)) } catch {
            return .failure(error)
        }
    }

    static func stringMap(_ v: CQLColumnValue) -> [String: String] {
        guard case .map(let keys, let values) = v else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in zip(keys, values) {
            if case .text(let ks) = k, case .text(let vs) = v { out[ks] = vs }
        }
        return out
    }

    /// The node's view of the table, column ids included.
    static func tableMetadata(_ s: StreamingTableSchema, params: TableParams) throws -> TableMetadata {
        var cols: [ColumnMetadata] = []
        var pkPos = 0, ckPos = 0
        for c in s.columns {
            let type: CQLType
            do { type = try CQLType.parse(c.type) } catch { throw LoaderClusterError("column \(c.name): unknown type \(c.type)") }
            switch c.kind {
            case .partitionKey:
                cols.append(ColumnMetadata(name: c.name, type: type, kind: .partitionKey, position: pkPos, id: c.id)); pkPos += 1
            case .clustering:
                cols.append(ColumnMetadata(name: c.name, type: type, kind: .clustering, position: ckPos,
                                           clusteringOrder: c.descending ? .desc : .asc, id: c.id)); ckPos += 1
            case .regular:
                cols.append(ColumnMetadata(name: c.name, type: type, kind: .regular, id: c.id))
            case .static:
                cols.append(ColumnMetadata(name: c.name, type: type, kind: .staticColumn, id: c.id))
            }
        }
        return TableMetadata(keyspace: s.keyspace, name: s.table, id: TableID(high: 0, low: 0), columns: cols, params: params)
    }

    /// Range ends to cut SSTables at: where the replica set changes, so each SSTable
    /// belongs to one replica set.
    public var splitTokens: [Int64] { placement.splitTokens }

    /// The replicas of an SSTable covering `[minToken, maxToken]` (every replica of every
    /// range it touches).
    public func replicas(minToken: Int64, maxToken: Int64) -> [LoadNode] {
        placement.replicas(minToken: minToken, maxToken: maxToken).compactMap { placement.nodes[$0] }
    }

    /// Before anything is written: every range must have enough reachable replicas for
    /// the level. Throws naming the unreachable replicas (address and host id).
    public func checkAvailability() throws {
        var short: [(set: [HostID], live: Int, needed: Int)] = []
        for set in placement.replicaSets {
            let r = placement.requirement(consistency, replicas: set)
            let live = r.counted.filter { unreachable[$0] == nil }.count
            if live < r.needed { short.append((set, live, r.needed)) }
        }
        guard let worst = short.first else { return }
        throw LoaderClusterError(unavailableMessage(worst.set, live: worst.live, needed: worst.needed, ranges: short.map(\.set)))
    }

    func unavailableMessage(_ set: [HostID], live: Int, needed: Int, ranges: [[HostID]]) -> String {
        // Every unreachable replica of every short replica set, in ring order of first sight.
        var seen = Set<HostID>()
        let names = ranges.joined().filter { unreachable[$0] != nil && seen.insert($0).inserted }.compactMap { placement.nodes[$0] }
            .map { "\($0) — \(unreachable[$0.hostID]!)" }
        var text = "--consistency \(consistency) cannot be met: replicas \(set.compactMap { placement.nodes[$0]?.address }.joined(separator: ", ")) "
        text += "hold some of \(table.keyspace).\(table.name)'s ranges and \(needed) of them must receive each SSTable, "
        text += "but only \(live) \(live == 1 ? "is" : "are") reachable"
        if consistency == .localQuorum { text += " in the local data centre \(placement.localDataCenter)" }
        if ranges.count > 1 { text += " (\(ranges.count) replica sets are short)" }
        text += names.isEmpty ? ". " : ". Unreachable: \(names.joined(separator: "; ")). "
        text += "Nothing was sent. "
        text += "Start the node(s), or load at a lower level (--consistency QUORUM or ONE: the unreachable replicas then lack these rows until they are repaired)."
        return text
    }
}

/// Streams each finished SSTable to every reachable replica of its range, which adopts it in one
/// MANIFEST edit (docs/formats/streaming.md), then deletes the local files. The session
/// id is derived from the files' names, sizes and the load's write timestamp, so re-running
/// an interrupted load with the same `--timestamp` is answered "already imported".
public final class StreamingSink: SSTableSink, @unchecked Sendable {
    public let target: ClusterTarget
    public let writeTimestamp: Int64
    private let counters = NSLock()
    private var sent: Int64 = 0
    private var sessionCount = 0
    public var bytesSent: Int64 { counters.withLock { sent } }
    public var sessions: Int { counters.withLock { sessionCount } }
    private var alreadyCount = 0
    /// Sessions the nodes had committed before (a re-run of an interrupted load with the
    /// same `--timestamp`): nothing of them was adopted again.
    public var alreadyImportedSessions: Int { counters.withLock { alreadyCount } }
    public var keepFiles = false
    /// `hyades load --atomic`: every SSTable is staged on its nodes (STAGE) and `finish()`
    /// adopts them all in one step per node (ADOPT_LOAD); `abortStaged()` discards them.
    public var atomic = false
    private var committedRowCount = 0
    private var committedSSTableCount = 0
    private var alreadyRowCount = 0
    private var touchedNodes = Set<String>()
    private var adoptedNodeList: [String] = []
    /// Rows of the SSTables enough replicas (`consistency`) committed (staged, for an atomic load) in this run.
    public var committedRows: Int { counters.withLock { committedRowCount } }
    public var committedSSTables: Int { counters.withLock { committedSSTableCount } }
    /// Rows of SSTables the nodes had adopted in an earlier run (ALREADY_IMPORTED).
    public var alreadyImportedRows: Int { counters.withLock { alreadyRowCount } }
    /// Atomic loads: the nodes that adopted the load in `finish()`.
    public var adoptedNodes: [String] { counters.withLock { adoptedNodeList } }
    /// Atomic loads: the nodes sessions were opened to (where something may be staged).
    public var stagingNodes: [String] { counters.withLock { touchedNodes.sorted() } }

    /// The atomic load's id: table, write timestamp and input files (path, size,
    /// modification time), so a re-run of the same load with the same `--timestamp` is
    /// answered ALREADY_IMPORTED by a node that adopted it.
    public var loadID: UUID {
        Self.nameBasedUUID("load|\(target.table.keyspace).\(target.table.name)|\(writeTimestamp)|\(inputFingerprint)")
    }
    /// Each SSTable is streamed in its own session as soon as it is written (SSTables of
    /// one flush in parallel); each is adopted whole, in its own MANIFEST edit.
    public var acceptsEachSSTable: Bool { true }

    public init(target: ClusterTarget, writeTimestamp: Int64) {
        self.target = target
        self.writeTimestamp = writeTimestamp
    }

    public var splitTokens: [Int64] { target.splitTokens }

    /// Replicas that failed during the load (a session's connection or a refusal): later
    /// SSTables skip them, and an atomic load does not adopt on them.
    private var failedNodes: [HostID: String] = [:]
    /// Atomic loads: per staged SSTable, its replicas and those that staged it.
    private var stagedSSTables: [(replicas: [HostID], acked: Set<HostID>)] = []

    /// Replicas found unreachable before or during the load, with the reason.
    public var unreachableNodes: [HostID: String] {
        counters.withLock { target.unreachable.merging(failedNodes) { a, _ in a } }
    }

    /// The replicas an SSTable is sent to (its reachable replicas) and the level's check.
    func fanOutPlan(minToken: Int64, maxToken: Int64) -> (replicas: [LoadNode], reachable: [LoadNode], down: [HostID: String],
                                                            text: String, meets: @Sendable (Set<HostID>) -> Bool) {
        let replicas = target.replicas(minToken: minToken, maxToken: maxToken)
        let down = unreachableNodes
        let ids = replicas.map(\.hostID)
        let placement = target.placement, level = target.consistency
        let need = placement.requirement(level, replicas: ids)
        return (replicas, replicas.filter { down[$0.hostID] == nil }, down.filter { ids.contains($0.key) },
                "\(level) (\(need.needed) of \(need.counted.count))",
                { placement.satisfied(level, replicas: ids, acked: $0) })
    }

    func noteFailures(_ failures: [HostID: String]) {
        guard !failures.isEmpty else { return }
        counters.withLock { failedNodes.merge(failures) { a, _ in a } }
    }

    /// One SSTable: the group of one (same replicas, session id and clean-up).
    public func accept(_ s: WrittenSSTable) throws { try accept([s]) }

    /// SSTables on disk (`hyades sstable import`): one session per node for all the
    /// SSTables it holds a replica of (one transfer, one MANIFEST edit on the node), to
    /// every reachable replica; each SSTable must reach the consistency level.
    public func accept(_ sstables: [WrittenSSTable]) throws {
        var byNode: [HostID: [WrittenSSTable]] = [:]
        var order: [LoadNode] = []
        var plans: [(replicas: [LoadNode], text: String, meets: @Sendable (Set<HostID>) -> Bool)] = []
        for s in sstables {
            let plan = fanOutPlan(minToken: s.minToken, maxToken: s.maxToken)
            plans.append((plan.replicas, plan.text, plan.meets))
            for node in plan.reachable {
                if byNode[node.hostID] == nil { order.append(node) }
                byNode[node.hostID, default: []].append(s)
            }
        }
        let ks = target.table.keyspace, tb = target.table.name, port = target.storagePort
        var ok = Set<HostID>()
        var failures: [HostID: String] = [:]
        for node in order {
            let group = byNode[node.hostID]!
            let files = group.flatMap { SSTableFormatNames.files(directory: $0.directory, generation: $0.generation) }
            let session = sessionIDOverride ?? sessionID(group, node: node.address)
            do {
                let summary = try blocking {
                    try await SSTableStreamer.stream(files: files, keyspace: ks, table: tb, to: node.address, port: port, sessionID: session)
                }
                ok.insert(node.hostID)
                counters.withLock {
                    sent += summary.bytesSent
                    sessionCount += 1
                    if summary.alreadyImported { alreadyCount += 1 }
                }
                acceptedNodeList.append((node, summary))
            } catch {
                failures[node.hostID] = "\(error)"
            }
        }
        noteFailures(failures)
        let down = unreachableNodes
        for (s, plan) in zip(sstables, plans) where !plan.meets(ok) {
            let failed = plan.replicas.filter { down[$0.hostID] != nil }.map { "\($0) — \(down[$0.hostID]!)" }
            throw SSTableStreamerError("--consistency \(plan.text) not reached for SSTable \(s.generation) (tokens \(s.minToken)...\(s.maxToken)): "
                + "its replicas are \(plan.replicas.map(\.address).joined(separator: ", ")); failed or unreachable: "
                + (failed.isEmpty ? "none" : failed.joined(separator: "; "))
                + (ok.isEmpty ? "" : ". Adopted on \(order.filter { ok.contains($0.hostID) }.map(\.description).joined(separator: ", "))"))
        }
        counters.withLock {
            for s in sstables { committedRowCount += s.rows; committedSSTableCount += 1 }
        }
        if !keepFiles {
            for s in sstables {
                for f in SSTableFormatNames.files(directory: s.directory, generation: s.generation) { try? FileManager.default.removeItem(atPath: f) }
            }
        }
    }

    /// `hyades sstable import`: the session id of every node's session (ids are each
    /// node's own), derived from the files imported.
    public var sessionIDOverride: UUID?

    /// `accept`'s sessions: the node and what it answered.
    public private(set) var acceptedNodeList: [(node: LoadNode, summary: StreamSummary)] = []

    /// For an atomic load: ADOPT_LOAD on every node something was staged on, except
    /// replicas that failed during the load (their staged SSTables may be incomplete;
    /// they get ABORT_LOAD) — once every SSTable is known to be staged on enough of the
    /// others for the consistency level. If not, nothing is adopted (the caller aborts).
    public func finish() throws {
        guard atomic else { return }
        let ks = target.table.keyspace, tb = target.table.name, port = target.storagePort, id = loadID
        let (failed, staged) = counters.withLock { (failedNodes, stagedSSTables) }
        for s in staged {
            let acked = s.acked.filter { failed[$0] == nil }
            if !target.placement.satisfied(target.consistency, replicas: s.replicas, acked: acked) {
                let names = s.replicas.filter { failed[$0] != nil }.compactMap { target.placement.nodes[$0] }
                    .map { "\($0) — \(failed[$0.hostID]!)" }
                throw SSTableStreamerError("--consistency \(target.consistency) not reached: replicas failed during the load: "
                    + names.joined(separator: "; "))
            }
        }
        let failedAddresses = Set(failed.keys.compactMap { target.placement.nodes[$0]?.address })
        for node in stagingNodes where failedAddresses.contains(node) {
            try? StagedLoad.abort(loadID: id, keyspace: ks, table: tb, host: node, port: port)
        }
        for node in stagingNodes where !failedAddresses.contains(node) {
            do {
                _ = try StagedLoad.adopt(loadID: id, keyspace: ks, table: tb, host: node, port: port)
            } catch {
                let done = adoptedNodes
                throw SSTableStreamerError("adopting the staged load on \(node) failed: \(error)"
                    + (done.isEmpty ? "" : " (already adopted on \(done.joined(separator: ", ")): those nodes keep it)"))
            }
            counters.withLock { adoptedNodeList.append(node) }
        }
    }

    /// For an atomic load that failed: ABORT_LOAD on every node something may be staged
    /// on, except those that adopted it already (best effort: a node that cannot be reached
    /// drops what is staged when it restarts).
    public func abortStaged() {
        guard atomic else { return }
        let ks = target.table.keyspace, tb = target.table.name, port = target.storagePort, id = loadID
        let adopted = Set(adoptedNodes)
        for node in stagingNodes where !adopted.contains(node) {
            try? StagedLoad.abort(loadID: id, keyspace: ks, table: tb, host: node, port: port)
        }
    }

    /// What the input files were (paths, sizes, modification times): part of every
    /// upload's session id, so a re-run of the same load finds its sessions ("already
    /// imported") and a load of changed files does not.
    public var inputFingerprint = ""

    func sessionID(_ group: [WrittenSSTable], node: String) -> UUID {
        var text = "\(target.table.keyspace).\(target.table.name)|\(node)|\(writeTimestamp)"
        for s in group { text += "|\(s.generation)|\(s.rows)|\(s.bytes)|\(s.minToken)|\(s.maxToken)" }
        return Self.nameBasedUUID(text)
    }

    static func nameBasedUUID(_ name: String) -> UUID {
        var text = name
        let h = text.withUTF8 { Murmur3.hash128(UnsafeRawBufferPointer($0)) }
        var u = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            u[i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: h.h1) >> (56 - 8 * UInt64(i)))
            u[8 + i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: h.h2) >> (56 - 8 * UInt64(i)))
        }
        u[6] = u[6] & 0x0F | 0x50   // name-based
        u[8] = u[8] & 0x3F | 0x80
        return UUID(uuid: (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]))
    }
}

/// The component files of one SSTable.
enum SSTableFormatNames {
    static func files(directory: String, generation: Int64) -> [String] {
        SSTableFormat.Component.allCases.map { directory + "/" + SSTableFormat.fileName(generation: generation, $0) }
    }
}

/// Runs async work from the loader's synchronous pipeline and waits for it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>(count: 1)
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.set(0, .success(try await body())) } catch { box.set(0, .failure(error)) }
        done.signal()
    }
    done.wait()
    return try box.values[0]!.get()
}

extension StreamingSink: SSTableUploader {
    /// A session to every reachable replica of the SSTable's range(s), opened before its
    /// first byte is written. The session id is known before the SSTable is: (table, node,
    /// write timestamp, input files, generation, rows, token range, attempt). A replica
    /// that cannot be reached is left out, as long as the others meet the level.
    func openUpload(generation: Int64, rows: Int, minToken: Int64, maxToken: Int64, attempt: Int) throws -> SSTableUpload {
        let names = SSTableUpload.fileNames(generation: generation)
        let plan = fanOutPlan(minToken: minToken, maxToken: maxToken)
        var sessions: [(LoadNode, SSTableUploadSession)] = []
        var failures: [HostID: String] = [:]
        for node in plan.reachable {
            if atomic { _ = counters.withLock { touchedNodes.insert(node.address) } }
            let id = Self.nameBasedUUID("\(target.table.keyspace).\(target.table.name)|\(node.address)|\(writeTimestamp)|\(inputFingerprint)"
                                        + "|\(generation)|\(rows)|\(minToken)|\(maxToken)|\(attempt)")
            do {
                sessions.append((node, try SSTableUploadSession(fileNames: names, keyspace: target.table.keyspace, table: target.table.name,
                                                                to: node.address, port: target.storagePort, sessionID: id)))
            } catch {
                failures[node.hostID] = "\(error)"
            }
        }
        noteFailures(failures)
        let fanOut = ReplicaFanOut(replicas: plan.replicas, sessions: sessions, failures: failures.merging(plan.down) { a, _ in a },
                                   requirementText: plan.text, meets: plan.meets)
        guard plan.meets(Set(sessions.map(\.0.hostID))) else {
            fanOut.closeAll()
            throw SSTableStreamerError(fanOut.shortMessage(Set(sessions.map(\.0.hostID))))
        }
        return SSTableUpload(fanOut: fanOut, generation: generation, rows: rows, loadID: atomic ? loadID : nil)
    }

    /// After COMMIT (or STAGE) on enough replicas: counts what an upload sent and adopted,
    /// and remembers the replicas that failed.
    func noteCommitted(_ outcome: UploadOutcome, replicas: [HostID], rows: Int = 0) {
        noteFailures(outcome.failed.filter { target.unreachable[$0.key] == nil })
        let n = outcome.acked.count
        counters.withLock {
            sent += outcome.bytes
            sessionCount += n
            alreadyCount += outcome.alreadyImported
            if atomic { stagedSSTables.append((replicas, outcome.acked)) }
            if n > 0 && outcome.alreadyImported == n {
                alreadyRowCount += rows
            } else {
                committedRowCount += rows
                committedSSTableCount += 1
            }
        }
    }
}
