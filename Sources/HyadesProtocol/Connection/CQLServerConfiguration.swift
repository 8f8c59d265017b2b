/// What one server connection enforces and advertises.
public struct CQLServerConfiguration: Sendable {
    /// Largest frame body accepted (checked on the header, before reading the body).
    public var maxBodyBytes: Int
    /// Largest body a compressed frame may expand to.
    public var maxUncompressedBodyBytes: Int
    /// Requests handed on but not yet answered, per connection; beyond it a request is
    /// answered with ERROR Overloaded (0x1001), which drivers retry elsewhere.
    public var maxInFlightRequests: Int
    /// SUPPORTED's body (answer to OPTIONS).
    public var supportedOptions: [String: [String]]
    /// The authenticator's class name sent in AUTHENTICATE; nil = no authentication
    /// (STARTUP is answered READY).
    public var authenticator: String?

    public init(maxBodyBytes: Int = CQLProtocol.defaultMaxBodyBytes,
                maxUncompressedBodyBytes: Int = CQLProtocol.defaultMaxUncompressedBodyBytes,
                maxInFlightRequests: Int = 1024,
                supportedOptions: [String: [String]] = CQLProtocol.defaultSupportedOptions,
                authenticator: String? = nil) {
        self.maxBodyBytes = maxBodyBytes
        self.maxUncompressedBodyBytes = maxUncompressedBodyBytes
        self.maxInFlightRequests = maxInFlightRequests
        self.supportedOptions = supportedOptions
        self.authenticator = authenticator
    }

    /// Cassandra's password authenticator, for SASL PLAIN.
    public static let passwordAuthenticator = "org.apache.cassandra.auth.PasswordAuthenticator"
}
