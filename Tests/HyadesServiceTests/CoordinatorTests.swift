import Foundation
import HyadesCluster
import HyadesCore
import HyadesStorage
import Synchronization
import Testing
@testable import HyadesService

/// The coordinator's pure parts: how answers count toward a level, the replica payloads,
/// how replicas' answers are reconciled and which replicas get repaired, ranges cut at the
/// ring, and hints on disk.
@Suite struct WriteResponseHandlerTests {
    let a = HostID(high: 1, low: 1), b = HostID(high: 2, low: 2), c = HostID(high: 3, low: 3)
    let d = HostID(high: 4, low: 4)

    func handler(_ cl: ConsistencyLevel, blockFor: Int, _ targets: [(HostID, String)], factors: [String: Int] = [:]) -> WriteResponseHandler {
        WriteResponseHandler(consistency: cl, writeType: "SIMPLE", blockFor: blockFor, localDataCenter: "dc1",
                             targets: targets, factors: factors)
    }

    @Test func quorumSucceedsOnTheSecondAcknowledgementOnce() {
        var h = handler(.quorum, blockFor: 2, [(a, "dc1"), (b, "dc1"), (c, "dc1")])
        #expect(h.start() == .pending)
        #expect(h.acknowledged(by: a) == .pending)
        #expect(h.acknowledged(by: a) == .pending)   // a repeated answer counts once
        #expect(h.acknowledged(by: b) == .succeeded)
        #expect(h.acknowledged(by: c) == .pending)   // decided already
    }

    @Test func allTimesOutWithCassandrasFields() {
        var h = handler(.all, blockFor: 3, [(a, "dc1"), (b, "dc1"), (c, "dc1")])
        _ = h.acknowledged(by: a)
        _ = h.acknowledged(by: b)
        guard case .failed(let e) = h.timedOut(at: c) else { Issue.record("no outcome"); return }
        #expect(e.code == .writeTimeout && e.alive == 2 && e.required == 3 && e.writeType == "SIMPLE")
        #expect(e.consistency == .all)
    }

    @Test func failuresEndTheWriteAsSoonAsTheLevelIsOutOfReach() {
        var h = handler(.quorum, blockFor: 2, [(a, "dc1"), (b, "dc1"), (c, "dc1")])
        #expect(h.failed(at: a) == .pending)
        guard case .failed(let e) = h.failed(at: b) else { Issue.record("no outcome"); return }
        #expect(e.code == .writeFailure && e.failures == 2 && e.alive == 0)
    }

    @Test func localQuorumCountsOnlyTheLocalDataCentre() {
        var h = handler(.localQuorum, blockFor: 2, [(a, "dc1"), (b, "dc1"), (c, "dc2"), (d, "dc2")])
        #expect(h.acknowledged(by: c) == .pending)
        #expect(h.acknowledged(by: d) == .pending)
        #expect(h.acknowledged(by: a) == .pending)
        #expect(h.acknowledged(by: b) == .succeeded)
    }

    @Test func eachQuorumNeedsAQuorumInEveryDataCentre() {
        var h = handler(.eachQuorum, blockFor: 4, [(a, "dc1"), (b, "dc1"), (c, "dc2"), (d, "dc2")],
                        factors: ["dc1": 2, "dc2": 2])
        #expect(h.acknowledged(by: a) == .pending)
        #expect(h.acknowledged(by: b) == .pending)
        #expect(h.acknowledged(by: c) == .pending)
        #expect(h.acknowledged(by: d) == .succeeded)
    }

    @Test func hintsCountForAnyOnly() {
        var any = handler(.any, blockFor: 1, [])
        #expect(any.hinted() == .succeeded)
        var one = handler(.one, blockFor: 1, [(a, "dc1")])
        #expect(one.hinted() == .pending)
        #expect(one.acknowledged(by: a) == .succeeded)
    }
}

