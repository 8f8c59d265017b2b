import HyadesCore

/// Builds a keyspace's strategy from its `ReplicationParams`, and checks new parameters
/// as Cassandra does at CREATE / ALTER KEYSPACE (`AbstractReplicationStrategy
/// .validateReplicationStrategy`): errors are thrown with Cassandra's messages, warnings
/// (sent to the client, as `ClientWarn`) returned.
public enum ReplicationStrategies {
    static let replicationFactorOption = "replication_factor"

    /// The strategy for stored parameters. Validation of names of data centres is left to
    /// `validate` (Cassandra checks them only when a statement changes the keyspace: a
    /// stored keyspace naming a data centre without nodes places nothing there).
    public static func make(_ params: ReplicationParams, localHost: HostID) throws(ConfigurationError) -> any ReplicationStrategy {
        switch ReplicationParams.canonicalClassName(params.className) {
        case ReplicationParams.simpleStrategy:
            guard let rf = params.options[replicationFactorOption] else {
                throw ConfigurationError("SimpleStrategy requires a replication_factor strategy option.")
            }
            return SimpleStrategy(replicationFactor: try replicationFactor(rf))
        case ReplicationParams.networkTopologyStrategy:
            var dcs: [String: Int] = [:]
            for (dc, v) in params.options {
                if dc.lowercased() == replicationFactorOption {
                    throw ConfigurationError("replication_factor should not appear as an option at construction time for NetworkTopologyStrategy")
                }
                dcs[dc] = try replicationFactor(v)
            }
            return NetworkTopologyStrategy(dataCenters: dcs)
        case ReplicationParams.localStrategy:
            return LocalStrategy(localHost: localHost)
        case ReplicationParams.everywhereStrategy:
            return EverywhereStrategy()
        default:
            throw ConfigurationError("Unable to find replication strategy class '\(params.className)'")
        }
    }

    /// Cassandra's `ReplicationFactor.fromString` plus `validateReplicationFactor`: a
    /// non-negative integer ("3"); transient replication ("3/1") is disabled, as in
    /// Cassandra's default configuration. Messages match the CQL analyzer's.
    public static func replicationFactor(_ text: String) throws(ConfigurationError) -> Int {
        if text.contains("/") {
            throw ConfigurationError("Transient replication is disabled. Enable in cassandra.yaml to use.")
        }
        guard let n = Int(text) else { throw ConfigurationError("Replication factor must be numeric; found \(text)") }
        guard n >= 0 else { throw ConfigurationError("Replication factor must be non-negative; found \(text)") }
        return n
    }

    /// NetworkTopologyStrategy's `prepareOptions` (CASSANDRA-14303), applied to a CREATE /
    /// ALTER before validation: `replication_factor` expands to every valid data centre
    /// not named explicitly (on ALTER, data centres already configured keep their factor),
    /// a bare ALTER from SimpleStrategy keeps its factor, and factors of "0" are dropped.
    public static func prepareNetworkTopologyOptions(_ options: [String: String], previous: [String: String],
                                                     validDataCenters: Set<String>) -> [String: String] {
        var out = options
        var replication = out.removeValue(forKey: replicationFactorOption)
        if replication == nil && out.isEmpty {
            replication = previous[replicationFactorOption]
        } else if replication != nil {
            for (k, v) in previous where k != replicationFactorOption && out[k] == nil { out[k] = v }
        }
        if let replication {
            for dc in validDataCenters where out[dc] == nil { out[dc] = replication }
        }
        return out.filter { $0.value != "0" }
    }

    /// Checks parameters of a CREATE / ALTER KEYSPACE against the ring, as Cassandra does.
    /// - `validDataCenters`: the local data centre plus those of the ring's endpoints
    ///   (Cassandra's `Datacenters.getValidDatacenters`); a NetworkTopologyStrategy naming
    ///   another one is refused (Cassandra 4.0+, CASSANDRA-12681), or, with
    ///   `rejectUnknownDataCenters: false`, accepted with a warning.
    /// Returns the warnings (a factor above the node count).
    public static func validate(_ params: ReplicationParams, keyspace: String, ring: TokenMetadata,
                                localDataCenter: String, rejectUnknownDataCenters: Bool = true) throws(ConfigurationError) -> [String] {
        let className = ReplicationParams.canonicalClassName(params.className)
        var warnings: [String] = []
        let ringNodes = ring.endpoints.values.filter { $0.status.ownsTokens }
        switch className {
        case ReplicationParams.simpleStrategy:
            guard let rfText = params.options[replicationFactorOption] else {
                throw ConfigurationError("SimpleStrategy requires a replication_factor strategy option.")
            }
            let rf = try replicationFactor(rfText)
            for k in params.options.keys.sorted() where k != replicationFactorOption {
                throw ConfigurationError("Unrecognized strategy option {\(k)} passed to SimpleStrategy for keyspace \(keyspace)")
            }
            if !ringNodes.isEmpty && rf > ringNodes.count {
                warnings.append("Your replication factor \(rf) for keyspace \(keyspace) is higher than the number of nodes \(ringNodes.count)")
            }
        case ReplicationParams.networkTopologyStrategy:
            if params.options.isEmpty {
                throw ConfigurationError("Configuration for at least one datacenter must be present")
            }
            let valid = Set(ring.dataCenterEndpoints.keys).union([localDataCenter])
            for (dc, v) in params.options.sorted(by: { $0.key < $1.key }) {
                if dc.lowercased() == replicationFactorOption {
                    throw ConfigurationError("replication_factor should not appear as an option to NetworkTopologyStrategy")
                }
                let rf = try replicationFactor(v)
                if !valid.contains(dc) {
                    if rejectUnknownDataCenters {
                        throw ConfigurationError("Unrecognized strategy option {\(dc)} passed to NetworkTopologyStrategy for keyspace \(keyspace)")
                    }
                    warnings.append("Datacenter \(dc) of keyspace \(keyspace) has no nodes; no replicas are placed there")
                    continue
                }
                let nodes = ring.dataCenterEndpoints[dc]?.count ?? 0
                if nodes > 0 && rf > nodes {
                    warnings.append("Your replication factor \(rf) for keyspace \(keyspace) is higher than the number of nodes \(nodes) for datacenter \(dc)")
                }
            }
        case ReplicationParams.localStrategy, ReplicationParams.everywhereStrategy:
            break
        default:
            throw ConfigurationError("Unable to find replication strategy class '\(params.className)'")
        }
        return warnings
    }
}
