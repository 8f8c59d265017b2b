import HyadesCluster
import HyadesCore
import HyadesStorage
import Synchronization

/// Hinted handoff's store (Cassandra's HintsBuffer / HintsStore): writes a replica missed,
/// kept on disk per replica until it is back. One append-only file per host,
/// `<directory>/<host id>.hints`, of records (docs/formats/hints.md):
///
///     u32 length | u32 CRC32C of the body | body: i64 created (ms) | mutation
///
/// A record whose checksum fails (a torn tail after a crash) ends the file: the hints
/// before it replay, the rest is reported and dropped. Bounded: no hint is kept for a host
/// down longer than `max_hint_window`, nor past `max_hints_size_per_host` bytes of hints.
public final class HintStore: HintSink, Sendable {
    public let directory: String
    let fileSystem: any FileSystem
    public let enabled: Bool
    public let maxWindowMillis: Int64
    /// 0: no bound.
    public let maxBytesPerHost: Int64
    let nowMillis: @Sendable () -> Int64

    private struct State {
        var files: [HostID: any WritableFile] = [:]
        /// Hosts whose hints are being replayed (the file was set aside).
        var dispatching: Set<HostID> = []
    }
    private let state = Mutex(State())

    public init(directory: String, fileSystem: any FileSystem, enabled: Bool = true, maxWindowMillis: Int64,
                maxBytesPerHost: Int64, nowMillis: @escaping @Sendable () -> Int64) throws {
        self.directory = directory
        self.fileSystem = fileSystem
        self.enabled = enabled
        self.maxWindowMillis = maxWindowMillis
        self.maxBytesPerHost = maxBytesPerHost
        self.nowMillis = nowMillis
        try fileSystem.createDirectory(directory)
    }

    func path(_ host: HostID) -> String { directory + "/" + host.description + ".hints" }
    func dispatchPath(_ host: HostID) -> String { directory + "/" + host.description + ".hints.dispatching" }

    public func store(_ mutation: Mutation, for host: HostID, downSinceMillis: Int64?) -> Bool {
        guard enabled else { return false }
        let now = nowMillis()
        if let since = downSinceMillis, now - since > maxWindowMillis { return false }
        let record = Self.record(now, mutation)
        return state.withLock { s -> Bool in
            do {
                let file: any WritableFile
                if let f = s.files[host] {
                    file = f
                } else {
                    let p = path(host)
                    file = fileSystem.fileExists(p) ? try fileSystem.openForAppending(p) : try fileSystem.createForWriting(p)
                    s.files[host] = file
                }
                if maxBytesPerHost > 0 && file.size + Int64(record.count) > maxBytesPerHost { return false }
                try file.append(record)
                return true
            } catch {
                return false
            }
        }
    }

    /// Hosts with hints on disk.
    public var hostsWithHints: [HostID] {
        let names = (try? fileSystem.listDirectory(directory)) ?? []
        var out = Set<HostID>()
        for n in names {
            guard let dot = n.firstIndex(of: "."), n.hasSuffix(".hints") || n.hasSuffix(".hints.dispatching"),
                  let h = HostID(n[..<dot]) else { continue }
            out.insert(h)
        }
        return out.sorted()
    }

    /// Bytes of hints kept for `host`.
    public func size(for host: HostID) -> Int64 {
        [path(host), dispatchPath(host)].reduce(0) { $0 + ((try? fileSystem.fileSize($1)) ?? 0) }
    }

    /// Sets the host's hints aside for replay and returns them (oldest first); nil when a
    /// replay to it is already under way or there is nothing. New hints go to a new file.
    /// `finishDispatch` deletes them once replayed; `abandonDispatch` keeps them for later.
    public func beginDispatch(to host: HostID) throws -> [Mutation]? {
        let start = state.withLock { s -> Bool in
            guard !s.dispatching.contains(host) else { return false }
            s.dispatching.insert(host)
            if let f = s.files.removeValue(forKey: host) {
                try? f.sync()
                try? f.close()
            }
            return true
        }
        guard start else { return nil }
        do {
            let live = path(host), aside = dispatchPath(host)
            // A set-aside file left by an earlier (interrupted) replay goes first; the live
            // file's hints are appended to it, so one file holds everything to replay.
            if fileSystem.fileExists(live) {
                if fileSystem.fileExists(aside) {
                    let more = try Self.readRecords(fileSystem, live)
                    let out = try fileSystem.openForAppending(aside)
                    for m in more { try out.append(Self.record(m.created, m.mutation)) }
                    try out.sync()
                    try out.close()
                    try fileSystem.removeFile(live)
                } else {
                    try fileSystem.rename(live, to: aside)
                }
                try fileSystem.syncDirectory(directory)
            }
            guard fileSystem.fileExists(aside) else {
                state.withLock { _ = $0.dispatching.remove(host) }
                return nil
            }
            let records = try Self.readRecords(fileSystem, aside)
            if records.isEmpty {
                try finishDispatch(to: host)
                return nil
            }
            return records.map(\.mutation)
        } catch {
            state.withLock { _ = $0.dispatching.remove(host) }
            throw error
        }
    }

