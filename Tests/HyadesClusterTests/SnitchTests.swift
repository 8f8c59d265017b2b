import Testing
@testable import HyadesCluster

@Suite struct SnitchTests {
    @Test func simpleSnitchIsDatacenter1Rack1() {
        #expect(SimpleSnitch().localLocation == Location(dataCenter: "datacenter1", rack: "rack1"))
        #expect(!SimpleSnitch().preferLocal)
    }

    @Test func readsCassandraRackdcProperties() throws {
        let text = """
            # These properties are used with GossipingPropertyFileSnitch and will
            # indicate the rack and dc for this node
            dc=dc1
            rack=rack1

            # Add a suffix to a datacenter name. Used by the Ec2Snitch and Ec2MultiRegionSnitch
            # to append a string to the EC2 region name.
            #dc_suffix=

            # Uncomment the following line to make this snitch prefer the internal ip when possible, as the Ec2MultiRegionSnitch does.
            # prefer_local=true
            """
        let s = try GossipingPropertyFileSnitch(rackdcProperties: text)
        #expect(s.localLocation == Location(dataCenter: "dc1", rack: "rack1"))
        #expect(!s.preferLocal)
    }

    @Test func javaPropertiesSyntax() throws {
        let text = "  ! a comment\r\n   dc : east-1  \r\nrack   r\\\n    ack7\n\tprefer_local = TRUE\nrack=r2\\:x\n"
        let s = try GossipingPropertyFileSnitch(rackdcProperties: text)
        // Values are trimmed (Cassandra trims dc and rack); the last `rack` wins; escaped ':'.
        #expect(s.localLocation == Location(dataCenter: "east-1", rack: "r2:x"))
        #expect(s.preferLocal)
        #expect(JavaProperties.parse("rack   r\\\n    ack7\nk\\ ey=v\\u0041\\t")
                == ["rack": "rack7", "k ey": "vA\t"])
        #expect(JavaProperties.parse("a=1\n#b=2\nc\n") == ["a": "1", "c": ""])
        #expect(try GossipingPropertyFileSnitch(rackdcProperties: "dc=d\nrack=r\nprefer_local=yes").preferLocal == false)
    }

    @Test func missingDcOrRackIsCassandrasError() {
        let message = "DC or rack not found in snitch properties, check your configuration in: cassandra-rackdc.properties"
        #expect(throws: ConfigurationError(message)) { try GossipingPropertyFileSnitch(rackdcProperties: "dc=dc1\n") }
        #expect(throws: ConfigurationError(message)) { try GossipingPropertyFileSnitch(rackdcProperties: "rack=r1\n#dc=dc1") }
        #expect(throws: ConfigurationError(message)) { try GossipingPropertyFileSnitch(rackdcProperties: "") }
    }
}
