import Foundation
import HyadesServer
import NIOCore

/// A real node and CQL listener in this process, on an ephemeral port.
final class RunningNode: @unchecked Sendable {
    let directory: String
    let node: HyadesNode
    let server: CQLServer
    let address: SocketAddress

    init(directory: String? = nil, host: String = "127.0.0.1",
         limits: InFlightLimitSettings = InFlightLimitSettings()) async throws {
        let dir = directory ?? NSTemporaryDirectory() + "hyades-server-\(UUID().uuidString)"
        self.directory = dir
        var config = ServerConfig()
        config.dataFileDirectories = [dir]
        config.commitlogDirectory = dir + "/commitlog"
        config.numTokens = 4
        config.rpcAddress = host
        config.nativeTransportPort = 0
        node = try HyadesNode(config: config)
        server = CQLServer(processor: node.processor, host: host, port: 0, limits: limits)
        address = try await server.start()
    }

    func client(compression: String? = nil) async throws -> TestClient {
        try await TestClient.connect(address, compression: compression)
    }

    /// Stops the listener and drains the node (flush + engine shutdown).
    func stop() async throws {
        await server.stop()
        try node.drain()
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
