import HyadesTestSupport

/// The client tests' node: the shared `HyadesServerProcess`, on 127.0.0.3 by default.
typealias ServerProcess = HyadesServerProcess

extension HyadesServerProcess {
    convenience init(host: String = "127.0.0.3", dataDir: String? = nil, port: Int = 0) throws {
        try self.init(host: host, dataDir: dataDir, nativePort: port)
    }

    var port: Int { nativePort }
}
