import Foundation
import HyadesClient
import HyadesCluster
import HyadesStorage

/// Opens the uploads of SSTables streamed to their nodes while they are written
/// (`StreamingSink`). One upload per SSTable, to every replica of its range.
protocol SSTableUploader: AnyObject, Sendable {
    /// `attempt` tells a rewrite of the same SSTable (after a token collision) from the
    /// first try: it gets another session id, as the first session may still be open.
    func openUpload(generation: Int64, rows: Int, minToken: Int64, maxToken: Int64, attempt: Int) throws -> SSTableUpload
}

/// The file system an SSTable is written through when it goes straight to its replicas
/// (no copy on the loader's disk): Data.db's bytes are sent as the writer appends them
/// (each block as it is finished, gathered into 1 MiB CHUNKs); Index, Filter and
/// Statistics, which the writer produces alongside or at the end, are kept in memory
/// (about 2% of the data) and sent after Data.db. `sync` is a no-op: the node makes
/// durable what it adopts. Used by one writer thread.
final class SSTableUpload: FileSystem, @unchecked Sendable {
    let fanOut: ReplicaFanOut
    var sessions: [SSTableUploadSession] { fanOut.sessions }
    let generation: Int64
    /// Rows of the SSTable (counted as committed once enough replicas adopted it).
    let rows: Int
    /// Set for `hyades load --atomic`: each session is staged under this id (STAGE), not
    /// committed; the load adopts them all at its end.
    let loadID: UUID?
    private var dataFile: StreamedFile?
    private var held: [SSTableFormat.Component: HeldFile] = [:]
    private var aborted = false

    init(fanOut: ReplicaFanOut, generation: Int64, rows: Int = 0, loadID: UUID? = nil) {
        self.fanOut = fanOut
        self.generation = generation
        self.rows = rows
        self.loadID = loadID
    }

    /// The component file names, in the order they are sent (INIT's file list).
    static func fileNames(generation: Int64) -> [String] {
        order.map { SSTableFormat.fileName(generation: generation, $0) }
    }
    static let order: [SSTableFormat.Component] = [.data, .index, .filter, .statistics]

    /// Bytes of every component written so far.
    var bytes: Int64 { (dataFile?.size ?? 0) + held.values.reduce(0) { $0 + $1.size } }

    /// After the writer finished: Data.db ends, the other components follow.
    func sendRemainingFiles() throws {
        guard let dataFile else { throw SSTableStreamerError("no Data.db was written for generation \(generation)") }
        try fanOut.forEach { try $0.endFile() }
        _ = dataFile
        for c in Self.order.dropFirst() {
            guard let f = held[c] else { throw SSTableStreamerError("no \(c.rawValue) was written for generation \(generation)") }
            try f.bytes.withUnsafeBytes { b in try fanOut.forEach { try $0.append(b) } }
            try fanOut.forEach { try $0.endFile() }
        }
    }

    /// COMMIT (STAGE for an atomic load) on every replica still streaming; returns the
    /// bytes sent, the replicas that adopted (staged) it and how many of them had the
    /// session already (an earlier run of the same load). Throws when fewer replicas than
    /// the consistency level needs adopted it.
    func commit() throws -> UploadOutcome {
        var sent: Int64 = 0, already = 0
        let loadID = self.loadID
        try fanOut.forEach { s in
            let r = try loadID.map { try s.stage(loadID: $0) } ?? s.commit()
            sent += r.bytesSent
            if r.alreadyImported { already += 1 }
        }
        return UploadOutcome(bytes: sent, alreadyImported: already, acked: fanOut.liveReplicas, failed: fanOut.failures)
    }

    /// Drops every connection: the nodes discard what they staged.
    func abort() {
        aborted = true
        fanOut.closeAll()
    }

    // MARK: FileSystem (what SSTableWriter uses)

    func createForWriting(_ path: String) throws -> any WritableFile {
        let name = (path as NSString).lastPathComponent
        guard let (g, c) = SSTableFormat.parseFileName(name), g == generation else {
            throw FileSystemError(operation: "create", path: path, errno: 22, message: "not a component of SSTable \(generation)")
        }
        if c == .data {
            let f = StreamedFile(path: path, fanOut: fanOut)
            dataFile = f
            return f
        }
        let f = HeldFile(path: path)
        held[c] = f
        return f
    }

