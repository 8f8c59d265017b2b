import Foundation
import HyadesCore
import HyadesCQL
import HyadesStorage
@testable import HyadesService

/// A node on a real engine in a fresh temporary directory; reopenable to test restarts.
final class TestNode {
    let root: String
    var engine: StorageEngine!
    var schema: SchemaManager!
    var processor: QueryProcessor!
    var state = ClientState()

    init() throws {
        root = NSTemporaryDirectory() + "hyades-service-" + UUID().uuidString
        try open()
    }

    func open() throws {
        var options = StorageEngineOptions()
        options.backgroundCompaction = false
        engine = try StorageEngine(commitLogDirectory: root + "/commitlog", fileSystem: PosixFileSystem(), options: options)
        schema = try SchemaManager(engine: engine, dataDirectory: root + "/data")
        try engine.replayCommitLog()
        processor = QueryProcessor(schema: schema, node: NodeInfo(clusterName: "Test Cluster"))
    }

    func restart() throws {
        try engine.shutdown()
        try open()
    }

    @discardableResult
    func run(_ cql: String, _ values: [CQLBoundValue] = [], options: QueryOptions = QueryOptions()) throws -> QueryResult {
        try processor.execute(cql, state: &state, values: values, options: options)
    }

    func rows(_ cql: String, _ values: [CQLBoundValue] = [], options: QueryOptions = QueryOptions()) throws -> ResultPage {
        guard case .rows(let page) = try run(cql, values, options: options) else { throw QueryError(.serverError, "not rows") }
        return page
    }

    deinit {
        try? engine?.shutdown()
        try? FileManager.default.removeItem(atPath: root)
    }
}

func int32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
func int64(_ v: Int64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
func text(_ s: String) -> [UInt8] { Array(s.utf8) }
func readInt32(_ b: [UInt8]?) -> Int32? {
    guard let b, b.count == 4 else { return nil }
    return b.reduce(0) { $0 << 8 | Int32($1) }
}
func readInt64(_ b: [UInt8]?) -> Int64? {
    guard let b, b.count == 8 else { return nil }
    return b.reduce(0) { $0 << 8 | Int64($1) }
}
func readText(_ b: [UInt8]?) -> String? { b.map { String(decoding: $0, as: UTF8.self) } }
