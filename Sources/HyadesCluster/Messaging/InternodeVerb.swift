/// Internode verbs with Cassandra's names and ids (org.apache.cassandra.net.Verb), plus the
/// default timeout of each, named after the cassandra.yaml option that sets it.
public struct InternodeVerb: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    // Writes.
    public static let mutationReq = Self(rawValue: 0)
    public static let mutationRsp = Self(rawValue: 60)
    public static let hintReq = Self(rawValue: 1)
    public static let hintRsp = Self(rawValue: 61)
    public static let readRepairReq = Self(rawValue: 2)
    public static let readRepairRsp = Self(rawValue: 62)
    public static let batchStoreReq = Self(rawValue: 5)
    public static let batchStoreRsp = Self(rawValue: 65)
    public static let batchRemoveReq = Self(rawValue: 6)
    public static let batchRemoveRsp = Self(rawValue: 66)
    public static let counterMutationReq = Self(rawValue: 24)
    public static let counterMutationRsp = Self(rawValue: 84)
    public static let truncateReq = Self(rawValue: 19)
    public static let truncateRsp = Self(rawValue: 79)
    // Reads.
    public static let readReq = Self(rawValue: 3)
    public static let readRsp = Self(rawValue: 63)
    public static let rangeReq = Self(rawValue: 9)
    public static let rangeRsp = Self(rawValue: 69)
    // Gossip (one-way, no callbacks).
    public static let gossipDigestSyn = Self(rawValue: 14)
    public static let gossipDigestAck = Self(rawValue: 15)
    public static let gossipDigestAck2 = Self(rawValue: 16)
    public static let gossipShutdown = Self(rawValue: 29)
    public static let echoReq = Self(rawValue: 31)
    public static let echoRsp = Self(rawValue: 91)
    public static let pingReq = Self(rawValue: 37)
    public static let pingRsp = Self(rawValue: 97)
    // Schema.
    public static let schemaPushReq = Self(rawValue: 18)
    public static let schemaPushRsp = Self(rawValue: 98)
    public static let schemaPullReq = Self(rawValue: 28)
    public static let schemaPullRsp = Self(rawValue: 88)
    public static let schemaVersionReq = Self(rawValue: 20)
    public static let schemaVersionRsp = Self(rawValue: 80)
    /// Generic failure answer to any request (Cassandra's FAILURE_RSP).
    public static let failureRsp = Self(rawValue: 99)
    /// Hyades only: the first frame on every internode connection (who is calling).
    /// 1000 and up is outside Cassandra's id space.
    public static let handshake = Self(rawValue: 1000)

    /// Every verb this node knows, with its name and timeout. A frame with a verb not in this
    /// table is answered FAILURE_RSP (requests) or dropped and counted (anything else).
    public static let all: [InternodeVerb: Info] = {
        var t: [InternodeVerb: Info] = [:]
        func add(_ v: InternodeVerb, _ name: String, _ timeout: InternodeTimeout, response: InternodeVerb? = nil) {
            t[v] = Info(name: name, timeout: timeout, responseVerb: response)
        }
        add(.mutationReq, "MUTATION_REQ", .writeRequest, response: .mutationRsp)
        add(.mutationRsp, "MUTATION_RSP", .writeRequest)
        add(.hintReq, "HINT_REQ", .writeRequest, response: .hintRsp)
        add(.hintRsp, "HINT_RSP", .writeRequest)
        add(.readRepairReq, "READ_REPAIR_REQ", .writeRequest, response: .readRepairRsp)
        add(.readRepairRsp, "READ_REPAIR_RSP", .writeRequest)
        add(.batchStoreReq, "BATCH_STORE_REQ", .writeRequest, response: .batchStoreRsp)
        add(.batchStoreRsp, "BATCH_STORE_RSP", .writeRequest)
        add(.batchRemoveReq, "BATCH_REMOVE_REQ", .writeRequest, response: .batchRemoveRsp)
        add(.batchRemoveRsp, "BATCH_REMOVE_RSP", .writeRequest)
        add(.counterMutationReq, "COUNTER_MUTATION_REQ", .counterWriteRequest, response: .counterMutationRsp)
        add(.counterMutationRsp, "COUNTER_MUTATION_RSP", .counterWriteRequest)
        add(.truncateReq, "TRUNCATE_REQ", .truncateRequest, response: .truncateRsp)
        add(.truncateRsp, "TRUNCATE_RSP", .truncateRequest)
        add(.readReq, "READ_REQ", .readRequest, response: .readRsp)
        add(.readRsp, "READ_RSP", .readRequest)
        add(.rangeReq, "RANGE_REQ", .rangeRequest, response: .rangeRsp)
        add(.rangeRsp, "RANGE_RSP", .rangeRequest)
        add(.gossipDigestSyn, "GOSSIP_DIGEST_SYN", .request)
        add(.gossipDigestAck, "GOSSIP_DIGEST_ACK", .request)
        add(.gossipDigestAck2, "GOSSIP_DIGEST_ACK2", .request)
        add(.gossipShutdown, "GOSSIP_SHUTDOWN", .request)
        add(.echoReq, "ECHO_REQ", .request, response: .echoRsp)
        add(.echoRsp, "ECHO_RSP", .request)
        add(.pingReq, "PING_REQ", .request, response: .pingRsp)
        add(.pingRsp, "PING_RSP", .request)
        add(.schemaPushReq, "SCHEMA_PUSH_REQ", .request, response: .schemaPushRsp)
        add(.schemaPushRsp, "SCHEMA_PUSH_RSP", .request)
        add(.schemaPullReq, "SCHEMA_PULL_REQ", .request, response: .schemaPullRsp)
        add(.schemaPullRsp, "SCHEMA_PULL_RSP", .request)
        add(.schemaVersionReq, "SCHEMA_VERSION_REQ", .request, response: .schemaVersionRsp)
        add(.schemaVersionRsp, "SCHEMA_VERSION_RSP", .request)
        add(.failureRsp, "FAILURE_RSP", .none)
        add(.handshake, "HANDSHAKE", .none)
        return t
    }()

    public struct Info: Equatable, Sendable {
        public let name: String
        public let timeout: InternodeTimeout
        /// The verb that answers this one (requests only).
        public let responseVerb: InternodeVerb?
    }

    public var info: Info? { Self.all[self] }
    public var name: String? { info?.name }
    public var isRequest: Bool { info?.responseVerb != nil }
    public var description: String { name ?? "VERB_\(rawValue)" }

    /// Looks a verb up by its Cassandra name ("READ_REQ").
    public static func named(_ name: String) -> InternodeVerb? {
        all.first { $0.value.name == name }?.key
    }
}

