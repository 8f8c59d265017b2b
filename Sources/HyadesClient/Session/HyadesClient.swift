import HyadesCore
import HyadesProtocol
import NIOCore
import NIOPosix
import Synchronization

/// A session with a Hyades (or Cassandra) cluster: connection pools to every node,
/// token-aware routing of prepared statements, a prepared-statement cache, paging.
///
///     let client = try await HyadesClient.connect(contactPoints: ["127.0.0.1:9042"])
///     let insert = try await client.prepare("INSERT INTO ks.t (k, v) VALUES (?, ?)")
///     _ = try await client.execute(insert, [.int(1), .text("a")])
///     for try await page in client.pages("SELECT * FROM ks.t") { for row in page { ... } }
///
/// The async methods suit applications; the `...Future` ones create no Task per request
/// and, called from the connection's event loop, not even a thread hop (load generators).
public final class HyadesClient: Sendable {
    public let configuration: HyadesClientConfiguration
    let group: any EventLoopGroup
    private let state: Mutex<State>
    private let roundRobin = Atomic<Int>(0)
    /// The USEd keyspace, in its own box so a pool's reconnect closure can hold it strongly:
    /// a `weak` reference to the client would give the client a side table, and then every
    /// retain/release of it (one pair per request) takes the runtime's slow path.
    private let sessionKeyspace: SessionKeyspace

    struct State {
        var topology: Topology
        var prepared: [String: CQLPreparedStatement] = [:]
        var closed = false
    }

    /// The pools and the ring, swapped as a whole when the topology is re-read.
    final class Topology: Sendable {
        let pools: [HostPool]
        let byHost: [String: HostPool]
        let ring: TokenRing
        /// The pool of each `ring.hosts` entry: routing then needs no string hashing.
        let ringPools: [HostPool?]
        init(pools: [HostPool], ring: TokenRing) {
            self.pools = pools
            let byHost = Dictionary(pools.map { ($0.host, $0) }, uniquingKeysWith: { a, _ in a })
            self.byHost = byHost
            self.ring = ring
            self.ringPools = ring.hosts.map { byHost[$0] }
        }
    }

    private init(configuration: HyadesClientConfiguration, group: any EventLoopGroup, topology: Topology) {
        self.configuration = configuration
        self.group = group
        self.state = Mutex(State(topology: topology))
        self.sessionKeyspace = SessionKeyspace(configuration.keyspace)
    }

    // MARK: connecting

