import Foundation
import HyadesCore

/// The node's host id and tokens, chosen once at first start and kept in
/// `<data>/node-identity.txt` so that a restart owns the same ranges (Cassandra keeps
/// them in system.local). Format: lines `host_id=<uuid>`, `tokens=<t1>,<t2>,...`,
/// `crc32c=<hex of CRC32C over the preceding lines' bytes>`.
public struct NodeIdentity: Sendable, Hashable {
    public var hostID: UUID
    public var tokens: [Token]

    public static let fileName = "node-identity.txt"

    public init(hostID: UUID, tokens: [Token]) {
        self.hostID = hostID
        self.tokens = tokens
    }

    /// Reads the identity in `directory`, or creates and durably writes a new one: a new
    /// host id and the tokens `allocate` chooses for it (`numTokens` random tokens without
    /// it). Kept across restarts: a node allocates once, at its first start.
    public static func loadOrCreate(directory: String, numTokens: Int,
                                    allocate: ((UUID) throws -> [Token])? = nil) throws -> NodeIdentity {
        let path = directory + "/" + fileName
        if FileManager.default.fileExists(atPath: path) { return try read(path: path) }
        let hostID = UUID()
        let tokens: [Token]
        if let allocate {
            tokens = try allocate(hostID).sorted()
        } else {
            var rng = SystemRandomNumberGenerator()
            var set = Set<Int64>()
            while set.count < numTokens {
                // Int64.min is the partitioner's minimum token and never owned.
                set.insert(Int64.random(in: (Int64.min + 1)...Int64.max, using: &rng))
            }
            tokens = set.sorted().map(Token.init)
        }
        let id = NodeIdentity(hostID: hostID, tokens: tokens)
        try id.write(path: path)
        return id
    }

    var body: String {
        "host_id=\(hostID.uuidString.lowercased())\ntokens=\(tokens.map { String($0.value) }.joined(separator: ","))\n"
    }

    func write(path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let b = body
        let text = b + "crc32c=\(String(CRC32C.checksum(Array(b.utf8)), radix: 16))\n"
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ServerConfigError("cannot create \(tmp): errno \(errno)") }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard n == bytes.count, synced == 0 else { throw ServerConfigError("cannot write \(tmp)") }
        guard rename(tmp, path) == 0 else { throw ServerConfigError("cannot rename \(tmp) to \(path): errno \(errno)") }
    }

    static func read(path: String) throws -> NodeIdentity {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServerConfigError("cannot read \(path)")
        }
        var fields: [String: String] = [:]
        var checked = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let eq = line.firstIndex(of: "=") else { throw ServerConfigError("\(path): malformed line '\(line)'") }
            let k = String(line[..<eq]), v = String(line[line.index(after: eq)...])
            if k != "crc32c" { checked += line + "\n" }
            fields[k] = v
        }
        guard let crc = fields["crc32c"], UInt32(crc, radix: 16) == CRC32C.checksum(Array(checked.utf8)) else {
            throw ServerConfigError("\(path): checksum mismatch (file corrupt)")
        }
        guard let h = fields["host_id"], let hostID = UUID(uuidString: h) else { throw ServerConfigError("\(path): bad host_id") }
        let tokens = try (fields["tokens"] ?? "").split(separator: ",").map { s -> Token in
            guard let v = Int64(s) else { throw ServerConfigError("\(path): bad token '\(s)'") }
            return Token(v)
        }
        guard !tokens.isEmpty else { throw ServerConfigError("\(path): no tokens") }
        return NodeIdentity(hostID: hostID, tokens: tokens)
    }
}