func update(_ key: Int32, table: TableID = TableID(high: 9, low: 9), rows: [(Int64, String)], deletedAt: Int64? = nil) -> PartitionUpdate {
    let k = withUnsafeBytes(of: key.bigEndian, Array.init)
    var u = PartitionUpdate(table: table, key: DecoratedKey(key: k))
    if let deletedAt { u.partitionDeletion = DeletionTime(markedForDeleteAt: deletedAt, localDeletionTime: 100) }
    u.rows = [Row(clustering: [], liveness: LivenessInfo(timestamp: rows.map(\.0).max() ?? 0),
                  columns: rows.isEmpty ? [] : [.simple(ColumnID(1), .live(timestamp: rows.last!.0, value: Array(rows.last!.1.utf8)))])]
    return u
}

@Suite struct ReplicaMessagesTests {
    @Test func commandsAndAnswersRoundTrip() throws {
        let key = DecoratedKey(key: [1, 2, 3])
        let slices = Slices([ClusteringSlice(start: [1], end: [5]), ClusteringSlice(start: [7], end: [9])])
        let read = ReplicaMessages.ReadCommand(kind: .digest, table: TableID(high: 1, low: 2), key: key, slices: slices)
        #expect(try ReplicaMessages.decodeRead(ReplicaMessages.encode(read)) == read)
        let range = ReplicaMessages.RangeCommand(table: TableID(high: 3, low: 4),
                                                 range: PartitionRange(lower: [1], upper: nil), slices: .all, limit: 1000)
        #expect(try ReplicaMessages.decodeRange(ReplicaMessages.encode(range)) == range)
        var digestRange = range
        digestRange.digest = true
        #expect(try ReplicaMessages.decodeRange(ReplicaMessages.encode(digestRange)) == digestRange)
        let p = update(5, rows: [(10, "x")])
        #expect(try ReplicaMessages.decodeData(ReplicaMessages.encodeData(p)) == p)
        #expect(try ReplicaMessages.decodeData(ReplicaMessages.encodeData(nil)) == nil)
        let answer = ReplicaMessages.RangeResponse(partitions: [p, update(6, rows: [(11, "y")])], complete: false)
        #expect(try ReplicaMessages.decodeRangeResponse(ReplicaMessages.encode(answer)) == answer)
    }

    @Test func damagedPayloadsAreRefusedNotTrusted() {
        let read = ReplicaMessages.encode(ReplicaMessages.ReadCommand(kind: .data, table: TableID(high: 1, low: 2),
                                                                      key: DecoratedKey(key: [1]), slices: .all))
        #expect(throws: ReplicaMessages.DecodeError.self) { try ReplicaMessages.decodeRead(Array(read.dropLast())) }
        #expect(throws: ReplicaMessages.DecodeError.self) { try ReplicaMessages.decodeRead(read + [0]) }
        #expect(throws: ReplicaMessages.DecodeError.self) { try ReplicaMessages.decodeRead([7] + read.dropFirst()) }
        // A slice count that cannot fit in the payload is refused before any allocation.
        var huge = Array(read.prefix(read.count - 4 - 16))
        huge += [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: ReplicaMessages.DecodeError.self) { try ReplicaMessages.decodeRead(huge) }
        #expect(throws: ReplicaMessages.DecodeError.self) { try ReplicaMessages.decodeData([1, 9, 9]) }
    }

    @Test func digestsAreEqualForEqualDataOnly() {
        let p = update(5, rows: [(10, "x")])
        #expect(ReplicaMessages.digest(p) == ReplicaMessages.digest(update(5, rows: [(10, "x")])))
        #expect(ReplicaMessages.digest(p) != ReplicaMessages.digest(update(5, rows: [(11, "x")])))
        #expect(ReplicaMessages.digest(p) != ReplicaMessages.digest(nil))
        #expect(ReplicaMessages.digest(nil).count == 16)
    }
}

@Suite struct ReplicaReconcilerTests {
    let a = HostID(high: 1, low: 1), b = HostID(high: 2, low: 2), c = HostID(high: 3, low: 3)

