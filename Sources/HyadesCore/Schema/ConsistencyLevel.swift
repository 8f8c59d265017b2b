/// How many replicas must answer a read or acknowledge a write. Raw values are the
/// native protocol's `[consistency]` codes (they travel on the wire, so never renumber).
public enum ConsistencyLevel: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case any = 0x0000
    case one = 0x0001
    case two = 0x0002
    case three = 0x0003
    case quorum = 0x0004
    case all = 0x0005
    case localQuorum = 0x0006
    case eachQuorum = 0x0007
    case serial = 0x0008
    case localSerial = 0x0009
    case localOne = 0x000A

    /// Cassandra's spelling (`LOCAL_QUORUM`), as error messages and cqlsh print it.
    public var description: String {
        switch self {
        case .any: return "ANY"
        case .one: return "ONE"
        case .two: return "TWO"
        case .three: return "THREE"
        case .quorum: return "QUORUM"
        case .all: return "ALL"
        case .localQuorum: return "LOCAL_QUORUM"
        case .eachQuorum: return "EACH_QUORUM"
        case .serial: return "SERIAL"
        case .localSerial: return "LOCAL_SERIAL"
        case .localOne: return "LOCAL_ONE"
        }
    }

    /// Parses Cassandra's spelling, case-insensitively.
    public init?(name: String) {
        let upper = name.uppercased()
        guard let cl = ConsistencyLevel.allCases.first(where: { $0.description == upper }) else { return nil }
        self = cl
    }

    /// SERIAL and LOCAL_SERIAL are only for the Paxos phase of conditional updates.
    public var isSerial: Bool { self == .serial || self == .localSerial }

    /// Replicas that must answer, for a replication factor (per data centre for the LOCAL_
    /// and EACH_ levels on a single DC). ANY needs no replica (a hint would do).
    public func blockFor(replicationFactor rf: Int) -> Int {
        switch self {
        case .any: return 0
        case .one, .localOne: return 1
        case .two: return 2
        case .three: return 3
        case .quorum, .localQuorum, .eachQuorum, .serial, .localSerial: return rf / 2 + 1
        case .all: return rf
        }
    }
}
