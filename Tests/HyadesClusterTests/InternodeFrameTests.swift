import HyadesCore
import Testing
@testable import HyadesCluster

@Suite struct InternodeFrameTests {
    static let decoder = InternodeFrameDecoder(maxPayloadBytes: 1 << 16)

    static let samples: [InternodeFrame] = [
        InternodeFrame(verb: .echoReq, messageID: 0),
        InternodeFrame(verb: .mutationReq, messageID: 1, payload: [0xAB]),
        InternodeFrame(verb: .readRsp, messageID: UInt64.max, flags: InternodeFormat.flagFailure,
                       payload: (0 ..< 1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }),
        InternodeFrame(verb: InternodeVerb(rawValue: 0xFFFF), messageID: 0x0102_0304_0506_0708, payload: Array("x".utf8)),
    ]

    @Test func layoutIsAsSpecified() {
        let bytes = InternodeFrame(verb: .gossipDigestSyn, messageID: 0x0102_0304_0506_0708, payload: [1, 2, 3]).encoded()
        #expect(Array(bytes[0 ..< 4]) == Array("HYIN".utf8))
        #expect(bytes[4] == 1)          // version
        #expect(bytes[5] == 0)          // flags
        #expect(Array(bytes[6 ..< 8]) == [0, 14]) // GOSSIP_DIGEST_SYN is Cassandra's 14
        #expect(Array(bytes[8 ..< 16]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(bytes[16 ..< 20]) == [0, 0, 0, 3])
        let headerCRC = CRC32C.checksum(Array(bytes[0 ..< 20]))
        #expect(Array(bytes[20 ..< 24]) == [UInt8(headerCRC >> 24), UInt8((headerCRC >> 16) & 0xFF), UInt8((headerCRC >> 8) & 0xFF), UInt8(headerCRC & 0xFF)])
        #expect(Array(bytes[24 ..< 27]) == [1, 2, 3])
        let payloadCRC = CRC32C.checksum([1, 2, 3])
        #expect(Array(bytes[27 ..< 31]) == [UInt8(payloadCRC >> 24), UInt8((payloadCRC >> 16) & 0xFF), UInt8((payloadCRC >> 8) & 0xFF), UInt8(payloadCRC & 0xFF)])
        #expect(bytes.count == 31)
    }

    @Test(arguments: samples)
    func roundTrips(frame: InternodeFrame) throws {
        let bytes = frame.encoded()
        #expect(bytes.count == frame.encodedCount)
        #expect(try Self.decoder.decodeExactly(bytes) == frame)
    }

    @Test func framesFollowEachOtherInAStream() throws {
        var stream = Self.samples.flatMap { $0.encoded() }
        var decoded: [InternodeFrame] = []
        while !stream.isEmpty {
            guard case .frame(let f, let consumed) = try Self.decoder.decode(stream) else {
                Issue.record("stream ended mid-frame"); return
            }
            decoded.append(f)
            stream.removeFirst(consumed)
        }
        #expect(decoded == Self.samples)
    }

