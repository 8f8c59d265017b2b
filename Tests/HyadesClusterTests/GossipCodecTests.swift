import Testing
@testable import HyadesCluster

@Suite struct GossipCodecTests {
    static let a = InternodeAddress(host: "127.0.9.1")
    static let b = InternodeAddress(host: "::1", port: 7001)

    static let state = EndpointState(heartBeat: HeartBeatState(generation: 1_800_000_000, version: 42), states: [
        .status: VersionedValue("NORMAL,-123", version: 7),
        .tokens: VersionedValue("-9223372036854775808,0,9223372036854775807", version: 6),
        .hostID: VersionedValue("01234567-89ab-4def-8000-0000000000ff", version: 1),
        .dc: VersionedValue("dc1", version: 2),
        ApplicationState(rawValue: 300): VersionedValue("from a newer node", version: 9),
        .rack: VersionedValue("", version: 3),
    ])

    static let messages: [GossipMessage] = [
        .syn(GossipDigestSyn(clusterName: "Test Cluster", partitioner: "org.apache.cassandra.dht.Murmur3Partitioner",
                             digests: [GossipDigest(endpoint: a, generation: 5, maxVersion: 9),
                                       GossipDigest(endpoint: b, generation: -1, maxVersion: Int32.max)])),
        .syn(GossipDigestSyn(clusterName: "", partitioner: "", digests: [])),
        .ack(GossipDigestAck(digests: [GossipDigest(endpoint: b, generation: 1, maxVersion: 0)],
                             states: [a: state, b: EndpointState(heartBeat: HeartBeatState(generation: 3))])),
        .ack(GossipDigestAck(digests: [], states: [:])),
        .ack2(GossipDigestAck2(states: [b: state])),
        .shutdown, .echoRequest, .echoResponse,
    ]

    @Test(arguments: messages)
    func roundTripsThroughAFrame(message: GossipMessage) throws {
        let (verb, payload) = GossipCodec.encode(message)
        let frame = try InternodeFrameDecoder().decodeExactly(InternodeFrame(verb: verb, messageID: 3, payload: payload).encoded())
        #expect(try GossipCodec.decode(verb: frame.verb, payload: frame.payload) == message)
    }

    @Test func valuesOver64KiBRoundTrip() throws {
        var big = Self.state
        big.states[.tokens] = VersionedValue(String(repeating: "9223372036854775807,", count: 4000), version: 6)
        let message = GossipMessage.ack2(GossipDigestAck2(states: [Self.a: big]))
        let (verb, payload) = GossipCodec.encode(message)
        #expect(payload.count > 80_000)
        #expect(try GossipCodec.decode(verb: verb, payload: payload) == message)
        #expect(throws: InternodePayloadError(.truncated)) { try GossipCodec.decode(verb: verb, payload: Array(payload.dropLast())) }
    }

    @Test func encodingIsDeterministic() {
        let message = GossipCodec.encode(Self.messages[2]).payload
        for _ in 0 ..< 5 { #expect(GossipCodec.encode(Self.messages[2]).payload == message) }
    }

    @Test(arguments: messages.prefix(5))
    func everyTruncationAndTrailingByteIsAnError(message: GossipMessage) {
        let (verb, payload) = GossipCodec.encode(message)
        // Long values are checked at a sample of cut points; short ones at every byte.
        let cuts = payload.count < 2000 ? Array(0 ..< payload.count)
            : Array(0 ..< 300) + Array(stride(from: 300, to: payload.count, by: 97))
        for n in cuts {
            #expect(throws: InternodePayloadError.self, "cut at \(n)") {
                try GossipCodec.decode(verb: verb, payload: Array(payload[0 ..< n]))
            }
        }
        #expect(throws: InternodePayloadError(.trailingBytes(1))) { try GossipCodec.decode(verb: verb, payload: payload + [0]) }
    }

    @Test func impossibleCountsAreRefusedBeforeAllocating() {
        var w = InternodeWriter()
        w.u32(UInt32.max) // digests
        #expect(throws: InternodePayloadError(.countTooLarge(Int(UInt32.max)))) {
            try GossipCodec.decode(verb: .gossipDigestAck2, payload: w.bytes)
        }
        var s = InternodeWriter()
        s.string("c"); s.string("p"); s.u32(1_000_000)
        #expect(throws: InternodePayloadError(.countTooLarge(1_000_000))) {
            try GossipCodec.decode(verb: .gossipDigestSyn, payload: s.bytes)
        }
    }

    @Test func duplicatesAreRefused() {
        var w = InternodeWriter()
        w.u32(1)
        Self.a.write(to: &w)
        w.i32(1); w.i32(1); w.u32(2)
        for _ in 0 ..< 2 { w.u16(0); w.i32(1); w.longString("NORMAL") }
        #expect(throws: InternodePayloadError.self) { try GossipCodec.decode(verb: .gossipDigestAck2, payload: w.bytes) }
    }

    @Test func badUTF8AndEmptyHostsAreRefused() {
        var w = InternodeWriter()
        w.u16(2); w.raw([0xC3, 0x28]); w.string("p"); w.u32(0)
        #expect(throws: InternodePayloadError(.invalidUTF8)) { try GossipCodec.decode(verb: .gossipDigestSyn, payload: w.bytes) }
        var e = InternodeWriter()
        e.u32(1); e.string(""); e.u16(7000); e.i32(1); e.i32(1); e.u32(0)
        #expect(throws: InternodePayloadError.self) { try GossipCodec.decode(verb: .gossipDigestAck2, payload: e.bytes) }
    }

    /// Random bytes and randomly damaged payloads: every outcome is a value or a thrown
    /// error, never a trap or a runaway allocation.
    @Test func damagedPayloadsNeverTrap() {
        var rng = SimulationRandom(seed: 2026)
        let verbs: [InternodeVerb] = [.gossipDigestSyn, .gossipDigestAck, .gossipDigestAck2]
        let valid = Self.messages.prefix(5).map { GossipCodec.encode($0) }
        var decoded = 0
        for _ in 0 ..< 3000 {
            var (verb, payload) = valid[Int.random(in: 0 ..< valid.count, using: &rng)]
            if Bool.random(using: &rng) {
                payload = (0 ..< Int.random(in: 0 ..< 64, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
                verb = verbs[Int.random(in: 0 ..< verbs.count, using: &rng)]
            } else {
                for _ in 0 ..< Int.random(in: 1 ... 4, using: &rng) where !payload.isEmpty {
                    payload[Int.random(in: 0 ..< payload.count, using: &rng)] = UInt8.random(in: 0 ... 255, using: &rng)
                }
            }
            if (try? GossipCodec.decode(verb: verb, payload: payload)) != nil { decoded += 1 }
        }
        // Some damaged payloads still parse (a changed version or value byte): that is what
        // the frame's CRC32C is for. Most do not.
        #expect(decoded < 3000)
    }

    @Test func otherVerbsAreNotGossip() throws {
        #expect(try GossipCodec.decode(verb: .readReq, payload: []) == nil)
    }
}