/// Which cassandra.yaml timeout applies to a verb's callback.
public enum InternodeTimeout: String, Equatable, Sendable, CaseIterable {
    case writeRequest = "write_request_timeout"
    case readRequest = "read_request_timeout"
    case rangeRequest = "range_request_timeout"
    case counterWriteRequest = "counter_write_request_timeout"
    case truncateRequest = "truncate_request_timeout"
    case request = "request_timeout"
    /// Responses to nothing (FAILURE_RSP, HANDSHAKE): no callback, no timeout.
    case none = "none"
}

/// The timeouts in milliseconds, defaults as in Cassandra 5.0's cassandra.yaml.
public struct InternodeTimeouts: Equatable, Sendable {
    public var writeRequestMillis: Int64 = 2000
    public var readRequestMillis: Int64 = 5000
    public var rangeRequestMillis: Int64 = 10000
    public var counterWriteRequestMillis: Int64 = 5000
    public var truncateRequestMillis: Int64 = 60000
    public var requestMillis: Int64 = 10000

    public init() {}

    /// Milliseconds a callback for `verb` waits before it times out; nil: no callback.
    public func millis(for verb: InternodeVerb) -> Int64? {
        guard let info = verb.info else { return nil }
        switch info.timeout {
        case .writeRequest: return writeRequestMillis
        case .readRequest: return readRequestMillis
        case .rangeRequest: return rangeRequestMillis
        case .counterWriteRequest: return counterWriteRequestMillis
        case .truncateRequest: return truncateRequestMillis
        case .request: return requestMillis
        case .none: return nil
        }
    }
}
