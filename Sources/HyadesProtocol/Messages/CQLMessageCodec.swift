import NIOCore

/// A request with what its frame said about it.
public struct CQLRequestEnvelope: Hashable, Sendable {
    public var stream: Int16
    /// The client asked for tracing (flag 0x02).
    public var tracing: Bool
    /// Flag 0x04: key/value payload for custom query handlers (ignored by Cassandra's default one).
    public var customPayload: [String: ByteBuffer?]?
    public var request: CQLRequest

    public init(stream: Int16, request: CQLRequest, tracing: Bool = false, customPayload: [String: ByteBuffer?]? = nil) {
        self.stream = stream
        self.request = request
        self.tracing = tracing
        self.customPayload = customPayload
    }
}

/// A response with its frame-level extras.
public struct CQLResponseEnvelope: Hashable, Sendable {
    public var stream: Int16
    /// Flag 0x02: the tracing session id ([uuid], 16 bytes), first in the body.
    public var tracingID: [UInt8]?
    /// Flag 0x08: warnings for the client.
    public var warnings: [String]
    public var customPayload: [String: ByteBuffer?]?
    public var response: CQLResponse

    public init(stream: Int16, response: CQLResponse, tracingID: [UInt8]? = nil, warnings: [String] = [],
                customPayload: [String: ByteBuffer?]? = nil) {
        self.stream = stream
        self.response = response
        self.tracingID = tracingID
        self.warnings = warnings
        self.customPayload = customPayload
    }
}

/// Turns frames into messages and back: body compression, the flag-driven body prefixes
/// (tracing id, warnings, custom payload) and attributing decode errors to the frame's
/// stream. Value type: a connection keeps one and sets `compression` after STARTUP.
public struct CQLMessageCodec: Sendable {
    /// Negotiated body compression; nil until (and unless) STARTUP chose one.
    public var compression: CQLCompression?
    public var maxUncompressedBodyBytes: Int

    public init(compression: CQLCompression? = nil,
                maxUncompressedBodyBytes: Int = CQLProtocol.defaultMaxUncompressedBodyBytes) {
        self.compression = compression
        self.maxUncompressedBodyBytes = maxUncompressedBodyBytes
    }

    // MARK: server side

    public func decodeRequest(_ frame: CQLFrame, allocator: ByteBufferAllocator) throws -> CQLRequestEnvelope {
        guard frame.opcode.isRequest else { throw ProtocolError.unexpectedOpcode(frame.opcode, stream: frame.stream) }
        do {
            var body = try plainBody(frame, allocator: allocator)
            var payload: [String: ByteBuffer?]?
            if frame.flags.contains(.customPayload) { payload = try body.readCQLBytesMap("custom payload") }
            let request = try CQLRequest.read(opcode: frame.opcode, from: &body)
            return CQLRequestEnvelope(stream: frame.stream, request: request,
                                      tracing: frame.flags.contains(.tracing), customPayload: payload)
        } catch let e as ProtocolError {
            throw e.on(stream: frame.stream)
        }
    }

    public func encodeResponse(_ envelope: CQLResponseEnvelope, allocator: ByteBufferAllocator) throws -> CQLFrame {
        // Sized up front so a large page is copied once, not regrown by doubling.
        var body = allocator.buffer(capacity: envelope.response.bodySizeHint)
        var flags: CQLFrameFlags = []
        if let id = envelope.tracingID {
            guard id.count == 16 else { throw ProtocolError.encoding("tracing id of \(id.count) bytes", stream: envelope.stream) }
            flags.insert(.tracing)
            body.writeBytes(id)
        }
        if !envelope.warnings.isEmpty {
            flags.insert(.warning)
            try body.writeCQLStringList(envelope.warnings)
        }
        if let payload = envelope.customPayload {
            flags.insert(.customPayload)
            try body.writeCQLBytesMap(payload)
        }
        try envelope.response.write(to: &body)
        return try frame(version: CQLProtocol.responseVersion, flags: flags, stream: envelope.stream,
                         opcode: envelope.response.opcode, body: body, allocator: allocator)
    }

    // MARK: client side

    public func encodeRequest(_ envelope: CQLRequestEnvelope, allocator: ByteBufferAllocator) throws -> CQLFrame {
        var body = allocator.buffer(capacity: 64)
        var flags: CQLFrameFlags = []
        if envelope.tracing { flags.insert(.tracing) }
        if let payload = envelope.customPayload {
            flags.insert(.customPayload)
            try body.writeCQLBytesMap(payload)
        }
        try envelope.request.write(to: &body)
        // STARTUP is never compressed: it is what negotiates compression.
        let compress = envelope.request.opcode != .startup
        return try frame(version: CQLProtocol.requestVersion, flags: flags, stream: envelope.stream,
                         opcode: envelope.request.opcode, body: body, allocator: allocator, compress: compress)
    }

    public func decodeResponse(_ frame: CQLFrame, allocator: ByteBufferAllocator) throws -> CQLResponseEnvelope {
        do {
            var body = try plainBody(frame, allocator: allocator)
            var envelope = CQLResponseEnvelope(stream: frame.stream, response: .ready)
            if frame.flags.contains(.tracing) { envelope.tracingID = try body.readCQLUUID("tracing id") }
            if frame.flags.contains(.warning) { envelope.warnings = try body.readCQLStringList("warnings") }
            if frame.flags.contains(.customPayload) { envelope.customPayload = try body.readCQLBytesMap("custom payload") }
            envelope.response = try CQLResponse.read(opcode: frame.opcode, from: &body)
            return envelope
        } catch let e as ProtocolError {
            throw e.on(stream: frame.stream)
        }
    }

    // MARK: shared

    /// The body, decompressed if the frame says it is compressed.
    func plainBody(_ frame: CQLFrame, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        guard frame.flags.contains(.compressed) else { return frame.body }
        guard let compression else {
            throw ProtocolError.compression("compressed frame but no compression was negotiated in STARTUP")
        }
        return try compression.decompress(frame.body, maxUncompressedBytes: maxUncompressedBodyBytes, allocator: allocator)
    }

    private func frame(version: UInt8, flags: CQLFrameFlags, stream: Int16, opcode: CQLOpcode, body: ByteBuffer,
                       allocator: ByteBufferAllocator, compress: Bool = true) throws -> CQLFrame {
        var flags = flags
        var body = body
        // Empty bodies stay uncompressed (as cassandra-driver does): always legal, and no
        // client has to decode a compressed nothing.
        if compress, let compression, body.readableBytes > 0 {
            body = try compression.compress(body, allocator: allocator)
            flags.insert(.compressed)
        }
        return CQLFrame(version: version, flags: flags, stream: stream, opcode: opcode, body: body)
    }
}
