import NIOCore

/// ERROR (spec sections 4.2.1 and 9): a code, a message, and the code's extra fields.
public struct CQLErrorMessage: Hashable, Sendable, Error {
    /// The error and its extra fields; the wire code is `kind.code`.
    public enum Kind: Hashable, Sendable {
        case serverError
        case protocolError
        case badCredentials
        case unavailable(consistency: CQLConsistency, required: Int32, alive: Int32)
        case overloaded
        case isBootstrapping
        case truncateError
        case writeTimeout(consistency: CQLConsistency, received: Int32, blockFor: Int32, writeType: String)
        case readTimeout(consistency: CQLConsistency, received: Int32, blockFor: Int32, dataPresent: Bool)
        /// v4 carries the number of failed replicas (v5 added a per-endpoint reason map).
        case readFailure(consistency: CQLConsistency, received: Int32, blockFor: Int32, numFailures: Int32, dataPresent: Bool)
        case functionFailure(keyspace: String, function: String, argTypes: [String])
        case writeFailure(consistency: CQLConsistency, received: Int32, blockFor: Int32, numFailures: Int32, writeType: String)
        case syntaxError
        case unauthorized
        case invalid
        case configError
        /// `table` is "" when a keyspace already exists.
        case alreadyExists(keyspace: String, table: String)
        case unprepared(id: [UInt8])
        /// A code this implementation does not know (read from a newer server).
        case other(code: Int32)

        public var code: Int32 {
            switch self {
            case .serverError: return 0x0000
            case .protocolError: return 0x000A
            case .badCredentials: return 0x0100
            case .unavailable: return 0x1000
            case .overloaded: return 0x1001
            case .isBootstrapping: return 0x1002
            case .truncateError: return 0x1003
            case .writeTimeout: return 0x1100
            case .readTimeout: return 0x1200
            case .readFailure: return 0x1300
            case .functionFailure: return 0x1400
            case .writeFailure: return 0x1500
            case .syntaxError: return 0x2000
            case .unauthorized: return 0x2100
            case .invalid: return 0x2200
            case .configError: return 0x2300
            case .alreadyExists: return 0x2400
            case .unprepared: return 0x2500
            case .other(let code): return code
            }
        }
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var code: Int32 { kind.code }

    func write(to out: inout ByteBuffer) throws {
        out.writeInteger(kind.code)
        // The message is free text: cut it (at a character boundary) rather than fail to report an error.
        var text = message
        if text.utf8.count > Int(UInt16.max) {
            var cut = ""
            for ch in text {
                if cut.utf8.count + String(ch).utf8.count > Int(UInt16.max) { break }
                cut.append(ch)
            }
            text = cut
        }
        try out.writeCQLString(text)
        switch kind {
        case .unavailable(let cl, let required, let alive):
            out.writeCQLConsistency(cl)
            out.writeInteger(required)
            out.writeInteger(alive)
        case .writeTimeout(let cl, let received, let blockFor, let writeType):
            out.writeCQLConsistency(cl)
            out.writeInteger(received)
            out.writeInteger(blockFor)
            try out.writeCQLString(writeType)
        case .readTimeout(let cl, let received, let blockFor, let dataPresent):
            out.writeCQLConsistency(cl)
            out.writeInteger(received)
            out.writeInteger(blockFor)
            out.writeInteger(UInt8(dataPresent ? 1 : 0))
        case .readFailure(let cl, let received, let blockFor, let numFailures, let dataPresent):
            out.writeCQLConsistency(cl)
            out.writeInteger(received)
            out.writeInteger(blockFor)
            out.writeInteger(numFailures)
            out.writeInteger(UInt8(dataPresent ? 1 : 0))
        case .functionFailure(let keyspace, let function, let argTypes):
            try out.writeCQLString(keyspace)
            try out.writeCQLString(function)
            try out.writeCQLStringList(argTypes)
        case .writeFailure(let cl, let received, let blockFor, let numFailures, let writeType):
            out.writeCQLConsistency(cl)
            out.writeInteger(received)
            out.writeInteger(blockFor)
            out.writeInteger(numFailures)
            try out.writeCQLString(writeType)
        case .alreadyExists(let keyspace, let table):
            try out.writeCQLString(keyspace)
            try out.writeCQLString(table)
        case .unprepared(let id):
            try out.writeCQLShortBytes(id)
        case .serverError, .protocolError, .badCredentials, .overloaded, .isBootstrapping, .truncateError,
             .syntaxError, .unauthorized, .invalid, .configError, .other:
            break
        }
    }

    static func read(from body: inout ByteBuffer) throws -> CQLErrorMessage {
        let code = try body.readCQLInt("error code")
        let message = try body.readCQLString("error message")
        let kind: Kind
        switch code {
        case 0x0000: kind = .serverError
        case 0x000A: kind = .protocolError
        case 0x0100: kind = .badCredentials
        case 0x1000:
            kind = .unavailable(consistency: try body.readCQLConsistency(), required: try body.readCQLInt(),
                                alive: try body.readCQLInt())
        case 0x1001: kind = .overloaded
        case 0x1002: kind = .isBootstrapping
        case 0x1003: kind = .truncateError
        case 0x1100:
            kind = .writeTimeout(consistency: try body.readCQLConsistency(), received: try body.readCQLInt(),
                                 blockFor: try body.readCQLInt(), writeType: try body.readCQLString("write type"))
        case 0x1200:
            kind = .readTimeout(consistency: try body.readCQLConsistency(), received: try body.readCQLInt(),
                                blockFor: try body.readCQLInt(), dataPresent: try body.readCQLByte("data_present") != 0)
        case 0x1300:
            kind = .readFailure(consistency: try body.readCQLConsistency(), received: try body.readCQLInt(),
                                blockFor: try body.readCQLInt(), numFailures: try body.readCQLInt(),
                                dataPresent: try body.readCQLByte("data_present") != 0)
        case 0x1400:
            kind = .functionFailure(keyspace: try body.readCQLString(), function: try body.readCQLString(),
                                    argTypes: try body.readCQLStringList())
        case 0x1500:
            kind = .writeFailure(consistency: try body.readCQLConsistency(), received: try body.readCQLInt(),
                                 blockFor: try body.readCQLInt(), numFailures: try body.readCQLInt(),
                                 writeType: try body.readCQLString("write type"))
        case 0x2000: kind = .syntaxError
        case 0x2100: kind = .unauthorized
        case 0x2200: kind = .invalid
        case 0x2300: kind = .configError
        case 0x2400: kind = .alreadyExists(keyspace: try body.readCQLString(), table: try body.readCQLString())
        case 0x2500: kind = .unprepared(id: try body.readCQLShortBytes("unprepared id"))
        default: kind = .other(code: code)
        }
        return CQLErrorMessage(kind, message)
    }
}
