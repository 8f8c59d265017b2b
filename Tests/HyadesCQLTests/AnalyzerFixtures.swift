import HyadesCore
@testable import HyadesCQL

/// Schema fixtures shared by the analyzer tests.
enum AnalyzerFixtures {
    static let kvID = TableID(high: 0, low: 1)
    static let eventsID = TableID(high: 0, low: 2)
    static let compositeID = TableID(high: 0, low: 3)

    /// ks.kv (k int PRIMARY KEY, v text, n int, l list<int>, s set<text>, m map<text, int>, f frozen<list<int>>)
    static let kv = TableMetadata(keyspace: "ks", name: "kv", id: kvID, partitionKey: [("k", .int)],
                                  regular: [("v", .text), ("n", .int), ("l", .list(.int)), ("s", .set(.text)),
                                            ("m", .map(.text, .int)), ("f", .frozen(.list(.int)))])
    /// ks.events (p text, c1 int, c2 int DESC, v int, st int static): PRIMARY KEY (p, c1, c2)
    static let events = TableMetadata(keyspace: "ks", name: "events", id: eventsID, partitionKey: [("p", .text)],
                                      clustering: [("c1", .int, .asc), ("c2", .int, .desc)],
                                      regular: [("v", .int)], static: [("st", .int)])
    /// ks.composite ((a int, b text), c int, v int)
    static let composite = TableMetadata(keyspace: "ks", name: "composite", id: compositeID,
                                         partitionKey: [("a", .int), ("b", .text)], clustering: [("c", .int, .asc)],
                                         regular: [("v", .int)])
    static let address = UserTypeMetadata(keyspace: "ks", name: "address", fields: [CQLField("street", .text), CQLField("zip", .int)])

    static var schema: InMemorySchema {
        var s = InMemorySchema([KeyspaceMetadata(name: "ks", replication: .simple(replicationFactor: 1))])
        s.add(kv)
        s.add(events)
        s.add(composite)
        s.add(address)
        var ttl = TableMetadata(keyspace: "ks", name: "ttl", id: TableID(high: 0, low: 4), partitionKey: [("k", .int)], regular: [("v", .int)])
        ttl.params.defaultTimeToLive = 100
        s.add(ttl)
        s.add(TableMetadata(keyspace: "ks", name: "people", id: TableID(high: 0, low: 5), partitionKey: [("k", .int)],
                            regular: [("home", .frozen(address.type)), ("work", address.type)]))
        return s
    }

    static func analyzer(_ keyspace: String? = "ks", schema: InMemorySchema = AnalyzerFixtures.schema) -> Analyzer {
        Analyzer(schema: schema, keyspace: keyspace, tableIDGenerator: { TableID(high: 0xAB, low: 0xCD) }, clock: { 777 })
    }

    static func plan(_ cql: String, keyspace: String? = "ks", schema: InMemorySchema = AnalyzerFixtures.schema) throws -> StatementPlan {
        try analyzer(keyspace, schema: schema).analyze(CQLParser.parse(cql))
    }

    /// The analysis error of `cql` (nil if it analyzes).
    static func error(_ cql: String, keyspace: String? = "ks") -> CQLAnalysisError? {
        do { _ = try plan(cql, keyspace: keyspace); return nil } catch let e as CQLAnalysisError { return e } catch {
            return CQLAnalysisError(.serverError, "unexpected \(error)")
        }
    }

    static func int(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(u >> 24), UInt8(u >> 16 & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u & 0xFF)]
    }

    static func bigint(_ v: Int64) -> [UInt8] {
        let u = UInt64(bitPattern: v)
        return (0..<8).map { UInt8(truncatingIfNeeded: u >> UInt64(56 - 8 * $0)) }
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func modification(_ cql: String) throws -> ModificationPlan {
        guard case .modification(let m) = try plan(cql) else { throw CQLAnalysisError(.serverError, "not a modification") }
        return m
    }

    static func select(_ cql: String) throws -> SelectPlan {
        guard case .select(let s) = try plan(cql) else { throw CQLAnalysisError(.serverError, "not a select") }
        return s
    }

    static func mutation(_ cql: String, _ values: [CQLBoundValue] = [], ts: Int64 = 1000, now: Int32 = 50) throws -> Mutation {
        switch try plan(cql) {
        case .modification(let m): return try m.mutation(values: values, timestamp: ts, nowInSeconds: now)
        case .batch(let b): return try b.mutation(values: values, timestamp: ts, nowInSeconds: now)
        default: throw CQLAnalysisError(.serverError, "not a write")
        }
    }
}