    @Test func newestWinsAndOnlyStaleReplicasAreRepaired() throws {
        let old = update(1, rows: [(10, "old")]), new = update(1, rows: [(20, "new")])
        let merged = try ReplicaReconciler.merge([[old], [new], [new]], table: old.table)
        #expect(merged.count == 1)
        guard case .simple(_, let cell) = merged[0].rows[0].columns[0] else { Issue.record("no cell"); return }
        #expect(cell.value == Array("new".utf8) && cell.timestamp == 20)
        let stale = ReplicaReconciler.stale([a: [old], b: [new], c: [new]], merged: merged)
        #expect(Array(stale.keys) == [a])
    }

    @Test func aDeletionOnOneReplicaShadowsOlderDataOnAnother() throws {
        let live = update(1, rows: [(10, "x")])
        let deleted = update(1, rows: [], deletedAt: 15)
        let merged = try ReplicaReconciler.merge([[live], [deleted]], table: live.table)
        #expect(merged.count == 1 && merged[0].partitionDeletion.markedForDeleteAt == 15)
        // Filtered as a read sees it: nothing is live.
        let rows = FilteredPartitionIterator(UpdatesPartitionIterator(merged), nowInSeconds: 100)
        #expect(try rows.nextPartition() == nil)
        // A replica missing a partition entirely gets it.
        let stale = ReplicaReconciler.stale([a: [], b: [deleted]], merged: merged)
        #expect(stale[a]?.count == 1)
    }
}

@Suite struct RangeSplitTests {
    @Test func rangesAreCutAtTheRingAndMergedWhenReplicasMatch() throws {
        let hosts = [HostID(high: 1, low: 1), HostID(high: 2, low: 2), HostID(high: 3, low: 3)]
        var ring = TokenMetadata()
        for (i, h) in hosts.enumerated() {
            try ring.add(Endpoint(hostID: h, address: "127.0.0.\(i + 1)", location: .default),
                         tokens: [Token(Int64(i) * 1000 - 1000), Token(Int64(i) * 1000 + 5_000_000)])
        }
        let topology = ClusterTopology(local: hosts[0], localLocation: .default, ring: ring, alive: Set(hosts))
        let holder = ClusterTopologyHolder()
        holder.update(topology)
        let engine = try StorageEngine(commitLogDirectory: NSTemporaryDirectory() + "hyades-split-" + UUID().uuidString,
                                       fileSystem: PosixFileSystem())
        defer { try? engine.shutdown() }
        final class NoTransport: ReplicaTransport {
            func send(_ verb: InternodeVerb, payload: [UInt8], to replica: HostID, timeoutMillis: Int64,
                      reply: @escaping @Sendable (ReplicaReply) -> Void) { reply(.failure("none")) }
        }
        let rf1 = ReplicationParams(className: ReplicationParams.simpleStrategy, options: ["replication_factor": "1"])
        let proxy = StorageProxy(engine: engine, topology: holder, transport: NoTransport(), hints: nil,
                                 replicationOf: { _ in rf1 })
        let splits = proxy.splits(.all, params: rf1, topology: topology)
        // 6 ring tokens: 7 pieces in byte order, the first and last both the wrapping range's
        // (its owner holds both), no two neighbours with one owner left unmerged.
        #expect(splits.first?.range.lower == [] && splits.last?.range.upper == nil)
        for (x, y) in zip(splits, splits.dropFirst()) {
            #expect(x.range.upper == y.range.lower)
            #expect(Set(x.replicas) != Set(y.replicas))
        }
        #expect(splits.allSatisfy { $0.replicas.count == 1 })
        // Each piece's replica is the owner of its tokens: check a key in every piece.
        let map = ReplicaMap(strategy: SimpleStrategy(replicationFactor: 1), ring: ring)
        for t in stride(from: Int64(-3_000), through: 6_000_000, by: 997) {
            let key = DecoratedKey(token: Token(t), key: [0])
            let piece = splits.first { $0.range.contains(key.byteComparable) }
            #expect(piece?.replicas == map.replicas(for: Token(t)))
        }
        // RF 3: one piece, every node.
        let rf3 = ReplicationParams(className: ReplicationParams.simpleStrategy, options: ["replication_factor": "3"])
        #expect(proxy.splits(.all, params: rf3, topology: topology).count == 1)
        // A token range inside one piece stays one piece.
        let inner = PartitionRange.tokens(after: Token(10), upTo: Token(20))
        #expect(proxy.splits(inner, params: rf1, topology: topology).map(\.range) == [inner])
    }
}

