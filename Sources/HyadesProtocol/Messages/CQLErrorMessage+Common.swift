/// The errors the query layer raises most, with Cassandra's wording where drivers or
/// users recognise it.
extension CQLErrorMessage {
    public static func serverError(_ message: String) -> CQLErrorMessage { CQLErrorMessage(.serverError, message) }
    public static func syntaxError(_ message: String) -> CQLErrorMessage { CQLErrorMessage(.syntaxError, message) }
    public static func invalid(_ message: String) -> CQLErrorMessage { CQLErrorMessage(.invalid, message) }
    public static func configError(_ message: String) -> CQLErrorMessage { CQLErrorMessage(.configError, message) }
    public static func unauthorized(_ message: String) -> CQLErrorMessage { CQLErrorMessage(.unauthorized, message) }

    /// The same text for an unknown user and a wrong password, so neither can be probed.
    public static let badCredentials = CQLErrorMessage(.badCredentials, "Provided username and/or password are incorrect")

    /// Drivers re-prepare on this code and retry the EXECUTE.
    public static func unprepared(id: [UInt8]) -> CQLErrorMessage {
        let hex = id.map { byte in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }.joined()
        return CQLErrorMessage(.unprepared(id: id), "Prepared query with ID \(hex) not found (either the query was not prepared "
            + "on this host (maybe the host has been restarted?) or you have prepared too many queries and it has been "
            + "evicted from the internal cache)")
    }

    /// `table` empty for a keyspace, as the spec asks.
    public static func alreadyExists(keyspace: String, table: String = "") -> CQLErrorMessage {
        let what = table.isEmpty ? "keyspace \(keyspace)" : "table \(keyspace).\(table)"
        return CQLErrorMessage(.alreadyExists(keyspace: keyspace, table: table), "Cannot add already existing \(what)")
    }

    public static func unavailable(_ consistency: CQLConsistency, required: Int32, alive: Int32) -> CQLErrorMessage {
        CQLErrorMessage(.unavailable(consistency: consistency, required: required, alive: alive),
                        "Cannot achieve consistency level \(consistency)")
    }
}
