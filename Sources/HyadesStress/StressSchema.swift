import HyadesClient
import HyadesProtocol
import NIOCore

/// The stress table, cassandra-stress's keyspace1.standard1 in spirit: a blob key (the
/// 8-byte big-endian key number) and `columns` blob columns of `columnSize` bytes.
struct StressSchema: Sendable {
    let settings: StressSettings
    /// Column values shared by every write: the buffers are reference-counted, so binding
    /// them costs no copy.
    let columnValues: [CQLValue]

    init(_ settings: StressSettings) {
        self.settings = settings
        var values: [CQLValue] = []
        for c in 0..<settings.columns {
            var b = ByteBufferAllocator().buffer(capacity: settings.columnSize)
            for i in 0..<settings.columnSize { b.writeInteger(UInt8(truncatingIfNeeded: (i &* 31) &+ c &* 7 &+ 0x41)) }
            values.append(.bytes(b))
        }
        columnValues = values
    }

    var qualifiedTable: String { "\(settings.keyspace).\(settings.table)" }
    var columnNames: [String] { (0..<settings.columns).map { "c\($0)" } }

    var createKeyspace: String {
        "CREATE KEYSPACE IF NOT EXISTS \(settings.keyspace) WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
    }
    var createTable: String {
        "CREATE TABLE IF NOT EXISTS \(qualifiedTable) (key blob PRIMARY KEY, " + columnNames.map { "\($0) blob" }.joined(separator: ", ") + ")"
    }
    var insert: String {
        "INSERT INTO \(qualifiedTable) (key, " + columnNames.joined(separator: ", ") + ") VALUES (?" + String(repeating: ", ?", count: settings.columns) + ")"
    }
    var select: String { "SELECT key, " + columnNames.joined(separator: ", ") + " FROM \(qualifiedTable) WHERE key = ?" }
    var scan: String {
        "SELECT key, " + columnNames.joined(separator: ", ") + " FROM \(qualifiedTable) WHERE token(key) > ? AND token(key) <= ?"
    }

    @inline(__always)
    static func key(_ n: Int) -> CQLValue { .bytes(ByteBuffer(integer: UInt64(n))) }

    @inline(__always)
    func insertValues(_ n: Int) -> [CQLValue] {
        var v: [CQLValue] = []
        v.reserveCapacity(1 + columnValues.count)
        v.append(Self.key(n))
        v.append(contentsOf: columnValues)
        return v
    }

    /// The bounds (exclusive, inclusive] of ring slice `i` of `n`: the whole Murmur3 ring
    /// (Int64.min is never a token) cut into equal parts.
    static func tokenRange(_ i: Int, of n: Int) -> (Int64, Int64) {
        let step = UInt64.max / UInt64(n)
        let lo = Int64(bitPattern: UInt64(bitPattern: Int64.min) &+ step &* UInt64(i))
        let hi = i == n - 1 ? Int64.max : Int64(bitPattern: UInt64(bitPattern: Int64.min) &+ step &* UInt64(i + 1))
        return (lo, hi)
    }
}
