import HyadesCore
@testable import HyadesCluster

/// Deterministic generator for tests (SplitMix64).
struct RingTestRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

enum RingFixtures {
    /// Host `n` (1-based) with a readable fixed id.
    static func host(_ n: Int) -> HostID { HostID(high: 0x4000 | UInt64(n) << 16, low: 0x8000_0000_0000_0000 | UInt64(n)) }

    static func endpoint(_ n: Int, dc: String = "dc1", rack: String = "r1", status: EndpointStatus = .normal) -> Endpoint {
        Endpoint(hostID: host(n), address: "127.0.1.\(n)", location: Location(dataCenter: dc, rack: rack), status: status)
    }

    static func tokens(_ values: Int64...) -> [Token] { values.map(Token.init) }

    /// The keys the golden generator uses: lengths 2...26 and bytes >= 0x80.
    static func keyBytes(_ i: Int) -> [UInt8] {
        Array("k\(i)".utf8) + (0..<(i % 20)).map { j in UInt8((i * 7 + j * 31) % 256) }
    }

    static func token(ofKey bytes: [UInt8]) -> Token {
        bytes.withUnsafeBytes { Murmur3Partitioner.token($0) }
    }
}
