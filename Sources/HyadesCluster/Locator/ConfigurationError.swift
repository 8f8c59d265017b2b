/// Cassandra's `ConfigurationException`: a bad replication or snitch setting, with
/// Cassandra's message (clients see it as a CONFIG_ERROR, 0x2300).
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
