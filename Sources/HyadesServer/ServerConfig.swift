import Foundation
import HyadesCluster
import HyadesStorage
import Yams

/// A configuration file or flag that cannot be used: names the key and what is wrong.
public struct ServerConfigError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The node's settings, under cassandra.yaml's names (see conf/hyades.yaml), with
/// defaults for one local node.
public struct ServerConfig: Sendable, Hashable {
    public var clusterName = "Test Cluster"
    public var listenAddress = "127.0.0.1"
    public var rpcAddress = "127.0.0.1"
    public var nativeTransportPort = 9042
    public var storagePort = 7000
    /// Largest SSTable streaming session (all its files) a node accepts (`streaming_max_session_size`).
    public var streamingMaxSessionSizeBytes: UInt64 = 64 << 30
    /// Imported SSTables are decompressed and walked entry by entry before adoption, not
    /// only checksummed (`streaming_import_extended_verify`).
    public var streamingImportExtendedVerify = false
    /// What the node does after a read meets a corrupt SSTable (`disk_failure_policy`:
    /// stop, die, best_effort, ignore).
    public var diskFailurePolicy = DiskFailurePolicy.stop
    public var numTokens = 16
    public var dataFileDirectories = ["./data"]
    public var commitlogDirectory = "./data/commitlog"
    /// "periodic", "batch" or "group".
    public var commitlogSync = "periodic"
    public var commitlogSyncPeriodMs = 10_000
    public var commitlogSyncGroupWindowMs = 15
    public var commitlogSegmentSizeBytes = 32 << 20
    /// Memtable size at which a table flushes (`memtable_heap_space`). Unset, it follows
    /// the machine's memory (`defaultMemtableHeapSpace`), as Cassandra's follows its heap.
    public var memtableHeapSpaceBytes = ServerConfig.defaultMemtableHeapSpace(
        physicalMemoryBytes: ProcessInfo.processInfo.physicalMemory)
    public var nativeTransportMaxFrameSizeBytes = 16 << 20
    /// Unanswered requests per connection before reading pauses.
    public var nativeTransportMaxInFlightRequests = 1024
    /// `native_transport_max_threads` (Cassandra's default 128), accepted from a
    /// cassandra.yaml: Hyades runs requests on one thread per core whatever it says, as no
    /// request thread waits for replicas (deferred reads, write callbacks).
    public var nativeTransportMaxThreads = 128
    /// Requests in flight on the whole node (`native_transport_max_concurrent_requests`).
    public var nativeTransportMaxConcurrentRequests = 8192
    /// Frame bytes of requests in flight on the node / from one client IP; over either
    /// budget a request is answered ERROR Overloaded.
    public var nativeTransportMaxConcurrentRequestsInBytes = 256 << 20
    public var nativeTransportMaxConcurrentRequestsInBytesPerIP = 64 << 20
    public var endpointSnitch = "SimpleSnitch"
    public var dataCenter = "datacenter1"
    public var rack = "rack1"
    /// "AllowAllAuthenticator" (no login) or "PasswordAuthenticator" (SASL PLAIN against
    /// the roles in `<data>/auth/roles.txt`).
    public var authenticator = "AllowAllAuthenticator"
    /// A multi-partition batch larger than this gets a client warning; larger than the fail
    /// threshold it is refused (`batch_size_warn_threshold`, `batch_size_fail_threshold`).
    public var batchSizeWarnThresholdBytes = 5 << 10
    public var batchSizeFailThresholdBytes = 50 << 10
    /// An UNLOGGED batch over more partitions than this gets a client warning.
    public var unloggedBatchAcrossPartitionsWarnThreshold = 10
    /// Tombstones one read may walk past before the client is warned / the read fails.
    public var tombstoneWarnThreshold = 1000
    public var tombstoneFailureThreshold = 100_000
    /// Cluster membership (issue 11). `seed_provider`'s seeds ("host" or "host:port"),
    /// contacted first by gossip; empty: this node's own listen address.
    public var seeds: [String] = []
    /// Address other nodes reach this one at (`broadcast_address`; default listen_address).
    public var broadcastAddress: String?
    /// Address clients are told to use (`broadcast_rpc_address`; default rpc_address).
    public var broadcastRPCAddress: String?
    /// Phi at which the failure detector convicts a peer.
    public var phiConvictThreshold = 8.0
    /// New nodes choose tokens that balance ownership at this replication factor.
    public var allocateTokensForLocalReplicationFactor: Int? = 3
    /// Coordinator timeouts (`write_request_timeout`, `read_request_timeout`,
    /// `range_request_timeout`, `request_timeout`).
    public var writeRequestTimeoutMs = 2000
    public var readRequestTimeoutMs = 5000
    public var rangeRequestTimeoutMs = 10_000
    public var requestTimeoutMs = 10_000
    /// Hinted handoff: on, how long a replica may be down and still get hints, and how many
    /// bytes of hints are kept per replica.
    public var hintedHandoffEnabled = true
    public var maxHintWindowMs = 3 * 3_600_000
    public var maxHintsSizePerHostBytes = 0
    /// Warnings collected while loading (unknown keys), for the caller to log.
    public var warnings: [String] = []