@Suite struct HintStoreTests {
    let host = HostID(high: 7, low: 7)

    func store(_ dir: String, now: Int64 = 1_000, window: Int64 = 10_000, maxBytes: Int64 = 0) throws -> HintStore {
        try HintStore(directory: dir, fileSystem: PosixFileSystem(), maxWindowMillis: window, maxBytesPerHost: maxBytes,
                      nowMillis: { now })
    }

    @Test func hintsSurviveARestartAndReplayOnce() throws {
        let dir = NSTemporaryDirectory() + "hyades-hints-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try store(dir)
        for i in 0..<5 { #expect(s.store(Mutation([update(Int32(i), rows: [(Int64(i), "v")])]), for: host, downSinceMillis: nil)) }
        s.close()
        let reopened = try store(dir)
        #expect(reopened.hostsWithHints == [host])
        let hints = try #require(try reopened.beginDispatch(to: host))
        #expect(hints.count == 5 && hints[3].updates[0] == update(3, rows: [(3, "v")]))
        // A second replay while one runs gets nothing.
        #expect(try reopened.beginDispatch(to: host) == nil)
        try reopened.finishDispatch(to: host)
        #expect(reopened.hostsWithHints.isEmpty)
    }

    @Test func aTornTailIsDroppedAndTheHintsBeforeItReplay() throws {
        let dir = NSTemporaryDirectory() + "hyades-hints-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try store(dir)
        for i in 0..<3 { _ = s.store(Mutation([update(Int32(i), rows: [(1, "v")])]), for: host, downSinceMillis: nil) }
        s.close()
        let path = dir + "/" + host.description + ".hints"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 3] ^= 0xFF   // the last record's body
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let hints = try #require(try store(dir).beginDispatch(to: host))
        #expect(hints.count == 2)
    }

    @Test func windowAndSizeBoundsKeepNothingMore() throws {
        let dir = NSTemporaryDirectory() + "hyades-hints-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try store(dir, now: 100_000, window: 10_000, maxBytes: 200)
        let m = Mutation([update(1, rows: [(1, "v")])])
        // Down for longer than max_hint_window: not hinted.
        #expect(!s.store(m, for: host, downSinceMillis: 50_000))
        #expect(s.store(m, for: host, downSinceMillis: 95_000))
        var kept = 1
        while s.store(m, for: host, downSinceMillis: nil) { kept += 1 }
        #expect(kept >= 2 && s.size(for: host) <= 200)
    }
}

@Suite struct BatchlogStoreTests {
    @Test func batchesAreKeptUntilRemovedAndDueOnlyWhenOld() throws {
        let dir = NSTemporaryDirectory() + "hyades-batchlog-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try BatchlogStore(directory: dir, fileSystem: PosixFileSystem())
        let first = UUID(), second = UUID()
        let m = Mutation([update(1, rows: [(1, "a")]), update(2, rows: [(1, "b")])])
        let payload = BatchlogStore.encode(id: first, mutation: m)
        let (id, decoded) = try BatchlogStore.decode(payload)
        #expect(id == first && decoded == m)
        try log.store(id: first, mutation: m, createdMillis: 1_000)
        try log.store(id: second, mutation: m, createdMillis: 5_000)
        #expect(log.due(createdBeforeMillis: 2_000).map(\.id) == [first])
        #expect(log.due(createdBeforeMillis: 9_000).map(\.id) == [first, second])
        log.remove(id: first)
        #expect(log.due(createdBeforeMillis: 9_000).map(\.id) == [second])
        // A damaged batch is set aside, never replayed.
        let path = dir + "/" + second.uuidString.lowercased() + ".batch"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 1] ^= 0x55
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(log.due(createdBeforeMillis: 9_000).isEmpty)
        #expect(FileManager.default.fileExists(atPath: path + ".corrupt"))
    }
}

