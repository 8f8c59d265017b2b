import HyadesCore

/// One internode message on the wire (layout: docs/formats/internode.md, constants:
/// InternodeFormat). The payload's meaning depends on the verb; gossip payloads are encoded
/// by GossipCodec.
public struct InternodeFrame: Equatable, Sendable {
    public var verb: InternodeVerb
    /// Chosen by the sender, unique per connection direction; a response carries the id of
    /// its request so the sender's callback table finds it.
    public var messageID: UInt64
    public var flags: UInt8
    public var payload: [UInt8]

    public init(verb: InternodeVerb, messageID: UInt64, flags: UInt8 = 0, payload: [UInt8] = []) {
        self.verb = verb
        self.messageID = messageID
        self.flags = flags
        self.payload = payload
    }

    public var isFailure: Bool { flags & InternodeFormat.flagFailure != 0 }

    public var encodedCount: Int { InternodeFormat.headerBytes + payload.count + InternodeFormat.trailerBytes }

    /// The frame's bytes. The payload must fit `maxPayloadBytes` of the receiver; the
    /// sender checks with `InternodeFrameDecoder.defaultMaxPayloadBytes` before queueing.
    public func encoded() -> [UInt8] {
        precondition(payload.count <= Int(UInt32.max), "payload over 4 GiB")
        precondition(flags & ~InternodeFormat.knownFlags == 0, "unknown internode flags")
        var w = InternodeWriter(capacity: encodedCount)
        w.raw(InternodeFormat.magic)
        w.u8(InternodeFormat.version)
        w.u8(flags)
        w.u16(verb.rawValue)
        w.u64(messageID)
        w.u32(UInt32(payload.count))
        w.u32(CRC32C.checksum(w.bytes))
        w.raw(payload)
        w.u32(CRC32C.checksum(payload))
        return w.bytes
    }
}

/// Why bytes are not an internode frame. After any of these the connection is closed:
/// a byte stream that lost its framing cannot be resynchronised.
public struct InternodeFrameError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        /// The first bytes are not "HYIN".
        case badMagic
        case unsupportedVersion(UInt8)
        case unknownFlags(UInt8)
        case headerChecksumMismatch(expected: UInt32, actual: UInt32)
        case payloadChecksumMismatch(expected: UInt32, actual: UInt32)
        /// The header announces a payload over the receiver's limit.
        case oversized(length: Int, limit: Int)
        /// `decodeExactly` only: the bytes end before the frame does.
        case truncated(have: Int, need: Int)
        /// `decodeExactly` only: bytes after the frame.
        case trailingBytes(Int)
    }
    public let kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .badMagic: return "not an internode frame (bad magic)"
        case .unsupportedVersion(let v): return "unsupported internode frame version \(v)"
        case .unknownFlags(let f): return "internode frame has unknown flags 0x\(String(f, radix: 16))"
        case .headerChecksumMismatch(let e, let a): return "internode header checksum mismatch (stored \(e), computed \(a))"
        case .payloadChecksumMismatch(let e, let a): return "internode payload checksum mismatch (stored \(e), computed \(a))"
        case .oversized(let n, let limit): return "internode frame of \(n) payload bytes is over the limit of \(limit)"
        case .truncated(let have, let need): return "internode frame truncated: \(have) of \(need) bytes"
        case .trailingBytes(let n): return "\(n) bytes after the internode frame"
        }
    }
}

/// Decodes frames from the front of a byte stream. Pure: it reads the bytes it is given and
/// says how many it used, so the NIO handler keeps its own buffer. The header is checked
/// (magic, version, flags, header checksum, length against the limit) as soon as its 24
/// bytes are there, so a frame that would exceed the limit is refused before any of its
/// payload is waited for or buffered.
public struct InternodeFrameDecoder: Sendable {
    public enum Result: Equatable, Sendable {
        case frame(InternodeFrame, consumed: Int)
        /// The bytes hold a valid prefix of a frame; `needed` is the total the frame takes
        /// (the header's 24 bytes until the header has arrived).
        case needMore(needed: Int)
    }

    public let maxPayloadBytes: Int

    public init(maxPayloadBytes: Int = InternodeFormat.defaultMaxPayloadBytes) {
        self.maxPayloadBytes = maxPayloadBytes
    }

    public func decode(_ bytes: some RandomAccessCollection<UInt8>) throws(InternodeFrameError) -> Result {
        let b = Array(bytes.prefix(InternodeFormat.headerBytes))
        // Magic first, byte by byte: a stray client is told at once.
        for i in 0 ..< min(b.count, InternodeFormat.magic.count) where b[i] != InternodeFormat.magic[i] {
            throw InternodeFrameError(.badMagic)
        }
        guard b.count == InternodeFormat.headerBytes else {
            return .needMore(needed: InternodeFormat.headerBytes)
        }
        let stored = be32(b, 20)
        let computed = b.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0 ..< InternodeFormat.checkedHeaderBytes])) }
        guard stored == computed else {
            throw InternodeFrameError(.headerChecksumMismatch(expected: stored, actual: computed))
        }
        guard b[4] == InternodeFormat.version else { throw InternodeFrameError(.unsupportedVersion(b[4])) }
        let flags = b[5]
        guard flags & ~InternodeFormat.knownFlags == 0 else { throw InternodeFrameError(.unknownFlags(flags)) }
        let verb = InternodeVerb(rawValue: UInt16(b[6]) << 8 | UInt16(b[7]))
        var id: UInt64 = 0
        for i in 8 ..< 16 { id = id << 8 | UInt64(b[i]) }
        let length = Int(be32(b, 16))
        guard length <= maxPayloadBytes else {
            throw InternodeFrameError(.oversized(length: length, limit: maxPayloadBytes))
        }
        let total = InternodeFormat.headerBytes + length + InternodeFormat.trailerBytes
        guard bytes.count >= total else { return .needMore(needed: total) }
        let start = bytes.index(bytes.startIndex, offsetBy: InternodeFormat.headerBytes)
        let end = bytes.index(start, offsetBy: length)
        let payload = Array(bytes[start ..< end])
        let trailer = Array(bytes[end ..< bytes.index(end, offsetBy: 4)])
        let storedPayload = be32(trailer, 0)
        let computedPayload = CRC32C.checksum(payload)
        guard storedPayload == computedPayload else {
            throw InternodeFrameError(.payloadChecksumMismatch(expected: storedPayload, actual: computedPayload))
        }
        return .frame(InternodeFrame(verb: verb, messageID: id, flags: flags, payload: payload), consumed: total)
    }

    /// Decodes bytes that must hold exactly one frame (tests, tools).
    public func decodeExactly(_ bytes: [UInt8]) throws(InternodeFrameError) -> InternodeFrame {
        switch try decode(bytes) {
        case .needMore(let needed):
            throw InternodeFrameError(.truncated(have: bytes.count, need: needed))
        case .frame(let frame, let consumed):
            guard consumed == bytes.count else { throw InternodeFrameError(.trailingBytes(bytes.count - consumed)) }
            return frame
        }
    }

    private func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }
}