    public func finishDispatch(to host: HostID) throws {
        defer { state.withLock { _ = $0.dispatching.remove(host) } }
        if fileSystem.fileExists(dispatchPath(host)) {
            try fileSystem.removeFile(dispatchPath(host))
            try fileSystem.syncDirectory(directory)
        }
    }

    public func abandonDispatch(to host: HostID) {
        state.withLock { _ = $0.dispatching.remove(host) }
    }

    public func close() {
        state.withLock { s in
            for f in s.files.values {
                try? f.sync()
                try? f.close()
            }
            s.files = [:]
        }
    }

    static func record(_ created: Int64, _ mutation: Mutation) -> [UInt8] {
        var body: [UInt8] = []
        for i in 0..<8 { body.append(UInt8(truncatingIfNeeded: UInt64(bitPattern: created) >> (56 - 8 * UInt64(i)))) }
        MutationSerializer.serialize(mutation, into: &body)
        var record: [UInt8] = []
        for v in [UInt32(body.count), CRC32C.checksum(body)] {
            for i in 0..<4 { record.append(UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32(i)))) }
        }
        return record + body
    }

    /// The records of a hints file up to the first damaged one.
    static func readRecords(_ fs: any FileSystem, _ path: String) throws -> [(created: Int64, mutation: Mutation)] {
        let file = try fs.openForReading(path)
        defer { file.close() }
        let bytes = try file.read(at: 0, count: Int(file.size))
        var out: [(Int64, Mutation)] = []
        var i = 0
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[at + $1]) } }
        while bytes.count - i >= 8 {
            let length = Int(u32(i)), crc = u32(i + 4)
            guard length >= 9, bytes.count - i - 8 >= length else { break }
            let body = Array(bytes[(i + 8)..<(i + 8 + length)])
            guard CRC32C.checksum(body) == crc else { break }
            let created = Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(body[$1]) })
            guard let m = try? MutationSerializer.deserialize(Array(body[8...])) else { break }
            out.append((created, m))
            i += 8 + length
        }
        return out
    }
}

/// Replays a host's hints once it is back (Cassandra's HintsDispatcher): every hint sent as
/// HINT_REQ, a few at a time; all acknowledged: the file is deleted; a failure or timeout
/// keeps them for the next attempt.
public final class HintsDispatcher: Sendable {
    public let store: HintStore
    let transport: any ReplicaTransport
    let timeoutMillis: Int64
    let metrics: CoordinatorMetrics
    /// Hints in flight per host at most.
    static let window = 32

    public init(store: HintStore, transport: any ReplicaTransport, timeoutMillis: Int64, metrics: CoordinatorMetrics) {
        self.store = store
        self.transport = transport
        self.timeoutMillis = timeoutMillis
        self.metrics = metrics
    }

    /// Starts a replay to `host` (nothing if one runs or there are no hints); `done` gets
    /// whether every hint was delivered.
    public func dispatch(to host: HostID, done: @escaping @Sendable (Bool) -> Void = { _ in }) {
        let hints: [Mutation]
        do {
            guard let h = try store.beginDispatch(to: host) else { return }
            hints = h
        } catch {
            done(false)
            return
        }
        let run = HintReplay(hints: hints, host: host, dispatcher: self, done: done)
        run.pump()
    }

    fileprivate func send(_ m: Mutation, to host: HostID, _ reply: @escaping @Sendable (ReplicaReply) -> Void) {
        transport.send(.hintReq, payload: MutationSerializer.serialize(m), to: host, timeoutMillis: timeoutMillis, reply: reply)
    }
}

/// One replay's progress: a window of hints in flight, the next one sent as each is
/// acknowledged.
private final class HintReplay: Sendable {
    private struct State {
        var next = 0
        var inFlight = 0
        var acknowledged = 0
        var failed = false
        var finished = false
    }
    private let state = Mutex(State())
    let hints: [Mutation]
    let host: HostID
    let dispatcher: HintsDispatcher
    let done: @Sendable (Bool) -> Void

    init(hints: [Mutation], host: HostID, dispatcher: HintsDispatcher, done: @escaping @Sendable (Bool) -> Void) {
        self.hints = hints
        self.host = host
        self.dispatcher = dispatcher
        self.done = done
    }

    func pump() {
        while true {
            let index = state.withLock { s -> Int? in
                guard !s.failed, s.next < hints.count, s.inFlight < HintsDispatcher.window else { return nil }
                defer {
                    s.next += 1
                    s.inFlight += 1
                }
                return s.next
            }
            guard let index else { break }
            dispatcher.send(hints[index], to: host) { [self] reply in
                var ok = false
                if case .response = reply { ok = true }
                let finish = state.withLock { s -> Bool? in
                    s.inFlight -= 1
                    if ok { s.acknowledged += 1 } else { s.failed = true }
                    guard !s.finished else { return nil }
                    if s.acknowledged == hints.count {
                        s.finished = true
                        return true
                    }
                    if s.failed && s.inFlight == 0 {
                        s.finished = true
                        return false
                    }
                    return nil
                }
                if ok { dispatcher.metrics.add(\.hintsReplayed) }
                switch finish {
                case true?:
                    try? dispatcher.store.finishDispatch(to: host)
                    done(true)
                case false?:
                    dispatcher.store.abandonDispatch(to: host)
                    done(false)
                case nil:
                    pump()
                }
            }
        }
    }
}
