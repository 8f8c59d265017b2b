import HyadesCluster

/// What became of a request sent to a replica.
public enum ReplicaReply: Sendable {
    /// The replica's answer payload.
    case response([UInt8])
    /// The replica answered with an error (FAILURE_RSP), or the request could not be sent.
    case failure(String)
    /// No answer within the verb's timeout (the callback expired, as Cassandra's
    /// MessagingService callbacks do).
    case timeout
}

/// How the coordinator reaches other replicas: injected, so that the server sends over
/// internode messaging and the simulation over its seeded network. Every request gets
/// exactly one reply callback, at the latest when `timeoutMillis` passed.
public protocol ReplicaTransport: Sendable {
    func send(_ verb: InternodeVerb, payload: [UInt8], to replica: HostID, timeoutMillis: Int64,
              reply: @escaping @Sendable (ReplicaReply) -> Void)

    /// Runs `body` once after `afterMillis` (speculative retries). A transport without
    /// timers may never run it: reads then wait for their first targets only.
    func schedule(afterMillis: Int64, _ body: @escaping @Sendable () -> Void)
}

extension ReplicaTransport {
    public func schedule(afterMillis: Int64, _ body: @escaping @Sendable () -> Void) {}
}
