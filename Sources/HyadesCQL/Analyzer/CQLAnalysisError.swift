import HyadesCore

/// A statement that parses but cannot run against the schema: the native-protocol error
/// code to answer with and Cassandra's message.
public struct CQLAnalysisError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Native protocol v4 error codes the analyzer produces.
    public enum Code: Int32, Hashable, Sendable {
        case serverError = 0x0000
        case syntaxError = 0x2000
        case unauthorized = 0x2100
        case invalid = 0x2200
        case configError = 0x2300
        case alreadyExists = 0x2400
    }

    public var code: Code
    public var message: String
    /// For `alreadyExists`: the keyspace and (for a table or type) the name, which the
    /// protocol's ALREADY_EXISTS error carries (empty name for a keyspace).
    public var existing: (keyspace: String, table: String)? {
        guard code == .alreadyExists else { return nil }
        return (existingKeyspace, existingTable)
    }
    var existingKeyspace = ""
    var existingTable = ""

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func invalid(_ message: String) -> CQLAnalysisError { CQLAnalysisError(.invalid, message) }

    public static func alreadyExists(keyspace: String, table: String = "", _ message: String) -> CQLAnalysisError {
        var e = CQLAnalysisError(.alreadyExists, message)
        e.existingKeyspace = keyspace
        e.existingTable = table
        return e
    }

    public var description: String { "[\(String(code.rawValue, radix: 16))] \(message)" }

    public static func == (a: Self, b: Self) -> Bool {
        a.code == b.code && a.message == b.message && a.existingKeyspace == b.existingKeyspace && a.existingTable == b.existingTable
    }

    public func hash(into h: inout Hasher) { h.combine(code); h.combine(message) }
}
