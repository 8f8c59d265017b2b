/// One gossiped value and the version it was set at (Cassandra's VersionedValue). Versions
/// come from one counter per node and generation, shared with the heartbeat, so "newer" is
/// a plain comparison within a generation.
public struct VersionedValue: Hashable, Sendable, CustomStringConvertible {
    public var value: String
    public var version: Int32

    public init(_ value: String, version: Int32) {
        self.value = value
        self.version = version
    }

    public var description: String { "Value(\(value),\(version))" }
}

/// STATUS values and their parts (Cassandra's VersionedValue constants and factory).
public enum GossipStatus {
    public static let delimiter: Character = ","
    public static let bootstrapping = "BOOT"
    public static let bootstrappingReplace = "BOOT_REPLACE"
    public static let normal = "NORMAL"
    public static let leaving = "LEAVING"
    public static let left = "LEFT"
    public static let moving = "MOVING"
    public static let removing = "removing"
    public static let removed = "removed"
    public static let hibernate = "hibernate"
    public static let shutdown = "shutdown"

    /// States of nodes that are gone or going: never marked alive (Gossiper.DEAD_STATES).
    public static let deadStates: Set<String> = [removing, removed, left, hibernate]
    /// States of nodes that own tokens in the ring (TokenMetadata members).
    public static let memberStates: Set<String> = [normal, leaving, moving]

    /// "NORMAL,<first token>" as Cassandra writes it (the full list is in TOKENS).
    public static func normal(tokens: [Int64]) -> String { "\(normal),\(tokens.first.map(String.init) ?? "")" }
    public static func left(tokens: [Int64], expireAtMillis: Int64) -> String {
        "\(left),\(tokens.first.map(String.init) ?? ""),\(expireAtMillis)"
    }
    public static let shutdownValue = "\(shutdown),true"

    /// The first piece of a STATUS value ("" when there is none).
    public static func kind(of value: String?) -> String {
        guard let value else { return "" }
        return String(value.split(separator: delimiter, maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The expire time (ms since the epoch) a LEFT or removed status carries in its third piece.
    public static func expireTimeMillis(of value: String) -> Int64? {
        let pieces = value.split(separator: delimiter, omittingEmptySubsequences: false)
        guard pieces.count >= 3, pieces[0] == Substring(left) || pieces[0] == Substring(removed) else { return nil }
        return Int64(pieces[2])
    }
}
