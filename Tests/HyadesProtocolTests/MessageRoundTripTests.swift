import HyadesCore
import NIOCore
import Testing
@testable import HyadesProtocol

@Suite struct RequestRoundTripTests {
    static let fullParameters = CQLQueryParameters(
        consistency: .localQuorum,
        values: [.bytes(buffer([1, 2, 3])), .null, .notSet, .bytes(buffer([]))],
        skipMetadata: true, pageSize: 5000, pagingState: buffer([0xDE, 0xAD]),
        serialConsistency: .localSerial, defaultTimestamp: 1_700_000_000_000_000)

    static let requests: [CQLRequest] = [
        .startup(["CQL_VERSION": "3.0.0", "COMPRESSION": "snappy", "DRIVER_NAME": "DataStax Python Driver"]),
        .startup([:]),
        .authResponse(Array("\0cassandra\0cassandra".utf8)),
        .authResponse(nil),
        .options,
        .query("SELECT * FROM system.local", CQLQueryParameters()),
        .query("SELECT * FROM t WHERE a=? AND b=?", fullParameters),
        .query("INSERT INTO t (a) VALUES (:a)",
               CQLQueryParameters(consistency: .quorum, values: [.bytes(buffer([0, 0, 0, 1]))], valueNames: ["a"])),
        .query("ünïcode ✓", CQLQueryParameters(consistency: .any)),
        .prepare("SELECT \"c1\" FROM ks.t WHERE token(\"pk\") > ? AND token(\"pk\") <= ?"),
        .execute(id: [0x01, 0x02, 0x03, 0x04], fullParameters),
        .execute(id: [], CQLQueryParameters(consistency: .localOne, values: [.bytes(buffer([0, 0, 0, 0, 0, 0, 0, 9]))])),
        .batch(CQLBatch(kind: .unlogged, statements: [
            .init(.prepared(id: [9, 9]), values: [.bytes(buffer([1])), .null]),
            .init(.query("INSERT INTO t (a) VALUES (1)")),
            .init(.prepared(id: [7]), values: [.notSet]),
        ], consistency: .localOne, serialConsistency: .serial, defaultTimestamp: -5)),
        .batch(CQLBatch(kind: .logged, statements: [], consistency: .all)),
        .batch(CQLBatch(kind: .counter, statements: [.init(.query("UPDATE c SET n = n + 1 WHERE k = 1"))])),
        .register(["TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"]),
    ]

    @Test(arguments: requests)
    func roundTripsPlain(_ request: CQLRequest) throws {
        let env = try roundTrip(request)
        #expect(env.request == request)
        #expect(env.stream == 7)
    }

    @Test(arguments: requests)
    func roundTripsCompressed(_ request: CQLRequest) throws {
        for c in CQLCompression.allCases {
            #expect(try roundTrip(request, codec: CQLMessageCodec(compression: c)).request == request)
        }
    }

    @Test func tracingAndCustomPayloadPrefixes() throws {
        let env = CQLRequestEnvelope(stream: 300, request: .prepare("SELECT 1"), tracing: true,
                                     customPayload: ["k": buffer([1, 2]), "n": nil])
        let frame = try CQLMessageCodec().encodeRequest(env, allocator: allocator)
        #expect(frame.flags == [.tracing, .customPayload])
        #expect(try CQLMessageCodec().decodeRequest(frame, allocator: allocator) == env)
    }

    @Test func queryFlagsByteFollowsTheFields() throws {
        var body = allocator.buffer(capacity: 64)
        try RequestRoundTripTests.fullParameters.write(to: &body)
        _ = body.readInteger(as: UInt16.self)
        // values 0x01 | skip 0x02 | page 0x04 | state 0x08 | serial 0x10 | timestamp 0x20
        #expect(body.readInteger(as: UInt8.self) == 0x3F)
    }

    @Test func unknownStartupKeysAreKept() throws {
        let env = try roundTrip(.startup(["CQL_VERSION": "3.0.0", "DRIVER_VERSION": "3.30.1", "APPLICATION_NAME": "x"]))
        guard case .startup(let options) = env.request else { Issue.record("not STARTUP"); return }
        #expect(options["DRIVER_VERSION"] == "3.30.1")
    }
}

