import HyadesClient
import HyadesCore

/// The shell's session with the cluster: a `HyadesClient` plus the settings cqlsh keeps
/// per session (consistency levels), with synchronous calls for the main loop.
public final class ShellConnection {
    public let client: HyadesClient
    public let host: String
    public let port: Int
    /// CONSISTENCY; cqlsh's default is ONE.
    public var consistency: ConsistencyLevel = .one
    /// SERIAL CONSISTENCY (for conditional updates).
    public var serialConsistency: ConsistencyLevel = .serial

    init(client: HyadesClient, host: String, port: Int) {
        self.client = client
        self.host = host
        self.port = port
    }

    public static func connect(host: String, port: Int, keyspace: String?, username: String?, password: String?,
                               requestTimeoutSeconds: Int64) throws -> ShellConnection {
        var config = HyadesClientConfiguration(contactPoints: [host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"],
                                               keyspace: keyspace)
        config.connection.username = username
        config.connection.password = password
        config.requestTimeout = .seconds(requestTimeoutSeconds)
        // The shell talks to the node it was pointed at, like cqlsh's single-host session.
        config.discoverPeers = false
        config.tokenAware = false
        let c = config
        let client = try blocking { try await HyadesClient.connect(c) }
        return ShellConnection(client: client, host: host, port: port)
    }

    public var keyspace: String? { client.keyspace }

    /// One page of `cql`'s result. `pageSize <= 0` asks for everything at once; `after`
    /// continues from the previous page.
    public func execute(_ cql: String, pageSize: Int, after previous: ResultSet? = nil) throws -> ResultSet {
        var options = CQLStatementOptions()
        options.consistency = consistency
        options.serialConsistency = serialConsistency
        options.pageSize = Int32(clamping: pageSize)
        if let previous { options.pagingState = previous.pagingState }
        let o = options
        let client = self.client
        return try blocking { try await client.execute(cql, options: o) }
    }

    /// Runs statements concurrently (COPY FROM's inserts); one error (or nil) per statement.
    public func executeAll(_ statements: [String]) -> [(any Error)?] {
        var options = CQLStatementOptions()
        options.consistency = consistency
        let o = options
        let client = self.client
        let results = try? blocking { () async -> [Int: String] in
            await withTaskGroup(of: (Int, String?).self) { group in
                for (i, s) in statements.enumerated() {
                    group.addTask {
                        do { _ = try await client.execute(s, options: o); return (i, nil) } catch { return (i, ShellErrors.describe(error)) }
                    }
                }
                var failures: [Int: String] = [:]
                for await (i, e) in group { if let e { failures[i] = e } }
                return failures
            }
        }
        return statements.indices.map { i in results?[i].map { ShellMessageError($0) } }
    }

    public func close() {
        let client = self.client
        _ = try? blocking { await client.close() }
    }
}

/// An error whose text is already what the user should read.
public struct ShellMessageError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
