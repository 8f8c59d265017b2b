import Foundation

/// Whether a node accepts a TCP connection on its `storage_port`: how the loader tells a
/// down replica before it writes anything (system.peers keeps listing a stopped node, as
/// a ring member, with its tokens). The connection is closed at once; the node's sniffer
/// sees no bytes and drops it.
enum StoragePortProbe {
    /// nil when `host:port` accepts a connection within `timeoutSeconds`; otherwise why not
    /// ("connection refused", "no answer within 2 s", ...).
    static func refusal(host: String, port: Int, timeoutSeconds: Int) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { return "cannot resolve \(host)" }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS else { return "\(host):\(port): \(String(cString: strerror(errno)))" }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let ready = poll(&p, 1, Int32(timeoutSeconds * 1000))
        guard ready > 0 else { return "\(host):\(port): no answer within \(timeoutSeconds) s" }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? nil : "\(host):\(port): \(String(cString: strerror(error)))"
    }
}