/// A batch logged here whose coordinator died before writing it is applied by the replay,
/// on every replica, then removed; a batch not yet due is left alone.
@Suite struct BatchlogReplayTests {
    @Test func aBatchWhoseCoordinatorDiedIsAppliedByItsBatchlogNode() throws {
        let node = try TestNode()
        try node.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 2}")
        try node.run("CREATE TABLE ks.t (k int PRIMARY KEY, v int)")
        let table = try #require(node.schema.table(keyspace: "ks", name: "t"))
        // A two-node ring: this node and a peer that records what it is sent.
        let me = HostID(high: 1, low: 1), peer = HostID(high: 2, low: 2)
        var ring = TokenMetadata()
        try ring.add(Endpoint(hostID: me, address: "127.0.0.1", location: .default), tokens: [Token(0)])
        try ring.add(Endpoint(hostID: peer, address: "127.0.0.2", location: .default), tokens: [Token(1 << 62)])
        let topology = ClusterTopology(local: me, localLocation: .default, ring: ring, alive: [me, peer])
        let holder = ClusterTopologyHolder()
        holder.update(topology)
        final class Recorder: ReplicaTransport, @unchecked Sendable {
            let lock = NSLock()
            var sent: [(InternodeVerb, [UInt8])] = []
            func send(_ verb: InternodeVerb, payload: [UInt8], to replica: HostID, timeoutMillis: Int64,
                      reply: @escaping @Sendable (ReplicaReply) -> Void) {
                lock.withLock { sent.append((verb, payload)) }
                reply(.response([]))
            }
        }
        let transport = Recorder()
        let rf2 = try #require(node.schema.keyspace(named: "ks")).replication
        let proxy = StorageProxy(engine: node.engine, topology: holder, transport: transport, hints: nil,
                                 replicationOf: { _ in rf2 })
        let log = try BatchlogStore(directory: node.root + "/batchlog", fileSystem: PosixFileSystem())
        func row(_ k: Int32) -> PartitionUpdate {
            var u = PartitionUpdate(table: table.id, key: DecoratedKey(key: withUnsafeBytes(of: k.bigEndian, Array.init)))
            u.rows = [Row(clustering: [], liveness: LivenessInfo(timestamp: 10))]
            return u
        }
        let dead = UUID(), fresh = UUID()
        try log.store(id: dead, mutation: Mutation([row(1), row(2)]), createdMillis: 1_000)
        try log.store(id: fresh, mutation: Mutation([row(3)]), createdMillis: 9_000)
        let replayed = Mutex<[UUID]>([])
        proxy.replayBatchlog(log, createdBeforeMillis: 5_000, topology: topology) { id, error in
            if error == nil { replayed.withLock { $0.append(id) } }
        }
        #expect(replayed.withLock { $0 } == [dead])
        #expect(log.due(createdBeforeMillis: .max).map(\.id) == [fresh])
        // Both partitions are on this node, and went to the peer (RF 2 of 2 nodes).
        #expect(try node.rows("SELECT k FROM ks.t").rowCount == 2)
        let toPeer = transport.lock.withLock { transport.sent }.filter { $0.0 == .mutationReq }
        let keys = Set(try toPeer.flatMap { try MutationSerializer.deserialize($0.1).updates.map(\.key) })
        #expect(keys == [row(1).key, row(2).key])
    }
}