    public init() {}

    /// 1/16 of physical memory, between 64 MiB and 2 GiB. Cassandra gives memtables 1/4 of
    /// its heap; a fixed 64 MiB filled in about a second under 50k inserts/s, so flushes
    /// ran back to back and writers waited at the bound whenever the CPU was busy. The
    /// floor keeps small machines at the old size, the ceiling bounds commit log replay.
    public static func defaultMemtableHeapSpace(physicalMemoryBytes: UInt64) -> Int {
        let sixteenth = physicalMemoryBytes / 16
        return Int(min(max(sixteenth, 64 << 20), 2 << 30))
    }

    /// The data directory (first of `data_file_directories`).
    public var dataDirectory: String { dataFileDirectories.first ?? "./data" }

    /// The node-wide in-flight budgets for the CQL listener.
    public var inFlightLimits: InFlightLimitSettings {
        InFlightLimitSettings(maxRequests: nativeTransportMaxConcurrentRequests,
                              maxBytes: nativeTransportMaxConcurrentRequestsInBytes,
                              maxBytesPerIP: nativeTransportMaxConcurrentRequestsInBytesPerIP)
    }

    public var commitLogSync: CommitLogSync {
        switch commitlogSync {
        case "batch": return .batch
        case "group": return .group(windowMs: commitlogSyncGroupWindowMs)
        default: return .periodic(periodMs: commitlogSyncPeriodMs)
        }
    }

