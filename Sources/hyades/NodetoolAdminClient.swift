import Foundation
import HyadesProtocol

/// One management request to a node's storage_port (docs/formats/admin.md): connect, send
/// the frame, read the one answer, close. Blocking: nodetool does nothing else meanwhile,
/// and a flush or compaction may take long, so there is no read timeout.
struct NodetoolAdminClient {
    var host: String
    var port: Int
    /// Seconds to wait for the connection to be accepted.
    var connectTimeoutSeconds = 5
    /// Seconds to wait for each read of the answer; nil: no limit (a flush or compaction
    /// may take long). Set for optional look-ups, so a port that accepts and never answers
    /// cannot hang nodetool.
    var readTimeoutSeconds: Int? = nil

    func send(_ request: AdminRequest) throws -> AdminResponse {
        let fd = try connect()
        defer { close(fd) }
        if let readTimeoutSeconds {
            var tv = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        let frame = AdminCodec.encode(request)
        var sent = 0
        while sent < frame.count {
            let n = frame[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure("the connection failed while sending: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            do {
                if let (type, payload, _) = try AdminCodec.decodeFrame(received[...]) {
                    return try AdminCodec.decodeResponse(type: type, payload: payload)
                }
            } catch {
                throw NodetoolError("nodetool: '\(host):\(port)' did not answer in the management protocol: \(error) (is it a Hyades node's storage_port?)")
            }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw NodetoolError("nodetool: '\(host):\(port)' closed the connection before answering (the node stopped, or its storage_port does not take management requests)")
            }
            received += chunk[0..<n]
        }
    }

    private func failure(_ what: String) -> NodetoolError {
        NodetoolError("nodetool: Failed to connect to '\(host):\(port)' - \(what).")
    }

    private func connect() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw failure("unknown host: \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        while let a = ai {
            ai = a.pointee.ai_next
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            // SO_SNDTIMEO bounds connect() on Linux; cleared afterwards for the request.
            var tv = timeval(tv_sec: connectTimeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 {
                var zero = timeval(tv_sec: 0, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, socklen_t(MemoryLayout<timeval>.size))
                return fd
            }
            lastError = errno == EINPROGRESS || errno == EAGAIN ? "connection timed out" : String(cString: strerror(errno))
            close(fd)
        }
        throw failure(lastError)
    }
}
