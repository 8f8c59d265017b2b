import Dispatch
import Foundation
import HyadesClient
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
/// table with the node's storage column ids, its compression, the ring and the
/// keyspace's replication.
public struct ClusterTarget: Sendable {
    public var table: TableMetadata
    /// (token, node address) sorted by token: the node owns the range ending at its token.
    public var ring: [(token: Int64, address: String)]
    /// Replicas per range (SimpleStrategy RF, or the sum of NetworkTopologyStrategy's
    /// per-datacenter RFs), at most the number of nodes.
    public var replicationFactor: Int
    /// The streaming listener's port on every node (`storage_port`).
    public var storagePort: Int

    /// Reads everything over CQL (system.local / system.peers via the client,
    /// system_schema.tables / keyspaces) and the streaming DESCRIBE_TABLE (column ids).
    /// The round trips overlap (the DESCRIBE_TABLE connection and the two schema queries
    /// run while the CQL connection's own set-up completes); errors are reported in the
    /// order a user fixes them: connection, keyspace, table, then the streaming port.
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
            let ks = try await ksQuery
            guard let ksRow = ks.first else { _ = try? await tbQuery; throw LoaderClusterError("keyspace \(keyspace) does not exist") }
            let replication = stringMap(ksRow.value(0))
            let tb = try await tbQuery
            guard let tbRow = tb.first else { throw LoaderClusterError("table \(keyspace).\(table) does not exist") }
            var params = TableParams()
            let compression = stringMap(tbRow.value(0))
            if !compression.isEmpty { params.compression = compression }
            let schema: StreamingTableSchema
            do {
                schema = try await described.get()
            } catch {
                throw LoaderClusterError("cannot read the column ids of \(keyspace).\(table) from \(host):\(storagePort) (storage_port): \(error)")
            }
            let metadata = try tableMetadata(schema, params: params)
            let r = client.ring
            var ring: [(token: Int64, address: String)] = r.tokens.map { t in
                (t, Self.address(r.owner(of: Token(t)) ?? host))
            }
            if ring.isEmpty { ring = [(Int64.max, host)] }
            let nodes = Set(ring.map(\.address)).count
            var rf = 1
            if (replication["class"] ?? "").hasSuffix("SimpleStrategy") {
                rf = Int(replication["replication_factor"] ?? "1") ?? 1
            } else {
                rf = replication.filter { $0.key != "class" && $0.key != "replication_factor" }.values.compactMap { Int($0) }.reduce(0, +)
                if rf == 0 { rf = Int(replication["replication_factor"] ?? "1") ?? 1 }
            }
            await client.close()
            return ClusterTarget(table: metadata, ring: ring, replicationFactor: max(1, min(rf, nodes)), storagePort: storagePort)
        } catch {
            await client.close()
            throw error
        }
    }

    static func describe(keyspace: String, table: String, at host: String, port: Int) async -> Result<StreamingTableSchema, any Error> {
        do { return .success(try await SSTableStreamer.tableSchema(keyspace: keyspace, table: table, at: host, port: port)) } catch {
            return .failure(error)
        }
    }

    static func address(_ endpoint: String) -> String {
        if endpoint.hasPrefix("["), let close = endpoint.firstIndex(of: "]") {
            return String(endpoint[endpoint.index(after: endpoint.startIndex)..<close])
        }
        if endpoint.filter({ $0 == ":" }).count == 1, let colon = endpoint.lastIndex(of: ":") { return String(endpoint[..<colon]) }
        return endpoint
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

    /// Range ends to cut SSTables at: every ring token when there is more than one node.
    public var splitTokens: [Int64] {
        Set(ring.map(\.address)).count > 1 ? ring.map(\.token) : []
    }

    /// The nodes holding `token`: the owner of the range it falls in, then the next
    /// distinct nodes clockwise (SimpleStrategy placement).
    public func replicas(of token: Int64) -> [String] {
        guard !ring.isEmpty else { return [] }
        var i = ring.firstIndex { $0.token >= token } ?? 0
        var out: [String] = []
        var steps = 0
        while out.count < replicationFactor && steps < ring.count {
            let a = ring[i].address
            if !out.contains(a) { out.append(a) }
            i = (i + 1) % ring.count
            steps += 1
        }
        return out
    }
}