@Suite struct ResponseRoundTripTests {
    static let columns = [
        ColumnSpecification(keyspace: "gaia", table: "source", name: "source_id", type: .bigint),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "ra", type: .double),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "tags", type: .set(.text)),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "mags", type: .map(.text, .float)),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "pos", type: .tuple([.double, .double, .list(.int)])),
        ColumnSpecification(keyspace: "gaia", table: "source", name: "addr", type: .udt(keyspace: "gaia", name: "address", fields: [
            CQLField("street", .text), CQLField("zip", .int), CQLField("nested", .map(.uuid, .list(.timestamp))),
        ])),
    ]

    static let mixedColumns = [
        ColumnSpecification(keyspace: "system", table: "local", name: "key", type: .text),
        ColumnSpecification(keyspace: "system", table: "peers", name: "peer", type: .inet),
    ]

    static func rows(_ columns: [ColumnSpecification], count: Int, pagingState: ByteBuffer? = nil) -> CQLRows {
        var enc = CQLRowsEncoder(columnCount: columns.count, allocator: allocator)
        for r in 0..<count {
            for c in 0..<columns.count {
                if (r + c) % 3 == 0 { enc.appendNull() } else { enc.append(bytes: [UInt8](repeating: UInt8(r), count: c + 1)) }
            }
            enc.endRow()
        }
        return enc.finish(metadata: CQLResultMetadata(columns: columns, pagingState: pagingState))
    }

    static let responses: [CQLResponse] = {
        var out: [CQLResponse] = [
            .ready,
            .authenticate(CQLServerConfiguration.passwordAuthenticator),
            .supported(CQLProtocol.defaultSupportedOptions),
            .supported([:]),
            .authChallenge([1, 2, 3]),
            .authChallenge(nil),
            .authSuccess(nil),
            .authSuccess([]),
            .result(.void),
            .result(.setKeyspace("gaia")),
            .result(.rows(rows(columns, count: 5))),
            .result(.rows(rows(columns, count: 3, pagingState: buffer([0xCA, 0xFE])))),
            .result(.rows(rows(mixedColumns, count: 2))),
            .result(.rows(rows([], count: 0))),
            .result(.rows(CQLRows(metadata: CQLResultMetadata(noMetadataColumnCount: 2, pagingState: buffer([1])),
                                  rowCount: 1, content: buffer(int32BE(1) + [7] + int32BE(-1))))),
            .result(.prepared(CQLPrepared(
                id: Array(0..<16),
                metadata: CQLPreparedMetadata(columns: [
                    ColumnSpecification(keyspace: "ks", table: "t", name: "pk2", type: .text),
                    ColumnSpecification(keyspace: "ks", table: "t", name: "pk1", type: .int),
                    ColumnSpecification(keyspace: "ks", table: "t", name: "v", type: .blob),
                ], partitionKeyIndexes: [1, 0]),
                resultMetadata: CQLResultMetadata(columns: columns)))),
            .result(.prepared(CQLPrepared(id: [1], metadata: CQLPreparedMetadata(columns: [], partitionKeyIndexes: []),
                                          resultMetadata: .empty))),
            .result(.prepared(CQLPrepared(id: [2], metadata: CQLPreparedMetadata(columns: mixedColumns, partitionKeyIndexes: [0]),
                                          resultMetadata: CQLResultMetadata(noMetadataColumnCount: 4)))),
            .result(.schemaChange(CQLSchemaChange(.created, .keyspace("gaia")))),
            .result(.schemaChange(CQLSchemaChange(.updated, .table(keyspace: "gaia", name: "source")))),
            .result(.schemaChange(CQLSchemaChange(.dropped, .type(keyspace: "gaia", name: "address")))),
            .result(.schemaChange(CQLSchemaChange(.created, .function(keyspace: "ks", name: "f", argTypes: ["int", "text"])))),
            .result(.schemaChange(CQLSchemaChange(.dropped, .aggregate(keyspace: "ks", name: "a", argTypes: [])))),
            .event(.topologyChange(.newNode, CQLInet(address: [127, 0, 0, 2], port: 9042))),
            .event(.topologyChange(.removedNode, CQLInet(address: Array(repeating: 0, count: 15) + [1], port: 9042))),
            .event(.statusChange(.up, CQLInet(address: [10, 0, 0, 1], port: 9042))),
            .event(.statusChange(.down, CQLInet(address: [10, 0, 0, 1], port: 19042))),
            .event(.schemaChange(CQLSchemaChange(.created, .table(keyspace: "ks", name: "t")))),
        ]
        out += errors.map { .error($0) }
        return out
    }()

    static let errors: [CQLErrorMessage] = [
        CQLErrorMessage(.serverError, "boom"),
        CQLErrorMessage(.protocolError, CQLProtocol.unsupportedVersionMessage(5)),
        CQLErrorMessage(.badCredentials, "Provided username and/or password are incorrect"),
        CQLErrorMessage(.unavailable(consistency: .quorum, required: 2, alive: 1), "Cannot achieve consistency level QUORUM"),
        CQLErrorMessage(.overloaded, "overloaded"),
        CQLErrorMessage(.isBootstrapping, "bootstrapping"),
        CQLErrorMessage(.truncateError, "truncate"),
        CQLErrorMessage(.writeTimeout(consistency: .localOne, received: 0, blockFor: 1, writeType: "UNLOGGED_BATCH"), "wt"),
        CQLErrorMessage(.readTimeout(consistency: .all, received: 2, blockFor: 3, dataPresent: true), "rt"),
        CQLErrorMessage(.readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: false), "rt0"),
        CQLErrorMessage(.readFailure(consistency: .two, received: 1, blockFor: 2, numFailures: 1, dataPresent: false), "rf"),
        CQLErrorMessage(.functionFailure(keyspace: "ks", function: "f", argTypes: ["int"]), "ff"),
        CQLErrorMessage(.writeFailure(consistency: .eachQuorum, received: 1, blockFor: 4, numFailures: 2, writeType: "SIMPLE"), "wf"),
        CQLErrorMessage(.syntaxError, "line 1:0 no viable alternative"),
        CQLErrorMessage(.unauthorized, "no"),
        CQLErrorMessage(.invalid, "unconfigured table x"),
        CQLErrorMessage(.configError, "cfg"),
        CQLErrorMessage(.alreadyExists(keyspace: "ks", table: ""), "Keyspace ks already exists"),
        CQLErrorMessage(.alreadyExists(keyspace: "ks", table: "t"), "Table ks.t already exists"),
        CQLErrorMessage(.unprepared(id: [0xAB, 0xCD]), "Prepared query with ID abcd not found"),
        CQLErrorMessage(.other(code: 0x7777), "from the future"),
    ]

    @Test(arguments: responses)
    func roundTripsPlain(_ response: CQLResponse) throws {
        let env = try roundTrip(response, stream: -1)
        #expect(env.response == response)
        #expect(env.stream == -1)
    }

    @Test(arguments: responses)
    func roundTripsCompressed(_ response: CQLResponse) throws {
        for c in CQLCompression.allCases {
            #expect(try roundTrip(response, codec: CQLMessageCodec(compression: c)).response == response)
        }
    }

    @Test func errorCodesMatchTheSpec() {
        let codes = ResponseRoundTripTests.errors.map(\.code)
        #expect(codes == [0x0000, 0x000A, 0x0100, 0x1000, 0x1001, 0x1002, 0x1003, 0x1100, 0x1200, 0x1200, 0x1300,
                          0x1400, 0x1500, 0x2000, 0x2100, 0x2200, 0x2300, 0x2400, 0x2400, 0x2500, 0x7777])
    }

    @Test func tracingWarningsAndPayloadPrefixes() throws {
        let env = CQLResponseEnvelope(stream: 4, response: .result(.void), tracingID: Array(100..<116),
                                      warnings: ["Aggregation query used without partition key"],
                                      customPayload: ["x": buffer([9])])
        let frame = try CQLMessageCodec().encodeResponse(env, allocator: allocator)
        #expect(frame.flags == [.tracing, .warning, .customPayload])
        #expect(try roundTrip(env) == env)
    }

    @Test func decodedRowsAreTheCellsWritten() throws {
        let rows = ResponseRoundTripTests.rows(ResponseRoundTripTests.columns, count: 4)
        let decoded = try rows.decodedRows()
        #expect(decoded.count == 4)
        for (r, row) in decoded.enumerated() {
            #expect(row.count == 6)
            for (c, cell) in row.enumerated() {
                if (r + c) % 3 == 0 { #expect(cell == nil) } else { #expect(cell.map(bytes) == [UInt8](repeating: UInt8(r), count: c + 1)) }
            }
        }
    }

    @Test func frozenIsInvisibleOnTheWire() throws {
        let frozen = ColumnSpecification(keyspace: "k", table: "t", name: "f", type: .frozen(.list(.frozen(.map(.int, .text)))))
        var enc = CQLRowsEncoder(columnCount: 1, allocator: allocator)
        enc.appendNull(); enc.endRow()
        let env = try roundTrip(.result(.rows(enc.finish(metadata: CQLResultMetadata(columns: [frozen])))))
        guard case .result(.rows(let rows)) = env.response else { Issue.record("not rows"); return }
        #expect(rows.metadata.columns?.first?.type == .list(.map(.int, .text)))
    }

    @Test func everyScalarTypeRoundTripsAsAnOption() throws {
        for t in CQLType.scalars {
            var b = allocator.buffer(capacity: 8)
            try b.writeCQLTypeOption(t)
            #expect(b.readableBytes == 2)
            #expect(try b.readCQLTypeOption() == t)
        }
    }
}
