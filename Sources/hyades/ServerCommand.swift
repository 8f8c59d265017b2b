import ArgumentParser
import Foundation
import HyadesServer
import Logging
import ServiceLifecycle
import Synchronization

/// `hyades server`: runs one node in the foreground (systemd / Kubernetes style), logging
/// to stderr. SIGTERM or SIGINT drains it: stop accepting, finish in-flight requests,
/// flush memtables, shut the storage engine down. Exits non-zero if the engine stopped
/// on a disk error.
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server", abstract: "Run a Hyades node in the foreground (CQL native protocol v4).")

    @Option(help: "Configuration file (cassandra.yaml names; see conf/hyades.yaml).")
    var config: String?

    @Option(name: .customLong("listen-address"), help: "Address to listen on (listen_address and rpc_address).")
    var listenAddress: String?

    @Option(name: .customLong("native-port"), help: "CQL native transport port (native_transport_port).")
    var nativePort: Int?

    @Option(name: .customLong("storage-port"), help: "Internode port (storage_port).")
    var storagePort: Int?

    @Option(name: .customLong("data-dir"), help: "Data directory (data_file_directories); the commit log goes to <dir>/commitlog unless --config sets commitlog_directory.")
    var dataDir: String?

    @OptionGroup var daemonOptions: DaemonOptions

    func resolvedConfig() throws -> ServerConfig {
        var c = ServerConfig()
        if let config { c = try ServerConfig.load(path: config) }
        if let listenAddress { c.listenAddress = listenAddress; c.rpcAddress = listenAddress }
        if let nativePort {
            guard (0...65535).contains(nativePort) else { throw ValidationError("--native-port must be 0...65535") }
            c.nativeTransportPort = nativePort
        }
        if let storagePort {
            guard (0...65535).contains(storagePort) else { throw ValidationError("--storage-port must be 0...65535") }
            c.storagePort = storagePort
        }
        if let dataDir {
            c.dataFileDirectories = [dataDir]
            // Unless the config file names its own (a commit log on another disk).
            if c.commitlogDirectory == ServerConfig().commitlogDirectory { c.commitlogDirectory = dataDir + "/commitlog" }
        }
        return c
    }

    func run() throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "hyades")
        let config: ServerConfig
        do { config = try resolvedConfig() } catch {
            FileHandle.standardError.write(Data("hyades server: \(error)\n".utf8))
            throw ExitCode(2)
        }
        // --daemon: re-run this command detached (DaemonCommand.swift) and report.
        if daemonOptions.daemon {
            do { try daemonOptions.detach(config) } catch {
                FileHandle.standardError.write(Data("hyades server: \(error)\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        let pidFile: PidFile
        do { pidFile = try daemonOptions.enterForeground(config) } catch {
            FileHandle.standardError.write(Data("hyades server: \(error)\n".utf8))
            throw ExitCode(1)
        }
        defer { pidFile.release() }
        for w in config.warnings { logger.warning("\(w)") }
        let outcome = Mutex<(any Error)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let service = try NodeService(config: config, logger: logger)
                let group = ServiceGroup(configuration: .init(
                    services: [.init(service: service)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
                try await group.run()
            } catch {
                outcome.withLock { $0 = error }
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.withLock({ $0 }) {
            FileHandle.standardError.write(Data("hyades server: fatal: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