    func createDirectory(_ path: String) throws {}
    func listDirectory(_ path: String) throws -> [String] { [] }
    func fileExists(_ path: String) -> Bool { false }
    func fileSize(_ path: String) throws -> Int64 { 0 }
    func removeFile(_ path: String) throws {}
    func rename(_ from: String, to: String) throws { throw unsupported(from) }
    func syncDirectory(_ path: String) throws {}
    func openForAppending(_ path: String) throws -> any WritableFile { throw unsupported(path) }
    func openForReading(_ path: String) throws -> any ReadableFile { throw unsupported(path) }
    func writeInPlace(_ path: String, at offset: Int64, _ bytes: [UInt8]) throws { throw unsupported(path) }

    private func unsupported(_ path: String) -> FileSystemError {
        FileSystemError(operation: "upload", path: path, errno: 95, message: "an uploaded SSTable is write-once")
    }
}

/// Data.db on its way to the replicas: each append goes out (gathered into CHUNKs).
final class StreamedFile: WritableFile, @unchecked Sendable {
    let path: String
    let fanOut: ReplicaFanOut
    private(set) var size: Int64 = 0

    init(path: String, fanOut: ReplicaFanOut) {
        self.path = path
        self.fanOut = fanOut
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        try fanOut.forEach { try $0.append(bytes) }
        size += Int64(bytes.count)
    }

    func sync() throws {}
    func close() throws {}
}

/// A small component kept in memory until Data.db has been sent.
final class HeldFile: WritableFile, @unchecked Sendable {
    let path: String
    private(set) var bytes: [UInt8] = []
    var size: Int64 { Int64(bytes.count) }

    init(path: String) { self.path = path }

    func append(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
    func sync() throws {}
    func close() throws {}
}

/// What an upload's COMMIT (or STAGE) came to.
struct UploadOutcome {
    var bytes: Int64
    var alreadyImported: Int
    /// Replicas that adopted (staged) the SSTable.
    var acked: Set<HostID>
    /// Replicas that failed during this upload (connection, refusal), with the error.
    var failed: [HostID: String]
}

/// The sessions of one SSTable to its reachable replicas. A replica that fails (its
/// connection drops, it refuses a file) is dropped from the upload and the others go on,
/// as long as enough remain for the consistency level; when too few remain, the upload
/// fails with an error naming the replicas that failed (address and host id).
final class ReplicaFanOut: @unchecked Sendable {
    let replicas: [LoadNode]
    private(set) var live: [(node: LoadNode, session: SSTableUploadSession)]
    private(set) var failures: [HostID: String]
    /// Whether a set of replicas still streaming (or adopted) meets the level.
    let meets: @Sendable (Set<HostID>) -> Bool
    /// What the level needs, for the error: "ALL (2 of 2)".
    let requirementText: String

    init(replicas: [LoadNode], sessions: [(LoadNode, SSTableUploadSession)], failures: [HostID: String],
         requirementText: String, meets: @escaping @Sendable (Set<HostID>) -> Bool) {
        self.replicas = replicas
        self.live = sessions.map { (node: $0.0, session: $0.1) }
        self.failures = failures
        self.meets = meets
        self.requirementText = requirementText
    }

    var sessions: [SSTableUploadSession] { live.map(\.session) }

    /// Runs `body` on every live session; a failing one is closed and dropped. Returns the
    /// replicas it succeeded on; throws if they no longer meet the level. (Called for every
    /// block of Data.db: nothing is allocated unless a session fails.)
    @discardableResult
    func forEach(_ body: (SSTableUploadSession) throws -> Void) throws -> Set<HostID> {
        var failed: [Int] = []
        for i in live.indices {
            do {
                try body(live[i].session)
            } catch {
                live[i].session.close()
                failures[live[i].node.hostID] = "\(error)"
                failed.append(i)
            }
        }
        guard !failed.isEmpty else { return [] }
        for i in failed.reversed() { live.remove(at: i) }
        let ok = liveReplicas
        guard meets(ok) else { throw SSTableStreamerError(shortMessage(ok)) }
        return ok
    }

    /// The replicas still streaming.
    var liveReplicas: Set<HostID> { Set(live.map(\.node.hostID)) }

    func shortMessage(_ ok: Set<HostID>) -> String {
        let failed = replicas.filter { failures[$0.hostID] != nil }.map { "\($0) — \(failures[$0.hostID]!)" }
        return "--consistency \(requirementText) not reached: \(ok.count) of the replicas \(replicas.map(\.address).joined(separator: ", ")) "
            + "took the SSTable; failed or unreachable: \(failed.isEmpty ? "none" : failed.joined(separator: "; "))"
    }

    func closeAll() {
        for entry in live { entry.session.close() }
    }
}