/// Streams each finished SSTable to every replica of its range, which adopts it in one
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
    /// Rows of the SSTables every replica committed (staged, for an atomic load) in this run.
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

    /// One SSTable: the group of one (same replicas, session id and clean-up).
    public func accept(_ s: WrittenSSTable) throws { try accept([s]) }

    /// One session per node for all the SSTables of a flush it holds a replica of: one
    /// transfer, one MANIFEST edit on the node, all adopted or none.
    public func accept(_ sstables: [WrittenSSTable]) throws {
        var byNode: [String: [WrittenSSTable]] = [:]
        var order: [String] = []
        for s in sstables {
            for node in target.replicas(of: s.maxToken) {
                if byNode[node] == nil { order.append(node) }
                byNode[node, default: []].append(s)
            }
        }
        let ks = target.table.keyspace, tb = target.table.name, port = target.storagePort
        for node in order {
            let group = byNode[node]!
            let files = group.flatMap { SSTableFormatNames.files(directory: $0.directory, generation: $0.generation) }
            let session = sessionID(group, node: node)
            let summary = try blocking {
                try await SSTableStreamer.stream(files: files, keyspace: ks, table: tb, to: node, port: port, sessionID: session)
            }
            counters.withLock {
                sent += summary.bytesSent
                sessionCount += 1
            }
        }
        if !keepFiles {
            for s in sstables {
                for f in SSTableFormatNames.files(directory: s.directory, generation: s.generation) { try? FileManager.default.removeItem(atPath: f) }
            }
        }
    }

    /// For an atomic load: ADOPT_LOAD on every node something was staged on.
    public func finish() throws {
        guard atomic else { return }
        let ks = target.table.keyspace, tb = target.table.name, port = target.storagePort, id = loadID
        for node in stagingNodes {
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
    /// A session to every replica of the SSTable's range, opened before its first byte
    /// is written. The session id is known before the SSTable is: (table, node, write
    /// timestamp, input files, generation, rows, token range, attempt).
    func openUpload(generation: Int64, rows: Int, minToken: Int64, maxToken: Int64, attempt: Int) throws -> SSTableUpload {
        let names = SSTableUpload.fileNames(generation: generation)
        var sessions: [SSTableUploadSession] = []
        do {
            for node in target.replicas(of: maxToken) {
                if atomic { _ = counters.withLock { touchedNodes.insert(node) } }
                let id = Self.nameBasedUUID("\(target.table.keyspace).\(target.table.name)|\(node)|\(writeTimestamp)|\(inputFingerprint)"
                                            + "|\(generation)|\(rows)|\(minToken)|\(maxToken)|\(attempt)")
                sessions.append(try SSTableUploadSession(fileNames: names, keyspace: target.table.keyspace, table: target.table.name,
                                                         to: node, port: target.storagePort, sessionID: id))
            }
        } catch {
            for s in sessions { s.close() }
            throw error
        }
        return SSTableUpload(sessions: sessions, generation: generation, rows: rows, loadID: atomic ? loadID : nil)
    }

    /// After COMMIT (or STAGE) on every replica: counts what an upload sent and adopted.
    func noteCommitted(bytes: Int64, sessions n: Int, alreadyImported: Int, rows: Int = 0) {
        counters.withLock {
            sent += bytes
            sessionCount += n
            alreadyCount += alreadyImported
            if n > 0 && alreadyImported == n {
                alreadyRowCount += rows
            } else {
                committedRowCount += rows
                committedSSTableCount += 1
            }
        }
    }
}