    @Test(arguments: samples)
    func everyTruncationAsksForMoreAndIsAnErrorWhenExact(frame: InternodeFrame) throws {
        let bytes = frame.encoded()
        for n in 0 ..< bytes.count {
            let prefix = Array(bytes[0 ..< n])
            let result = try Self.decoder.decode(prefix)
            let expectedNeed = n < InternodeFormat.headerBytes ? InternodeFormat.headerBytes : bytes.count
            #expect(result == .needMore(needed: expectedNeed), "prefix of \(n) bytes")
            #expect(throws: InternodeFrameError(.truncated(have: n, need: expectedNeed))) {
                try Self.decoder.decodeExactly(prefix)
            }
        }
        #expect(throws: InternodeFrameError(.trailingBytes(1))) { try Self.decoder.decodeExactly(bytes + [0]) }
    }

    @Test(arguments: samples)
    func everyFlippedByteIsCaught(frame: InternodeFrame) {
        let bytes = frame.encoded()
        for i in 0 ..< bytes.count {
            for mask: UInt8 in [0x01, 0x80] {
                var bad = bytes
                bad[i] ^= mask
                do {
                    _ = try Self.decoder.decodeExactly(bad)
                    Issue.record("flipped bit \(mask) of byte \(i) went unnoticed")
                } catch {
                    switch error.kind {
                    case .badMagic: #expect(i < 4)
                    case .headerChecksumMismatch: #expect(i >= 4 && i < InternodeFormat.headerBytes)
                    case .payloadChecksumMismatch: #expect(i >= InternodeFormat.headerBytes)
                    default: Issue.record("byte \(i): unexpected \(error)")
                    }
                }
            }
        }
    }

    /// A header with a valid checksum whose fields are wrong anyway.
    static func header(version: UInt8 = 1, flags: UInt8 = 0, length: UInt32) -> [UInt8] {
        var w = InternodeWriter()
        w.raw(InternodeFormat.magic)
        w.u8(version)
        w.u8(flags)
        w.u16(InternodeVerb.readReq.rawValue)
        w.u64(9)
        w.u32(length)
        w.u32(CRC32C.checksum(w.bytes))
        return w.bytes
    }

    @Test func oversizedLengthIsRefusedFromTheHeaderAlone() {
        // Only the 24 header bytes exist: the decoder refuses without waiting for 4 GiB.
        #expect(throws: InternodeFrameError(.oversized(length: Int(UInt32.max), limit: 1 << 16))) {
            try Self.decoder.decode(Self.header(length: UInt32.max))
        }
        #expect(throws: InternodeFrameError(.oversized(length: (1 << 16) + 1, limit: 1 << 16))) {
            try Self.decoder.decode(Self.header(length: (1 << 16) + 1))
        }
        // At the limit it is only waiting for the rest.
        #expect((try? Self.decoder.decode(Self.header(length: 1 << 16))) == .needMore(needed: 24 + (1 << 16) + 4))
    }

    @Test func otherVersionsAndUnknownFlagsAreRefused() {
        #expect(throws: InternodeFrameError(.unsupportedVersion(2))) {
            try Self.decoder.decode(Self.header(version: 2, length: 0))
        }
        #expect(throws: InternodeFrameError(.unknownFlags(0x82))) {
            try Self.decoder.decode(Self.header(flags: 0x82, length: 0))
        }
    }

    /// Random streams: the decoder answers needMore, a frame or an error, and never asks to
    /// buffer more than the limit allows.
    @Test func randomBytesNeverTrapOrOverreach() {
        var rng = SimulationRandom(seed: 77)
        for _ in 0 ..< 5000 {
            var bytes = (0 ..< Int.random(in: 0 ..< 48, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
            if Bool.random(using: &rng) { bytes.replaceSubrange(0 ..< min(4, bytes.count), with: InternodeFormat.magic) }
            if case .needMore(let needed)? = try? Self.decoder.decode(bytes) {
                #expect(needed <= InternodeFormat.headerBytes + (1 << 16) + InternodeFormat.trailerBytes)
            }
        }
    }

    @Test func storagePortRoutesBothProtocols() {
        // SSTable streaming: its first frame starts with a u32 length far below 16 MiB.
        #expect(StoragePortProtocol.classify([0x00]) == .streaming)
        #expect(StoragePortProtocol.classify([0x00, 0x00, 0x01, 0x2C, 0x01]) == .streaming)
        #expect(StoragePortProtocol.classify(InternodeFrame(verb: .echoReq, messageID: 1).encoded()) == .internode)
        #expect(StoragePortProtocol.classify(Array("HY".utf8)) == nil)
        #expect(StoragePortProtocol.classify([UInt8]()) == nil)
        #expect(StoragePortProtocol.classify(Array("HYSS".utf8)) == .unknown)
        #expect(StoragePortProtocol.classify([0x04, 0x00, 0x00, 0x01]) == .unknown) // a CQL v4 client
        #expect(StoragePortProtocol.classify(Array("GET ".utf8)) == .unknown)
        // nodetool's management frames (docs/formats/admin.md).
        #expect(StoragePortProtocol.classify(Array("HYAD".utf8) + [1, 1]) == .admin)
        #expect(StoragePortProtocol.classify(Array("HYA".utf8)) == nil)
        #expect(StoragePortProtocol.classify(Array("HYAX".utf8)) == .unknown)
        #expect(StoragePortProtocol.adminMagic == Array("HYAD".utf8))
    }

    @Test func handshakeRoundTripsAndRejectsGarbage() throws {
        let h = InternodeHandshake(hostID: HostID(high: 0x0123_4567_89AB_4DEF, low: 0x8000_0000_0000_0001),
                                   address: InternodeAddress(host: "::1", port: 7001), clusterName: "Test Cluster")
        let bytes = h.encoded()
        #expect(try InternodeHandshake.decode(bytes) == h)
        for n in 0 ..< bytes.count {
            #expect(throws: InternodePayloadError.self) { try InternodeHandshake.decode(Array(bytes[0 ..< n])) }
        }
        #expect(throws: InternodePayloadError(.trailingBytes(1))) { try InternodeHandshake.decode(bytes + [7]) }
    }

    @Test func hostIDPrintsAndParsesAsAUUID() {
        let id = HostID(high: 0x0123_4567_89AB_4DEF, low: 0x8000_0000_0000_00FF)
        #expect(id.description == "01234567-89ab-4def-8000-0000000000ff")
        #expect(HostID(id.description) == id)
        #expect(HostID("not-a-uuid") == nil)
        var rng = SimulationRandom(seed: 5)
        let r = HostID.random(using: &rng)
        #expect((r.high >> 12) & 0xF == 4)          // version 4
        #expect(r.low >> 62 == 0b10)                // IETF variant
    }
}

@Suite struct InternodeVerbTests {
    @Test func timeoutsFollowCassandraYamlDefaults() {
        let t = InternodeTimeouts()
        #expect(t.millis(for: .mutationReq) == 2000)      // write_request_timeout
        #expect(t.millis(for: .hintReq) == 2000)
        #expect(t.millis(for: .readReq) == 5000)          // read_request_timeout
        #expect(t.millis(for: .rangeReq) == 10000)        // range_request_timeout
        #expect(t.millis(for: .counterMutationReq) == 5000)
        #expect(t.millis(for: .truncateReq) == 60000)
        #expect(t.millis(for: .schemaPullReq) == 10000)   // request_timeout
        #expect(t.millis(for: .failureRsp) == nil)
        #expect(t.millis(for: InternodeVerb(rawValue: 500)) == nil)
        var custom = InternodeTimeouts()
        custom.readRequestMillis = 1234
        #expect(custom.millis(for: .readReq) == 1234)
    }

    @Test func namesAreCassandrasAndUnique() {
        let names = InternodeVerb.all.values.map(\.name)
        #expect(Set(names).count == names.count)
        for name in ["GOSSIP_DIGEST_SYN", "GOSSIP_DIGEST_ACK", "GOSSIP_DIGEST_ACK2", "ECHO_REQ", "ECHO_RSP",
                     "MUTATION_REQ", "MUTATION_RSP", "READ_REQ", "READ_RSP", "RANGE_REQ", "RANGE_RSP",
                     "HINT_REQ", "SCHEMA_PUSH_REQ", "SCHEMA_PULL_REQ"] {
            #expect(InternodeVerb.named(name)?.name == name)
        }
        #expect(InternodeVerb.named("GOSSIP_DIGEST_SYN") == InternodeVerb(rawValue: 14))
        #expect(InternodeVerb.readReq.isRequest && !InternodeVerb.readRsp.isRequest)
        // Every request's response verb is in the table and is not itself a request.
        for (verb, info) in InternodeVerb.all {
            if let r = info.responseVerb {
                #expect(r.info != nil && !r.isRequest, "\(verb)")
            }
        }
    }
}
