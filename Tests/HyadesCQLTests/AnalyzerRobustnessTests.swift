import Testing
import HyadesCore
@testable import HyadesCQL

/// No statement and no bound value traps the analyzer or plan execution: random edits of
/// valid statements over the fixture schema, executed with random bound values, either
/// work or throw.
@Suite struct AnalyzerRobustnessTests {
    typealias F = AnalyzerFixtures

    static let seeds = [
        "INSERT INTO kv (k, v, n, l, s, m, f) VALUES (1, 'a', 2, [1, 2], {'x'}, {'a': 1}, [3]) USING TTL 10 AND TIMESTAMP 5",
        "INSERT INTO kv (k, v, n, l, s, m, f) VALUES (?, ?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?",
        "UPDATE kv SET m['a'] = ?, s = s - {?}, l = ? + l, n = ? WHERE k IN (?, ?)",
        "UPDATE events SET v = ?, st = ? WHERE p = ? AND c1 = ? AND c2 IN ?",
        "DELETE FROM events WHERE p = ? AND c1 >= ? AND c1 < ?",
        "DELETE FROM events WHERE p = ? AND (c1, c2) IN ((?, ?), (1, 2))",
        "DELETE m[?], v FROM kv USING TIMESTAMP ? WHERE k = ?",
        "INSERT INTO people (k, home, work) VALUES (?, {street: ?, zip: ?}, ?)",
        "SELECT * FROM events WHERE p = ? AND c1 = ? AND c2 > ? AND c2 <= ? ORDER BY c1 DESC LIMIT ?",
        "SELECT k, writetime(v), ttl(n), token(k), count(*) FROM kv WHERE token(k) > ? AND token(k) <= ? PER PARTITION LIMIT ?",
        "SELECT * FROM composite WHERE a IN ? AND b = ? AND c IN (?, 2)",
        "SELECT * FROM composite WHERE a = ? AND b = ? AND (c) > (?) AND (c) < (?)",
        "SELECT * FROM events WHERE p = ? AND (c1, c2) > (?, ?) AND (c1, c2) <= ?",
        "SELECT v FROM kv WHERE n > ? AND s CONTAINS ? AND m CONTAINS KEY ? AND m['a'] = ? ALLOW FILTERING",
        "BEGIN BATCH INSERT INTO kv (k, v) VALUES (?, ?); DELETE FROM events WHERE p = ?; APPLY BATCH",
        "CREATE TABLE t2 (a int, b text, c int, s int static, d list<int>, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC)",
        "ALTER TABLE kv ADD (x int, y frozen<address>)",
        "CREATE KEYSPACE k9 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2} AND durable_writes = true",
    ]

    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomValue(_ type: CQLType, _ rng: inout SplitMix) -> CQLBoundValue {
        switch rng.next() % 8 {
        case 0: return .null
        case 1: return .unset
        case 2: return .value((0..<Int(rng.next() % 12)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        default:
            // A well-formed value of the right width when there is one.
            switch type.unfrozen {
            case .int: return .value(F.int(Int32(truncatingIfNeeded: rng.next() % 5)))
            case .bigint: return .value(F.bigint(Int64(bitPattern: rng.next())))
            case .text: return .value(F.text(["", "a", "é", "x"][Int(rng.next() % 4)]))
            case .list(.int), .set(.int): return .value(CQLLiteral.collection([F.int(1), F.int(Int32(rng.next() % 3))]))
            case .set(.text): return .value(CQLLiteral.collection([F.text("q")]))
            case .map(.text, .int): return .value(CQLLiteral.map([(F.text("k"), F.int(1))]))
            default: return .value([])
            }
        }
    }

    @Test func randomEditsAndValuesNeverTrap() {
        var rng = SplitMix(state: 7)
        let alphabet = Array("()[]{},;.:+-*?=<>'\" 0123456789abckpvnlsm")
        var analyzed = 0, executed = 0
        for seed in Self.seeds {
            for round in 0..<120 {
                var chars = Array(seed)
                if round > 0 {
                    for _ in 0..<(1 + Int(rng.next() % 3)) where !chars.isEmpty {
                        let i = Int(rng.next() % UInt64(chars.count))
                        switch rng.next() % 3 {
                        case 0: chars.remove(at: i)
                        case 1: chars.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                        default: chars[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                        }
                    }
                }
                guard let parsed = try? CQLParser.parse(String(chars)) else { continue }
                guard let plan = try? F.analyzer().analyze(parsed) else { continue }
                analyzed += 1
                let values = plan.variables.columns.map { Self.randomValue($0.type, &rng) }
                let ts = [Int64.min, -1, 0, 1000, Int64.max][Int(rng.next() % 5)]
                switch plan {
                case .modification(let m):
                    if (try? m.mutation(values: values, timestamp: ts, nowInSeconds: Int32.max - 1)) != nil { executed += 1 }
                case .batch(let b):
                    if (try? b.mutation(values: values, timestamp: ts, nowInSeconds: 0)) != nil { executed += 1 }
                case .select(let s):
                    _ = try? s.partitionKeys(values: values)
                    _ = try? s.tokenBounds(values: values)
                    _ = try? s.clusteringSlices(values: values)
                    _ = try? s.limit(values: values)
                    executed += 1
                default:
                    break
                }
            }
        }
        #expect(analyzed > Self.seeds.count)
        #expect(executed > 20)
    }
}

extension AnalyzerRobustnessTests {
    @Test(arguments: AnalyzerRobustnessTests.seeds)
    func seedsAnalyze(_ cql: String) throws {
        _ = try F.analyzer().analyze(CQLParser.parse(cql))
    }
}