    public static func load(path: String) throws -> ServerConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ServerConfigError("cannot read configuration file \(path): \(error.localizedDescription)")
        }
        var config = try parse(yaml: text, source: path)
        try config.applySnitch(configurationDirectory: (path as NSString).deletingLastPathComponent)
        return config
    }

    /// `endpoint_snitch`: SimpleSnitch reports `dc` / `rack` as configured (datacenter1 /
    /// rack1); GossipingPropertyFileSnitch takes them from `cassandra-rackdc.properties`
    /// beside the configuration file (`dc=`, `rack=`, as Cassandra's), and the node does not
    /// start without it. Other snitches are refused by name.
    public mutating func applySnitch(configurationDirectory: String) throws {
        let name = endpointSnitch.hasPrefix("org.apache.cassandra.locator.")
            ? String(endpointSnitch.dropFirst("org.apache.cassandra.locator.".count)) : endpointSnitch
        switch name {
        case "SimpleSnitch":
            endpointSnitch = name
        case "GossipingPropertyFileSnitch":
            endpointSnitch = name
            let dir = configurationDirectory.isEmpty ? "." : configurationDirectory
            let path = dir + "/" + GossipingPropertyFileSnitch.propertiesFileName
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ServerConfigError("endpoint_snitch GossipingPropertyFileSnitch needs \(path): \(error.localizedDescription)")
            }
            do {
                let snitch = try GossipingPropertyFileSnitch(rackdcProperties: text)
                dataCenter = snitch.localLocation.dataCenter
                rack = snitch.localLocation.rack
            } catch {
                throw ServerConfigError("\(path): \(error)")
            }
        default:
            throw ServerConfigError("endpoint_snitch \(endpointSnitch) is not supported (SimpleSnitch or GossipingPropertyFileSnitch)")
        }
    }

    public static func parse(yaml: String, source: String = "configuration") throws -> ServerConfig {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: yaml) } catch {
            throw ServerConfigError("\(source): invalid YAML: \(error)")
        }
        var c = ServerConfig()
        guard let loaded else { return c }
        guard let map = loaded as? [String: Any] else { throw ServerConfigError("\(source): expected a mapping of settings at the top level") }
        for key in map.keys.sorted() {
            guard let raw = map[key] else { continue }
            if raw is NSNull { continue }
            let v = Value(key: key, raw: raw, source: source)
            switch key {
            case "cluster_name": c.clusterName = try v.string()
            case "listen_address": c.listenAddress = try v.string()
            case "rpc_address", "native_transport_address": c.rpcAddress = try v.string()
            case "native_transport_port": c.nativeTransportPort = try v.port()
            case "storage_port": c.storagePort = try v.port()
            case "streaming_max_session_size", "streaming_max_session_size_in_mb":
                c.streamingMaxSessionSizeBytes = UInt64(try v.bytes(defaultUnit: 1 << 20, min: 1 << 20))
            case "streaming_import_extended_verify":
                guard let b = raw as? Bool else { throw ServerConfigError("\(source): streaming_import_extended_verify must be true or false") }
                c.streamingImportExtendedVerify = b
            case "disk_failure_policy":
                let name = try v.string()
                guard let p = DiskFailurePolicy(rawValue: name) else {
                    throw ServerConfigError("\(source): disk_failure_policy must be one of stop, die, best_effort, ignore (got '\(name)')")
                }
                c.diskFailurePolicy = p
            case "num_tokens": c.numTokens = try v.int(min: 1, max: 1536)
            case "data_file_directories":
                c.dataFileDirectories = try v.stringList()
                if c.dataFileDirectories.isEmpty { throw ServerConfigError("\(source): data_file_directories must list at least one directory") }
            case "commitlog_directory": c.commitlogDirectory = try v.string()
            case "commitlog_sync":
                let s = try v.string()
                guard ["periodic", "batch", "group"].contains(s) else {
                    throw ServerConfigError("\(source): commitlog_sync must be periodic, batch or group, not '\(s)'")
                }
                c.commitlogSync = s
            case "commitlog_sync_period", "commitlog_sync_period_in_ms": c.commitlogSyncPeriodMs = try v.milliseconds(min: 1)
            case "commitlog_sync_group_window", "commitlog_sync_group_window_in_ms": c.commitlogSyncGroupWindowMs = try v.milliseconds(min: 1)
            case "commitlog_segment_size", "commitlog_segment_size_in_mb":
                c.commitlogSegmentSizeBytes = try v.bytes(defaultUnit: key.hasSuffix("_in_mb") ? 1 << 20 : 1 << 20, min: 64 << 10)
            case "memtable_heap_space", "memtable_heap_space_in_mb":
                c.memtableHeapSpaceBytes = try v.bytes(defaultUnit: 1 << 20, min: 1 << 10)
            case "native_transport_max_frame_size", "native_transport_max_frame_size_in_mb":
                c.nativeTransportMaxFrameSizeBytes = try v.bytes(defaultUnit: 1 << 20, min: 1 << 10)
            case "native_transport_max_threads": c.nativeTransportMaxThreads = try v.int(min: 1, max: 4096)
            case "native_transport_max_requests_per_connection":
                c.nativeTransportMaxInFlightRequests = try v.int(min: 1, max: 1 << 20)
            case "native_transport_max_concurrent_requests":
                c.nativeTransportMaxConcurrentRequests = try v.int(min: 1, max: 1 << 24)
            case "native_transport_max_concurrent_requests_in_bytes":
                c.nativeTransportMaxConcurrentRequestsInBytes = try v.bytes(defaultUnit: 1, min: 1 << 10)
            case "native_transport_max_concurrent_requests_in_bytes_per_ip":
                c.nativeTransportMaxConcurrentRequestsInBytesPerIP = try v.bytes(defaultUnit: 1, min: 1 << 10)
            case "endpoint_snitch": c.endpointSnitch = try v.string()
            case "dc", "data_center": c.dataCenter = try v.string()
            case "rack": c.rack = try v.string()
            case "authenticator": c.authenticator = try v.authenticator()
            case "batch_size_warn_threshold", "batch_size_warn_threshold_in_kb":
                c.batchSizeWarnThresholdBytes = try v.bytes(defaultUnit: 1 << 10, min: 1)
            case "batch_size_fail_threshold", "batch_size_fail_threshold_in_kb":
                c.batchSizeFailThresholdBytes = try v.bytes(defaultUnit: 1 << 10, min: 1)
            case "unlogged_batch_across_partitions_warn_threshold":
                c.unloggedBatchAcrossPartitionsWarnThreshold = try v.int(min: 0)
            case "tombstone_warn_threshold": c.tombstoneWarnThreshold = try v.int(min: 1)
            case "tombstone_failure_threshold": c.tombstoneFailureThreshold = try v.int(min: 1)
            case "seed_provider": c.seeds = try v.seeds()
            case "broadcast_address": c.broadcastAddress = try v.string()
            case "broadcast_rpc_address": c.broadcastRPCAddress = try v.string()
            case "phi_convict_threshold": c.phiConvictThreshold = try v.double(min: 1, max: 64)
            case "allocate_tokens_for_local_replication_factor":
                c.allocateTokensForLocalReplicationFactor = try v.int(min: 1, max: 16)
            case "write_request_timeout", "write_request_timeout_in_ms": c.writeRequestTimeoutMs = try v.milliseconds(min: 1)
            case "read_request_timeout", "read_request_timeout_in_ms": c.readRequestTimeoutMs = try v.milliseconds(min: 1)
            case "range_request_timeout", "range_request_timeout_in_ms": c.rangeRequestTimeoutMs = try v.milliseconds(min: 1)
            case "request_timeout", "request_timeout_in_ms": c.requestTimeoutMs = try v.milliseconds(min: 1)
            case "hinted_handoff_enabled": c.hintedHandoffEnabled = try v.bool()
            case "max_hint_window", "max_hint_window_in_ms": c.maxHintWindowMs = try v.milliseconds(min: 0)
            case "max_hints_size_per_host": c.maxHintsSizePerHostBytes = try v.bytes(defaultUnit: 1 << 20, min: 0)
            default:
                c.warnings.append("\(source): unknown setting '\(key)' ignored")
            }
        }
        return c
    }

    /// One value under a key, converted with errors that name the key.
    struct Value {
        var key: String
        var raw: Any
        var source: String

        func fail(_ expected: String) -> ServerConfigError {
            ServerConfigError("\(source): \(key) must be \(expected), got '\(raw)'")
        }

        func string() throws -> String {
            if let s = raw as? String { return s }
            if raw is Int || raw is Double || raw is Bool { return "\(raw)" }
            throw fail("a string")
        }

        func int(min: Int, max: Int = Int.max) throws -> Int {
            let n: Int
            if let i = raw as? Int { n = i } else if let s = raw as? String, let i = Int(s) { n = i } else { throw fail("an integer") }
            guard n >= min, n <= max else { throw fail("an integer in \(min)...\(max)") }
            return n
        }

        /// Cassandra's short or fully qualified class name, or `{class_name: ...}` (5.0 style).
        func authenticator() throws -> String {
            var name: String?
            if let s = raw as? String { name = s }
            else if let m = raw as? [String: Any], let s = m["class_name"] as? String { name = s }
            guard let name else { throw fail("AllowAllAuthenticator or PasswordAuthenticator") }
            let short = name.hasPrefix("org.apache.cassandra.auth.") ? String(name.dropFirst("org.apache.cassandra.auth.".count)) : name
            guard ["AllowAllAuthenticator", "PasswordAuthenticator"].contains(short) else {
                throw fail("AllowAllAuthenticator or PasswordAuthenticator")
            }
            return short
        }

        func port() throws -> Int { try int(min: 0, max: 65535) }

        func bool() throws -> Bool {
            if let b = raw as? Bool { return b }
            if let s = (raw as? String)?.lowercased(), ["true", "false"].contains(s) { return s == "true" }
            throw fail("true or false")
        }

        func double(min: Double, max: Double) throws -> Double {
            let d: Double
            if let x = raw as? Double { d = x } else if let i = raw as? Int { d = Double(i) }
            else if let s = raw as? String, let x = Double(s) { d = x } else { throw fail("a number") }
            guard d >= min, d <= max else { throw fail("a number in \(min)...\(max)") }
            return d
        }

        /// cassandra.yaml's seed_provider: a list of providers, each with a class_name and
        /// parameters holding `seeds: "a,b:7000"`; SimpleSeedProvider is the one there is.
        func seeds() throws -> [String] {
            guard let providers = raw as? [Any], let first = providers.first as? [String: Any] else {
                throw fail("a list with one seed provider: - class_name: ... parameters: - seeds: \"host1,host2\"")
            }
            let cls = (first["class_name"] as? String) ?? "org.apache.cassandra.locator.SimpleSeedProvider"
            guard cls.hasSuffix("SimpleSeedProvider") else {
                throw ServerConfigError("\(source): seed_provider class \(cls) is not supported (SimpleSeedProvider is)")
            }
            var text = ""
            if let params = first["parameters"] as? [Any] {
                for case let p as [String: Any] in params { if let s = p["seeds"] { text += "\(s)," } }
            } else if let params = first["parameters"] as? [String: Any], let s = params["seeds"] {
                text = "\(s)"
            }
            let seeds = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !seeds.isEmpty else { throw fail("a seed provider with at least one seed") }
            return seeds
        }

        func stringList() throws -> [String] {
            if let s = raw as? String { return [s] }
            guard let a = raw as? [Any] else { throw fail("a list of strings") }
            return try a.map { e in
                guard let s = e as? String else { throw fail("a list of strings") }
                return s
            }
        }

        /// "10000ms", "10s", "1m" or a plain number of milliseconds.
        func milliseconds(min: Int) throws -> Int {
            if let i = raw as? Int { guard i >= min else { throw fail("at least \(min)ms") }; return i }
            guard let s = (raw as? String)?.trimmingCharacters(in: .whitespaces).lowercased() else { throw fail("a duration such as 10000ms") }
            let units: [(String, Int)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
            for (suffix, scale) in units where s.hasSuffix(suffix) {
                if let n = Int(s.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n >= 0 {
                    guard n * scale >= min else { throw fail("at least \(min)ms") }
                    return n * scale
                }
            }
            if let n = Int(s), n >= min { return n }
            throw fail("a duration such as 10000ms")
        }

        /// "16MiB", "64KiB", "1GiB", "512B" or a plain number in `defaultUnit`.
        func bytes(defaultUnit: Int, min: Int) throws -> Int {
            var result: Int?
            if let i = raw as? Int { result = i * defaultUnit }
            else if let s = (raw as? String)?.trimmingCharacters(in: .whitespaces) {
                let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1)]
                for (suffix, scale) in units where s.hasSuffix(suffix) {
                    if let n = Int(s.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), n >= 0 { result = n * scale }
                    break
                }
                if result == nil, let n = Int(s) { result = n * defaultUnit }
            }
            guard let r = result else { throw fail("a size such as 16MiB") }
            guard r >= min else { throw fail("at least \(min) bytes") }
            return r
        }
    }
}
