import Foundation
import HyadesCore
import Synchronization

/// One login role: its name, whether it is a superuser, and its bcrypt salted hash.
public struct Role: Sendable, Hashable {
    public var name: String
    public var isSuperuser: Bool
    public var saltedHash: String

    public init(name: String, isSuperuser: Bool, saltedHash: String) {
        self.name = name
        self.isSuperuser = isSuperuser
        self.saltedHash = saltedHash
    }
}

/// The roles PasswordAuthenticator checks logins against, kept in
/// `<data>/auth/roles.txt` (format: docs/formats/roles.md): one line per role,
/// `<name> TAB <superuser: true|false> TAB <salted_hash> TAB <crc32c hex of the line up to
/// the last tab>`, written whole to a temporary file, fsynced and renamed.
///
/// Like Cassandra, a node whose store does not exist yet creates the default superuser
/// `cassandra` with password `cassandra`; operators change it with
/// `hyades role set-password`. A running node notices a changed file at the next login
/// (its modification time is checked then), so no restart is needed.
public final class RoleStore: Sendable {
    public static let directoryName = "auth"
    public static let fileName = "roles.txt"
    public static let defaultSuperuser = "cassandra"

    public let path: String
    private let state: Mutex<(roles: [String: Role], modified: Date?)>

    init(path: String, roles: [String: Role]) {
        self.path = path
        self.state = Mutex((roles, Self.modificationDate(path)))
    }

    /// The roles as last read.
    public var roles: [String: Role] { state.withLock { $0.roles } }

    static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// The current roles, re-read if the file changed since (a bad file keeps the old roles).
    func current() -> [String: Role] {
        let modified = Self.modificationDate(path)
        let (roles, known) = state.withLock { ($0.roles, $0.modified) }
        guard let modified, modified != known, let fresh = try? Self.read(path: path) else { return roles }
        let r = fresh.roles
        state.withLock { $0 = (r, modified) }
        return r
    }

    public static func path(dataDirectory: String) -> String {
        dataDirectory + "/" + directoryName + "/" + fileName
    }

    /// Opens the store under `dataDirectory`, creating it with the default superuser
    /// (cassandra / cassandra) when absent. `created` tells the caller to warn.
    public static func openOrCreate(dataDirectory: String) throws -> (store: RoleStore, created: Bool) {
        let p = path(dataDirectory: dataDirectory)
        if FileManager.default.fileExists(atPath: p) { return (try read(path: p), false) }
        let role = Role(name: defaultSuperuser, isSuperuser: true, saltedHash: try PasswordHasher.hash(defaultSuperuser))
        try write([role], path: p)
        return (RoleStore(path: p, roles: [role.name: role]), true)
    }

    /// The roles after setting `name`'s password (creating the role if new), written durably.
    public static func setPassword(dataDirectory: String, role name: String, password: String,
                                   superuser: Bool? = nil) throws -> RoleStore {
        guard !name.isEmpty, !name.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" }) else {
            throw ServerConfigError("a role name must be non-empty and contain no tab or newline")
        }
        let p = path(dataDirectory: dataDirectory)
        var roles = FileManager.default.fileExists(atPath: p) ? try read(path: p).roles : [:]
        let old = roles[name]
        roles[name] = Role(name: name, isSuperuser: superuser ?? old?.isSuperuser ?? false,
                           saltedHash: try PasswordHasher.hash(password))
        try write(Array(roles.values), path: p)
        return RoleStore(path: p, roles: roles)
    }

    /// Serializes read-modify-write changes made through this store (role statements).
    private let writer = Mutex<Void>(())

    /// Applies `change` to the current roles and writes the result durably; the change
    /// may throw to leave everything as it was.
    public func update<E: Error>(_ change: (inout [String: Role]) throws(E) -> Void) throws {
        try writer.withLock { _ in
            var roles = current()
            try change(&roles)
            try Self.write(Array(roles.values), path: path)
            let modified = Self.modificationDate(path)
            state.withLock { $0 = (roles, modified) }
        }
    }

    /// Whether `user` / `password` is a valid login. An unknown user costs the same time
    /// as a wrong password.
    public func authenticate(user: String, password: String) -> Bool {
        guard let role = current()[user] else {
            _ = PasswordHasher.verify(password, against: PasswordHasher.decoy)
            return false
        }
        return PasswordHasher.verify(password, against: role.saltedHash)
    }

    static func line(_ r: Role) -> String {
        let body = "\(r.name)\t\(r.isSuperuser)\t\(r.saltedHash)"
        return body + "\t" + String(CRC32C.checksum(Array(body.utf8)), radix: 16) + "\n"
    }

    static func write(_ roles: [Role], path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let text = roles.sorted { $0.name < $1.name }.map(line).joined()
        let tmp = path + ".tmp"
        // 0600: the hashes are salted and slow, but still nobody else's business.
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ServerConfigError("cannot create \(tmp): errno \(errno)") }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard n == bytes.count, synced == 0 else { throw ServerConfigError("cannot write \(tmp)") }
        guard rename(tmp, path) == 0 else { throw ServerConfigError("cannot rename \(tmp) to \(path): errno \(errno)") }
        let dfd = open(dir, O_RDONLY)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    static func read(path: String) throws -> RoleStore {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServerConfigError("cannot read \(path)")
        }
        var roles: [String: Role] = [:]
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4, let lastTab = line.lastIndex(of: "\t") else {
                throw ServerConfigError("\(path):\(i + 1): malformed line (expected 4 tab-separated fields)")
            }
            guard UInt32(fields[3], radix: 16) == CRC32C.checksum(Array(line[..<lastTab].utf8)) else {
                throw ServerConfigError("\(path):\(i + 1): checksum mismatch (file corrupt)")
            }
            guard let superuser = Bool(String(fields[1])) else {
                throw ServerConfigError("\(path):\(i + 1): superuser must be true or false")
            }
            let role = Role(name: String(fields[0]), isSuperuser: superuser, saltedHash: String(fields[2]))
            roles[role.name] = role
        }
        return RoleStore(path: path, roles: roles)
    }
}
