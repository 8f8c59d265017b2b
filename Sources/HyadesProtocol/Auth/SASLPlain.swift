/// The SASL PLAIN token (RFC 4616) that drivers send in AUTH_RESPONSE to Cassandra's
/// PasswordAuthenticator: `[authzid] NUL authcid NUL passwd`. The authorization id is
/// ignored, as Cassandra does.
public struct SASLPlainCredentials: Sendable, Hashable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// nil when the token is not two NULs apart: the caller answers bad credentials.
    public init?(token: [UInt8]) {
        guard let second = token.lastIndex(of: 0), let first = token[..<second].lastIndex(of: 0) else { return nil }
        let user = token[(first + 1)..<second]
        let pass = token[(second + 1)...]
        guard !user.isEmpty,
              let u = String(validating: user, as: UTF8.self),
              let p = String(validating: pass, as: UTF8.self) else { return nil }
        self.init(username: u, password: p)
    }

    /// The token a client sends (`NUL user NUL password`).
    public var token: [UInt8] {
        [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }
}
