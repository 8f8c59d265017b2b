import Testing
@testable import HyadesCore

@Suite struct CQLTypeTests {
    static let m = "org.apache.cassandra.db.marshal."

    /// (type text as written, parsed type, canonical cqlName, marshal class name)
    static let names: [(String, CQLType, String, String)] = [
        ("int", .int, "int", m + "Int32Type"),
        ("  INT ", .int, "int", m + "Int32Type"),
        ("varchar", .text, "text", m + "UTF8Type"),
        ("Text", .text, "text", m + "UTF8Type"),
        ("ascii", .ascii, "ascii", m + "AsciiType"),
        ("bigint", .bigint, "bigint", m + "LongType"),
        ("blob", .blob, "blob", m + "BytesType"),
        ("boolean", .boolean, "boolean", m + "BooleanType"),
        ("counter", .counter, "counter", m + "CounterColumnType"),
        ("date", .date, "date", m + "SimpleDateType"),
        ("decimal", .decimal, "decimal", m + "DecimalType"),
        ("double", .double, "double", m + "DoubleType"),
        ("duration", .duration, "duration", m + "DurationType"),
        ("float", .float, "float", m + "FloatType"),
        ("inet", .inet, "inet", m + "InetAddressType"),
        ("smallint", .smallint, "smallint", m + "ShortType"),
        ("time", .time, "time", m + "TimeType"),
        ("timestamp", .timestamp, "timestamp", m + "TimestampType"),
        ("timeuuid", .timeuuid, "timeuuid", m + "TimeUUIDType"),
        ("tinyint", .tinyint, "tinyint", m + "ByteType"),
        ("uuid", .uuid, "uuid", m + "UUIDType"),
        ("varint", .varint, "varint", m + "IntegerType"),
        ("list<int>", .list(.int), "list<int>", m + "ListType(\(m)Int32Type)"),
        ("set< text >", .set(.text), "set<text>", m + "SetType(\(m)UTF8Type)"),
        ("map<text,int>", .map(.text, .int), "map<text, int>", m + "MapType(\(m)UTF8Type,\(m)Int32Type)"),
        ("frozen<map<text, int>>", .frozen(.map(.text, .int)), "frozen<map<text, int>>",
         m + "FrozenType(\(m)MapType(\(m)UTF8Type,\(m)Int32Type))"),
        ("tuple<int, text>", .tuple([.int, .text]), "frozen<tuple<int, text>>", m + "TupleType(\(m)Int32Type,\(m)UTF8Type)"),
        ("frozen<tuple<int>>", .tuple([.int]), "frozen<tuple<int>>", m + "TupleType(\(m)Int32Type)"),
        ("Frozen<List<Frozen<Tuple<Int,VarChar>>>>", .frozen(.list(.tuple([.int, .text]))),
         "frozen<list<frozen<tuple<int, text>>>>",
         m + "FrozenType(\(m)ListType(\(m)TupleType(\(m)Int32Type,\(m)UTF8Type)))"),
        ("map<frozen<set<uuid>>, list<double>>", .map(.frozen(.set(.uuid)), .list(.double)),
         "map<frozen<set<uuid>>, list<double>>",
         m + "MapType(\(m)FrozenType(\(m)SetType(\(m)UUIDType)),\(m)ListType(\(m)DoubleType))"),
    ]

    @Test(arguments: names)
    func parseAndPrint(text: String, type: CQLType, cqlName: String, className: String) throws {
        #expect(try CQLType.parse(text) == type)
        #expect(type.cqlName == cqlName)
        #expect(type.className == className)
        #expect(try CQLType.parse(type.cqlName) == type, "cqlName round-trips")
    }

    @Test func userDefinedTypes() throws {
        let address = CQLType.udt(keyspace: "gaia", name: "address",
                                  fields: [CQLField("street", .text), CQLField("zip", .int)])
        let resolve: (String, String) -> CQLType? = { ks, name in
            ks == "gaia" && name == "address" ? address : nil
        }
        #expect(try CQLType.parse("frozen<Address>", keyspace: "gaia", resolveUDT: resolve) == .frozen(address))
        #expect(try CQLType.parse("list<frozen<gaia.address>>", keyspace: "other", resolveUDT: resolve) == .list(.frozen(address)))
        #expect(throws: CQLTypeError.self) { try CQLType.parse("frozen<\"Address\">", keyspace: "gaia", resolveUDT: resolve) }
        #expect(CQLType.frozen(address).cqlName == "frozen<address>")
        #expect(CQLType.udt(keyspace: "k", name: "MyType", fields: []).cqlName == "\"MyType\"")
        #expect(address.className == Self.m + "UserType(gaia,61646472657373,737472656574:\(Self.m)UTF8Type,7a6970:\(Self.m)Int32Type)")
        #expect(address.nativeOptionID == 0x0030)
        #expect(!address.isKeyCapable)
        #expect(CQLType.frozen(address).isKeyCapable)
    }

    static let badTexts = ["", "int<int>", "list<int", "list<int, int>", "map<int>", "foo", "frozen<>",
                           "list<counterx>", "int int", "map<int,,int>", "tuple<>", "\"unterminated"]

    @Test(arguments: badTexts)
    func parseErrorsAreClear(text: String) {
        #expect {
            try CQLType.parse(text)
        } throws: { error in
            guard let e = error as? CQLTypeError else { return false }
            return e.kind == .syntax && e.message.contains("invalid CQL type") && e.message.contains("offset")
        }
    }

    @Test func unknownTypeNamesTheName() {
        #expect {
            try CQLType.parse("frozen<list<itn>>")
        } throws: { error in
            (error as? CQLTypeError)?.message.contains("unknown type 'itn'") ?? false
        }
    }

    static let optionIDs: [(CQLType, UInt16)] = [
        (.ascii, 0x0001), (.bigint, 0x0002), (.blob, 0x0003), (.boolean, 0x0004), (.counter, 0x0005),
        (.decimal, 0x0006), (.double, 0x0007), (.float, 0x0008), (.int, 0x0009), (.timestamp, 0x000B),
        (.uuid, 0x000C), (.text, 0x000D), (.varint, 0x000E), (.timeuuid, 0x000F), (.inet, 0x0010),
        (.date, 0x0011), (.time, 0x0012), (.smallint, 0x0013), (.tinyint, 0x0014), (.duration, 0x0015),
        (.list(.int), 0x0020), (.map(.int, .int), 0x0021), (.set(.int), 0x0022),
        (.tuple([.int]), 0x0031), (.frozen(.list(.int)), 0x0020),
    ]

    @Test(arguments: optionIDs)
    func nativeOptionIDs(type: CQLType, id: UInt16) {
        #expect(type.nativeOptionID == id)
    }

    @Test func keyCapability() {
        let capable = CQLType.scalars.filter(\.isKeyCapable)
        #expect(capable.count == CQLType.scalars.count - 2)
        #expect(!CQLType.counter.isKeyCapable)
        #expect(!CQLType.duration.isKeyCapable)
        #expect(!CQLType.list(.int).isKeyCapable)
        #expect(!CQLType.map(.int, .int).isKeyCapable)
        #expect(CQLType.frozen(.list(.int)).isKeyCapable)
        #expect(CQLType.frozen(.map(.text, .list(.int))).isKeyCapable)
        #expect(CQLType.tuple([.int, .text]).isKeyCapable)
        #expect(!CQLType.tuple([.int, .duration]).isKeyCapable)
        #expect(!CQLType.frozen(.list(.duration)).isKeyCapable)
    }
}
