/// What one server connection enforces and advertises.
public struct CQLServerConfiguration: Sendable {
    /// Largest frame body accepted (checked on the header, before reading the body).
    public var maxBodyBytes: Int
    /// Largest body a compressed frame may expand to.
    public var maxUncompressedBodyBytes: Int
    /// Requests handed on but not yet answered, per connection. At this many the
    /// connection stops reading from the socket (back-pressure: the client's requests wait
    /// in its send buffer) until responses go out.
    public var maxInFlightRequests: Int
    /// Hard cap, above `maxInFlightRequests`: frames that were already read when reading
    /// paused still arrive; past this many in flight a request is answered with ERROR
    /// Overloaded (0x1001) instead of being queued without bound.
    public var maxInFlightRequestsHardLimit: Int
    /// SUPPORTED's body (answer to OPTIONS).
    public var supportedOptions: [String: [String]]
    /// The authenticator's class name sent in AUTHENTICATE; nil = no authentication
    /// (STARTUP is answered READY).
    public var authenticator: String?

    public init(maxBodyBytes: Int = CQLProtocol.defaultMaxBodyBytes,
                maxUncompressedBodyBytes: Int = CQLProtocol.defaultMaxUncompressedBodyBytes,
                maxInFlightRequests: Int = 1024,
                maxInFlightRequestsHardLimit: Int? = nil,
                supportedOptions: [String: [String]] = CQLProtocol.defaultSupportedOptions,
                authenticator: String? = nil) {
        self.maxBodyBytes = maxBodyBytes
        self.maxUncompressedBodyBytes = maxUncompressedBodyBytes
        self.maxInFlightRequests = maxInFlightRequests
        self.maxInFlightRequestsHardLimit = max(maxInFlightRequestsHardLimit ?? 4 * maxInFlightRequests, maxInFlightRequests)
        self.supportedOptions = supportedOptions
        self.authenticator = authenticator
    }

    /// Cassandra's password authenticator, for SASL PLAIN.
    public static let passwordAuthenticator = "org.apache.cassandra.auth.PasswordAuthenticator"
}
