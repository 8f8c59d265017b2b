/// Payload encodings of the gossip verbs (spec: docs/formats/internode.md, "Gossip
/// payloads"). Maps are written sorted by key so one state always encodes to the same bytes.
public enum GossipCodec {
    /// Smallest encodings, used to refuse impossible counts before reserving anything.
    static let minDigestBytes = 2 + 1 + 2 + 4 + 4          // address (1-byte host) + generation + version
    static let minVersionedStateBytes = 2 + 4 + 4           // id + version + empty long string
    static let minEndpointEntryBytes = 2 + 1 + 2 + 4 + 4 + 4 // address + heartbeat + state count

    public static func encode(_ message: GossipMessage) -> (verb: InternodeVerb, payload: [UInt8]) {
        var w = InternodeWriter()
        switch message {
        case .syn(let syn):
            w.string(syn.clusterName)
            w.string(syn.partitioner)
            writeDigests(syn.digests, to: &w)
        case .ack(let ack):
            writeDigests(ack.digests, to: &w)
            writeStates(ack.states, to: &w)
        case .ack2(let ack2):
            writeStates(ack2.states, to: &w)
        case .shutdown, .echoRequest, .echoResponse:
            break
        }
        return (message.verb, w.bytes)
    }

    /// Decodes a gossip verb's payload; nil for a verb that is not gossip's.
    public static func decode(verb: InternodeVerb, payload: [UInt8]) throws(InternodePayloadError) -> GossipMessage? {
        var r = InternodeReader(payload)
        let message: GossipMessage
        switch verb {
        case .gossipDigestSyn:
            let cluster = try r.string()
            let partitioner = try r.string()
            message = .syn(GossipDigestSyn(clusterName: cluster, partitioner: partitioner, digests: try readDigests(&r)))
        case .gossipDigestAck:
            let digests = try readDigests(&r)
            message = .ack(GossipDigestAck(digests: digests, states: try readStates(&r)))
        case .gossipDigestAck2:
            message = .ack2(GossipDigestAck2(states: try readStates(&r)))
        case .gossipShutdown: message = .shutdown
        case .echoReq: message = .echoRequest
        case .echoRsp: message = .echoResponse
        default: return nil
        }
        try r.finish()
        return message
    }

    static func writeDigests(_ digests: [GossipDigest], to w: inout InternodeWriter) {
        w.u32(UInt32(digests.count))
        for d in digests {
            d.endpoint.write(to: &w)
            w.i32(d.generation)
            w.i32(d.maxVersion)
        }
    }

    static func readDigests(_ r: inout InternodeReader) throws(InternodePayloadError) -> [GossipDigest] {
        let n = try r.count(minimumEntryBytes: minDigestBytes)
        var digests: [GossipDigest] = []
        digests.reserveCapacity(n)
        for _ in 0 ..< n {
            let endpoint = try InternodeAddress.read(from: &r)
            digests.append(GossipDigest(endpoint: endpoint, generation: try r.i32(), maxVersion: try r.i32()))
        }
        return digests
    }

    public static func writeEndpointState(_ state: EndpointState, to w: inout InternodeWriter) {
        w.i32(state.heartBeat.generation)
        w.i32(state.heartBeat.version)
        w.u32(UInt32(state.states.count))
        for key in state.states.keys.sorted() {
            let v = state.states[key]!
            w.u16(key.rawValue)
            w.i32(v.version)
            w.longString(v.value)
        }
    }

    public static func readEndpointState(_ r: inout InternodeReader) throws(InternodePayloadError) -> EndpointState {
        let heartBeat = HeartBeatState(generation: try r.i32(), version: try r.i32())
        let n = try r.count(minimumEntryBytes: minVersionedStateBytes)
        var states: [ApplicationState: VersionedValue] = [:]
        states.reserveCapacity(n)
        for _ in 0 ..< n {
            let key = ApplicationState(rawValue: try r.u16())
            let version = try r.i32()
            let value = try r.longString()
            guard states.updateValue(VersionedValue(value, version: version), forKey: key) == nil else {
                throw InternodePayloadError(.invalidValue("application state \(key) twice"))
            }
        }
        return EndpointState(heartBeat: heartBeat, states: states)
    }

    static func writeStates(_ states: [InternodeAddress: EndpointState], to w: inout InternodeWriter) {
        w.u32(UInt32(states.count))
        for address in states.keys.sorted() {
            address.write(to: &w)
            writeEndpointState(states[address]!, to: &w)
        }
    }

    static func readStates(_ r: inout InternodeReader) throws(InternodePayloadError) -> [InternodeAddress: EndpointState] {
        let n = try r.count(minimumEntryBytes: minEndpointEntryBytes)
        var states: [InternodeAddress: EndpointState] = [:]
        states.reserveCapacity(n)
        for _ in 0 ..< n {
            let address = try InternodeAddress.read(from: &r)
            guard states.updateValue(try readEndpointState(&r), forKey: address) == nil else {
                throw InternodePayloadError(.invalidValue("endpoint \(address) twice"))
            }
        }
        return states
    }
}
