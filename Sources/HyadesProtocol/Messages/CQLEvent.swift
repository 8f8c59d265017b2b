import NIOCore

/// Schema_change result and SCHEMA_CHANGE event body (spec 4.2.5.5 and 4.2.6).
public struct CQLSchemaChange: Hashable, Sendable {
    public enum Change: String, Hashable, Sendable {
        case created = "CREATED"
        case updated = "UPDATED"
        case dropped = "DROPPED"
    }

    public enum Target: Hashable, Sendable {
        case keyspace(String)
        case table(keyspace: String, name: String)
        case type(keyspace: String, name: String)
        case function(keyspace: String, name: String, argTypes: [String])
        case aggregate(keyspace: String, name: String, argTypes: [String])
    }

    public var change: Change
    public var target: Target

    public init(_ change: Change, _ target: Target) {
        self.change = change
        self.target = target
    }

    func write(to out: inout ByteBuffer) throws {
        try out.writeCQLString(change.rawValue)
        switch target {
        case .keyspace(let ks):
            try out.writeCQLString("KEYSPACE")
            try out.writeCQLString(ks)
        case .table(let ks, let name):
            try out.writeCQLString("TABLE")
            try out.writeCQLString(ks)
            try out.writeCQLString(name)
        case .type(let ks, let name):
            try out.writeCQLString("TYPE")
            try out.writeCQLString(ks)
            try out.writeCQLString(name)
        case .function(let ks, let name, let args):
            try out.writeCQLString("FUNCTION")
            try out.writeCQLString(ks)
            try out.writeCQLString(name)
            try out.writeCQLStringList(args)
        case .aggregate(let ks, let name, let args):
            try out.writeCQLString("AGGREGATE")
            try out.writeCQLString(ks)
            try out.writeCQLString(name)
            try out.writeCQLStringList(args)
        }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLSchemaChange {
        let rawChange = try body.readCQLString("change type")
        guard let change = Change(rawValue: rawChange) else { throw ProtocolError.malformedBody("schema change type \(rawChange)") }
        let target = try body.readCQLString("schema change target")
        switch target {
        case "KEYSPACE": return CQLSchemaChange(change, .keyspace(try body.readCQLString()))
        case "TABLE": return CQLSchemaChange(change, .table(keyspace: try body.readCQLString(), name: try body.readCQLString()))
        case "TYPE": return CQLSchemaChange(change, .type(keyspace: try body.readCQLString(), name: try body.readCQLString()))
        case "FUNCTION":
            return CQLSchemaChange(change, .function(keyspace: try body.readCQLString(), name: try body.readCQLString(),
                                                     argTypes: try body.readCQLStringList()))
        case "AGGREGATE":
            return CQLSchemaChange(change, .aggregate(keyspace: try body.readCQLString(), name: try body.readCQLString(),
                                                      argTypes: try body.readCQLStringList()))
        default: throw ProtocolError.malformedBody("schema change target \(target)")
        }
    }
}

/// EVENT (spec 4.2.6); always sent on stream -1 to connections that REGISTERed.
public enum CQLEvent: Hashable, Sendable {
    public enum TopologyChange: String, Hashable, Sendable {
        case newNode = "NEW_NODE"
        case removedNode = "REMOVED_NODE"
        case movedNode = "MOVED_NODE"
    }

    public enum StatusChange: String, Hashable, Sendable {
        case up = "UP"
        case down = "DOWN"
    }

    case topologyChange(TopologyChange, CQLInet)
    case statusChange(StatusChange, CQLInet)
    case schemaChange(CQLSchemaChange)

    /// The name a client REGISTERs for.
    public var typeName: String {
        switch self {
        case .topologyChange: return "TOPOLOGY_CHANGE"
        case .statusChange: return "STATUS_CHANGE"
        case .schemaChange: return "SCHEMA_CHANGE"
        }
    }

    func write(to out: inout ByteBuffer) throws {
        try out.writeCQLString(typeName)
        switch self {
        case .topologyChange(let change, let inet):
            try out.writeCQLString(change.rawValue)
            try out.writeCQLInet(inet)
        case .statusChange(let change, let inet):
            try out.writeCQLString(change.rawValue)
            try out.writeCQLInet(inet)
        case .schemaChange(let sc):
            try sc.write(to: &out)
        }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLEvent {
        let type = try body.readCQLString("event type")
        switch type {
        case "TOPOLOGY_CHANGE":
            let raw = try body.readCQLString("topology change")
            guard let c = TopologyChange(rawValue: raw) else { throw ProtocolError.malformedBody("topology change \(raw)") }
            return .topologyChange(c, try body.readCQLInet())
        case "STATUS_CHANGE":
            let raw = try body.readCQLString("status change")
            guard let c = StatusChange(rawValue: raw) else { throw ProtocolError.malformedBody("status change \(raw)") }
            return .statusChange(c, try body.readCQLInet())
        case "SCHEMA_CHANGE":
            return .schemaChange(try CQLSchemaChange.read(from: &body))
        default:
            throw ProtocolError.malformedBody("event type \(type)")
        }
    }
}
