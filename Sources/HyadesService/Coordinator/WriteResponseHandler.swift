import HyadesCluster
import HyadesCore

/// Counts the answers of the replicas of one write until its consistency level is met or
/// can no longer be (Cassandra's WriteResponseHandler, DatacenterWriteResponseHandler and
/// DatacenterSyncWriteResponseHandler in one pure state machine). Each event returns the
/// outcome once it is decided; later events return `.pending`... never a second outcome.
///
/// - ONE, TWO, THREE, QUORUM, ALL: any replica's acknowledgement counts.
/// - LOCAL_ONE, LOCAL_QUORUM: only replicas of the coordinator's data centre count.
/// - EACH_QUORUM: a quorum of every data centre's replicas.
/// - ANY: any acknowledgement, or a hint stored for a replica.
/// Hints never count except for ANY.
public struct WriteResponseHandler: Sendable {
    public enum Outcome: Equatable, Sendable {
        case pending
        case succeeded
        case failed(QueryError)
    }

    public let consistency: ConsistencyLevel
    public let writeType: String
    public let blockFor: Int
    let localDataCenter: String
    /// EACH_QUORUM: acknowledgements needed per data centre.
    var needByDC: [String: Int] = [:]
    var gotByDC: [String: Int] = [:]
    /// Replicas asked and not yet answered, with their data centres.
    var waiting: [HostID: String]
    public private(set) var received = 0
    public private(set) var failures = 0
    var timeouts = 0
    var decided = false

    /// `targets`: the live replicas the write was sent to (or applied on), with their data
    /// centres; `factors`: replication factor per data centre (EACH_QUORUM).
    public init(consistency: ConsistencyLevel, writeType: String, blockFor: Int, localDataCenter: String,
                targets: [(HostID, String)], factors: [String: Int] = [:]) {
        self.consistency = consistency
        self.writeType = writeType
        self.blockFor = blockFor
        self.localDataCenter = localDataCenter
        var w: [HostID: String] = [:]
        for (h, dc) in targets { w[h] = dc }
        self.waiting = w
        if consistency == .eachQuorum && !factors.isEmpty {
            for (dc, rf) in factors where rf > 0 { needByDC[dc] = rf / 2 + 1 }
        }
    }

    func counts(_ dc: String) -> Bool {
        switch consistency {
        case .localOne, .localQuorum, .localSerial: return dc == localDataCenter
        default: return true
        }
    }

    var satisfied: Bool {
        if !needByDC.isEmpty { return needByDC.allSatisfy { gotByDC[$0.key, default: 0] >= $0.value } }
        return received >= blockFor
    }

    /// Whether the acknowledgements still possible can meet the level.
    var stillPossible: Bool {
        if !needByDC.isEmpty {
            return needByDC.allSatisfy { dc, need in
                gotByDC[dc, default: 0] + waiting.values.filter { $0 == dc }.count >= need
            }
        }
        return received + waiting.values.filter(counts).count >= blockFor
    }

    mutating func decide() -> Outcome {
        guard !decided else { return .pending }
        if satisfied {
            decided = true
            return .succeeded
        }
        if !stillPossible {
            decided = true
            if timeouts > 0 || failures == 0 {
                return .failed(.writeTimeout(consistency, received: received, blockFor: blockFor, writeType: writeType))
            }
            return .failed(.writeFailure(consistency, received: received, blockFor: blockFor, failures: failures,
                                         writeType: writeType))
        }
        return .pending
    }

    /// The outcome already decidable before any answer (ALL of nothing; nothing to wait for).
    public mutating func start() -> Outcome { decide() }

    /// A replica acknowledged (applied) the write.
    public mutating func acknowledged(by host: HostID) -> Outcome {
        guard let dc = waiting.removeValue(forKey: host) else { return .pending }
        if counts(dc) {
            received += 1
            gotByDC[dc, default: 0] += 1
        }
        return decide()
    }

    /// A replica answered with an error.
    public mutating func failed(at host: HostID) -> Outcome {
        guard waiting.removeValue(forKey: host) != nil else { return .pending }
        failures += 1
        return decide()
    }

    /// A replica did not answer in time.
    public mutating func timedOut(at host: HostID) -> Outcome {
        guard waiting.removeValue(forKey: host) != nil else { return .pending }
        timeouts += 1
        return decide()
    }

    /// A hint was stored for a replica: counts for ANY only.
    public mutating func hinted() -> Outcome {
        guard consistency == .any else { return .pending }
        received += 1
        return decide()
    }
}