    /// Connects to the first reachable contact point, reads the ring from system.local and
    /// system.peers, connects to the other nodes, and USEs `configuration.keyspace`.
    public static func connect(_ configuration: HyadesClientConfiguration,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> HyadesClient {
        guard configuration.connectionsPerHost >= 1 else {
            throw CQLClientError.invalidArgument("connectionsPerHost must be at least 1")
        }
        var attempts: [String] = []
        for point in configuration.contactPoints {
            let (host, port) = try HyadesClientConfiguration.endpoint(point, defaultPort: configuration.defaultPort)
            do {
                let client = HyadesClient(configuration: configuration, group: group,
                                          topology: Topology(pools: [], ring: TokenRing([])))
                let pool = try await openPool(host: host, port: port, configuration: configuration, group: group,
                                              keyspace: nil, sessionKeyspace: client.sessionKeyspace)
                client.state.withLock { $0.topology = Topology(pools: [pool], ring: TokenRing([])) }
                do {
                    do {
                        try await client.refreshTopology()
                    } catch let e as CQLClientError where e.code != nil {
                        // A node that will not show its system tables (permissions, an
                        // older server) is still usable: without a ring, requests simply
                        // go round-robin instead of to the key's owner.
                    }
                    if let ks = configuration.keyspace { try await client.use(ks) }
                } catch {
                    await client.close()
                    throw error
                }
                return client
            } catch let e as CQLClientError {
                if case .server = e { throw e }  // the node answered: a real error, not unreachability
                attempts.append("\(host):\(port): \(e.message)")
            }
        }
        throw CQLClientError.noHostAvailable(attempts)
    }

    /// `connect` with default settings.
    public static func connect(contactPoints: [String], keyspace: String? = nil,
                               compression: CQLCompression? = nil) async throws -> HyadesClient {
        try await connect(HyadesClientConfiguration(contactPoints: contactPoints, keyspace: keyspace,
                                                    connection: CQLConnectionConfiguration(compression: compression)))
    }

    static func openPool(host: String, port: Int, configuration: HyadesClientConfiguration,
                         group: any EventLoopGroup, keyspace: String?, sessionKeyspace: SessionKeyspace) async throws -> HostPool {
        var connections: [CQLConnection] = []
        do {
            for _ in 0..<configuration.connectionsPerHost {
                let c = try await CQLConnection.connect(host: host, port: port, configuration: configuration.connection, group: group)
                connections.append(c)
                if let keyspace { _ = try await c.request(.query("USE \(quoteIdentifier(keyspace))", CQLQueryParameters())) }
            }
        } catch {
            for c in connections { await c.close() }
            throw error
        }
        let connection = configuration.connection
        return HostPool(host: host, port: port, connections: connections) {
            let c = try await CQLConnection.connect(host: host, port: port, configuration: connection, group: group)
            if let ks = sessionKeyspace.value {
                _ = try await c.request(.query("USE \(quoteIdentifier(ks))", CQLQueryParameters()))
            }
            return c
        }
    }

    /// Re-reads tokens and peers; connects to nodes not yet connected (if `discoverPeers`).
    public func refreshTopology() async throws {
        let current = state.withLock { $0.topology }
        guard let control = current.pools.first(where: { $0.pick() != nil }) else {
            throw CQLClientError.noHostAvailable(current.pools.map { "\($0.endpoint): all connections closed" })
        }
        var entries: [(token: Int64, host: String)] = []
        let local = try await execute("SELECT tokens FROM system.local", options: CQLStatementOptions(consistency: .one), on: control)
        for row in local { for t in Self.tokenList(row, 0) { entries.append((t, control.host)) } }
        var pools = current.pools
        let peers = try await execute("SELECT peer, rpc_address, tokens FROM system.peers",
                                      options: CQLStatementOptions(consistency: .one), on: control)
        let keyspace = sessionKeyspace.value
        for row in peers {
            // rpc_address 0.0.0.0 means "the same as peer" (Cassandra's convention).
            var host = row.formatted(1) ?? row.formatted(0) ?? ""
            if host == "0.0.0.0" || host == "::" { host = row.formatted(0) ?? host }
            guard !host.isEmpty else { continue }
            for t in Self.tokenList(row, 2) { entries.append((t, host)) }
            if configuration.discoverPeers, !pools.contains(where: { $0.host == host }) {
                if let pool = try? await Self.openPool(host: host, port: control.port, configuration: configuration,
                                                       group: group, keyspace: keyspace, sessionKeyspace: sessionKeyspace) {
                    pools.append(pool)
                }
            }
        }
        let topology = Topology(pools: pools, ring: TokenRing(entries))
        state.withLock { $0.topology = topology }
    }

    static func tokenList(_ row: CQLRow, _ column: Int) -> [Int64] {
        guard case .set(let items) = row.value(column) else { return [] }
        return items.compactMap { if case .text(let s) = $0 { return Int64(s) } else { return nil } }
    }

    static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// Closes every connection; requests in flight fail with `.connectionClosed`.
    public func close() async {
        let pools = state.withLock { s -> [HostPool] in
            s.closed = true
            return s.topology.pools
        }
        for p in pools { await p.closeAll() }
    }

    // MARK: state

    /// The keyspace unqualified names refer to.
    public var keyspace: String? { sessionKeyspace.value }

    /// The ring as last read.
    public var ring: TokenRing { state.withLock { $0.topology.ring } }

    /// "host:port" of every connected node.
    public var connectedHosts: [String] { state.withLock { $0.topology.pools.map(\.endpoint) } }

    /// The node a prepared statement with these values is sent to ("host:port"), if routable.
    public func routedHost(_ statement: CQLPreparedStatement, _ values: [CQLValue]) -> String? {
        guard let token = statement.token(values) else { return nil }
        let topology = state.withLock { $0.topology }
        return topology.ring.owner(of: token).flatMap { topology.byHost[$0]?.endpoint }
    }

    /// Asks one node for server events ("SCHEMA_CHANGE", "TOPOLOGY_CHANGE", "STATUS_CHANGE");
    /// they arrive at `configuration.connection.onEvent`.
    public func register(events: [String]) async throws {
        let c = try connection(for: nil)
        try await c.register(events)
    }

    /// USE on every connection, and on connections opened later.
    public func use(_ keyspace: String) async throws {
        let pools = state.withLock { $0.topology.pools }
        for pool in pools {
            for c in pool.connections where c.isActive {
                let r = try await c.send(.query("USE \(Self.quoteIdentifier(keyspace))", CQLQueryParameters()),
                                         timeout: configuration.requestTimeout).get()
                _ = try ResultSet.from(r, knownColumns: nil)
            }
        }
        sessionKeyspace.value = keyspace
    }

    // MARK: routing

    /// A connection to the owner of `token` if known and up, else the next node round-robin.
    @usableFromInline
    func connection(for token: Token?) throws -> CQLConnection {
        let topology = state.withLock { $0.topology }
        if let token, configuration.tokenAware, let i = topology.ring.ownerIndex(of: token),
           let c = topology.ringPools[i]?.pick() {
            return c
        }
        let pools = topology.pools
        let n = pools.count
        guard n > 0 else { throw CQLClientError.noHostAvailable(["the client is closed"]) }
        let start = roundRobin.wrappingAdd(1, ordering: .relaxed).oldValue
        for i in 0..<n {
            if let c = pools[Int(UInt(bitPattern: start &+ i) % UInt(n))].pick() { return c }
        }
        throw CQLClientError.noHostAvailable(pools.map { "\($0.endpoint): all connections closed" })
    }

    func parameters(_ values: [CQLValue], _ options: CQLStatementOptions, skipMetadata: Bool) -> CQLQueryParameters {
        let pageSize = options.pageSize ?? configuration.pageSize
        return CQLQueryParameters(consistency: options.consistency ?? configuration.consistency, values: values,
                                  skipMetadata: skipMetadata, pageSize: pageSize > 0 ? pageSize : nil,
                                  pagingState: options.pagingState,
                                  serialConsistency: options.serialConsistency ?? configuration.serialConsistency,
                                  defaultTimestamp: options.timestamp)
    }

    func timeoutNanos(_ options: CQLStatementOptions) -> UInt64 {
        UInt64(max((options.timeout ?? configuration.requestTimeout).nanoseconds, 1))
    }

    // MARK: simple statements

    /// Runs a CQL string with bound values (no prepare): one page of its result.
    /// A USE here switches only the connection it ran on; use `execute` or `use(_:)`
    /// to switch the whole client.
    public func executeFuture(_ query: String, _ values: [CQLValue] = [],
                              options: CQLStatementOptions = .init()) -> EventLoopFuture<ResultSet> {
        let connection: CQLConnection
        do { connection = try self.connection(for: nil) } catch { return group.next().makeFailedFuture(error) }
        return executeFuture(query, values, options: options, on: connection)
    }

    func executeFuture(_ query: String, _ values: [CQLValue] = [], options: CQLStatementOptions,
                       on connection: CQLConnection) -> EventLoopFuture<ResultSet> {
        connection.sendRequest(.query(query, parameters(values, options, skipMetadata: false)), timeoutNanos: timeoutNanos(options))
            .flatMapThrowing { try ResultSet.from($0, knownColumns: nil) }
    }

    /// Runs a CQL string with bound values: one page of its result. A USE switches every
    /// connection of the client.
    public func execute(_ query: String, _ values: [CQLValue] = [], options: CQLStatementOptions = .init()) async throws -> ResultSet {
        let result = try await executeFuture(query, values, options: options).get()
        if let ks = result.keyspace { try await use(ks) }
        return result
    }

    func execute(_ query: String, options: CQLStatementOptions, on pool: HostPool) async throws -> ResultSet {
        guard let c = pool.pick() else { throw CQLClientError.connectionClosed("\(pool.endpoint): all connections closed") }
        return try await executeFuture(query, [], options: options, on: c).get()
    }

    // MARK: prepared statements

    /// Prepares `query` (or returns the cached statement for the same string).
    public func prepare(_ query: String) async throws -> CQLPreparedStatement {
        if let cached = state.withLock({ $0.prepared[query] }) { return cached }
        return try await prepareFuture(query).get()
    }

    /// Prepares `query` on one node (others learn it on first use, via UNPREPARED) and caches it.
    public func prepareFuture(_ query: String) -> EventLoopFuture<CQLPreparedStatement> {
        if let cached = state.withLock({ $0.prepared[query] }) { return group.next().makeSucceededFuture(cached) }
        let connection: CQLConnection
        do { connection = try self.connection(for: nil) } catch { return group.next().makeFailedFuture(error) }
        return prepare(query, on: connection)
    }

    func prepare(_ query: String, on connection: CQLConnection) -> EventLoopFuture<CQLPreparedStatement> {
        connection.sendRequest(.prepare(query), timeoutNanos: timeoutNanos(.init())).flatMapThrowing { envelope in
            guard case .result(.prepared(let p)) = envelope.response else {
                throw CQLClientError.unexpectedResponse("answer to PREPARE: \(envelope.response.opcode)")
            }
            let statement = CQLPreparedStatement(query: query, prepared: p)
            self.state.withLock { $0.prepared[query] = statement }
            return statement
        }
    }

    /// Executes a prepared statement on the node owning its partition key (token-aware);
    /// re-prepares once if that node does not know the statement (UNPREPARED, 0x2500).
    /// No Task and, from the connection's event loop, no thread hop.
    public func executeFuture(_ statement: CQLPreparedStatement, _ values: [CQLValue] = [],
                              options: CQLStatementOptions = .init()) -> EventLoopFuture<ResultSet> {
        let connection: CQLConnection
        do {
            connection = try routedConnection(statement, values)
        } catch {
            return group.next().makeFailedFuture(error)
        }
        let promise = connection.eventLoop.makePromise(of: ResultSet.self)
        execute(statement, values, options, on: connection, retryUnprepared: true) { promise.completeWith($0) }
        return promise.futureResult
    }

    /// `executeFuture` without the future: `onComplete` runs once, on the connection's
    /// event loop, with the page or the `CQLClientError`. The cheapest call there is (one
    /// closure per request, nothing else): what `hyades stress` drives its load with.
    /// Send the next request from inside `onComplete` to keep a pipeline full without
    /// leaving the event loop.
    public func execute(_ statement: CQLPreparedStatement, _ values: [CQLValue], options: CQLStatementOptions = .init(),
                        onComplete: @escaping @Sendable (Result<ResultSet, any Error>) -> Void) {
        let connection: CQLConnection
        do {
            connection = try routedConnection(statement, values)
        } catch {
            onComplete(.failure(error))
            return
        }
        execute(statement, values, options, on: connection, retryUnprepared: true, onComplete: onComplete)
    }

    @inline(__always)
    func routedConnection(_ statement: CQLPreparedStatement, _ values: [CQLValue]) throws -> CQLConnection {
        guard values.count == statement.bindColumns.count else {
            throw CQLClientError.invalidArgument(
                "\(values.count) values for \(statement.bindColumns.count) bind markers in: \(statement.query)")
        }
        return try connection(for: configuration.tokenAware ? statement.token(values) : nil)
    }

    func execute(_ statement: CQLPreparedStatement, _ values: [CQLValue], _ options: CQLStatementOptions,
                 on connection: CQLConnection, retryUnprepared: Bool,
                 onComplete: @escaping @Sendable (Result<ResultSet, any Error>) -> Void) {
        let known = statement.resultColumns
        // The node already told us the result columns at PREPARE: skip resending them per page.
        let params = parameters(values, options, skipMetadata: !known.isEmpty)
        connection.send(.execute(id: statement.id, params), timeoutNanos: timeoutNanos(options)) { result in
            switch result {
            case .success(let envelope):
                onComplete(Result { try ResultSet.from(envelope, knownColumns: known) })
            case .failure(let error as CQLClientError) where retryUnprepared && error.code == CQLClientError.unpreparedCode:
                self.prepare(statement.query, on: connection).whenComplete { prepared in
                    switch prepared {
                    case .success(let fresh):
                        self.execute(fresh, values, options, on: connection, retryUnprepared: false, onComplete: onComplete)
                    case .failure(let e):
                        onComplete(.failure(e))
                    }
                }
            case .failure(let error):
                onComplete(.failure(error))
            }
        }
    }

    public func execute(_ statement: CQLPreparedStatement, _ values: [CQLValue] = [],
                        options: CQLStatementOptions = .init()) async throws -> ResultSet {
        try await executeFuture(statement, values, options: options).get()
    }

    // MARK: paging

    /// Every page of a CQL string's result, the next one fetched while the current one is used.
    public func pages(_ query: String, _ values: [CQLValue] = [], options: CQLStatementOptions = .init()) -> CQLPageSequence {
        CQLPageSequence(options: options) { opts in self.executeFuture(query, values, options: opts) }
    }

    /// Every page of a prepared statement's result, the next one fetched while the current one is used.
    public func pages(_ statement: CQLPreparedStatement, _ values: [CQLValue] = [],
                      options: CQLStatementOptions = .init()) -> CQLPageSequence {
        CQLPageSequence(options: options) { opts in self.executeFuture(statement, values, options: opts) }
    }

    /// Every row of a CQL string's result, across pages.
    public func rows(_ query: String, _ values: [CQLValue] = [], options: CQLStatementOptions = .init()) -> CQLRowSequence {
        CQLRowSequence(pages: pages(query, values, options: options))
    }

    /// Every row of a prepared statement's result, across pages.
    public func rows(_ statement: CQLPreparedStatement, _ values: [CQLValue] = [],
                     options: CQLStatementOptions = .init()) -> CQLRowSequence {
        CQLRowSequence(pages: pages(statement, values, options: options))
    }
}

/// The keyspace a client's connections USE, shared by the client and its pools' reconnects.
final class SessionKeyspace: Sendable {
    private let box: Mutex<String?>
    init(_ keyspace: String?) { box = Mutex(keyspace) }
    var value: String? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
