import CCrypt
import Foundation

/// Salted, slow password hashes with libxcrypt's bcrypt (`$2b$`), the algorithm
/// Cassandra's PasswordAuthenticator keeps in `system_auth.roles.salted_hash`. The salt is
/// drawn from the OS by libxcrypt; verifying costs about as much as hashing (2^cost
/// rounds), which is the point: a stolen credentials file is expensive to attack.
public enum PasswordHasher {
    /// Cassandra's default (`auth_bcrypt_gensalt_log2_rounds: 10`).
    public static let defaultCost = 10

    /// A new salted hash of `password`, e.g. `$2b$10$<22 salt chars><31 hash chars>`.
    public static func hash(_ password: String, cost: Int = defaultCost) throws -> String {
        guard !password.utf8.contains(0) else { throw ServerConfigError("a password cannot contain a NUL byte") }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else {
            throw ServerConfigError("cannot generate a bcrypt salt: errno \(errno)")
        }
        guard let h = run(password, setting: setting), h.hasPrefix("$2b$") else {
            throw ServerConfigError("bcrypt hashing failed")
        }
        return h
    }

    /// Whether `password` hashes to `stored` (compared in constant time).
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard !password.utf8.contains(0), stored.hasPrefix("$2") else { return false }
        guard let h = run(password, setting: Array(stored.utf8CString)) else { return false }
        let a = Array(h.utf8), b = Array(stored.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    /// A valid hash no password is known for: checking an unknown user against it costs
    /// the same time as a wrong password, so timing does not reveal which users exist.
    static let decoy: String = (try? hash(UUID().uuidString)) ?? "$2b$10$"

    private static func run(_ password: String, setting: [CChar]) -> String? {
        // struct crypt_data is ~32 KiB: on the heap, zeroed as libxcrypt asks.
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<crypt_data>.alignment)
        defer {
            data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            data.deallocate()
        }
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        guard let out = crypt_rn(password, setting, data, Int32(size)) else { return nil }
        let s = String(cString: out)
        // Failure is reported as a string starting with '*'.
        return s.hasPrefix("*") ? nil : s
    }
}
