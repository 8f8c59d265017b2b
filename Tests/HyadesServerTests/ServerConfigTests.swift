import Foundation
import HyadesServer
import Testing

@Suite struct ServerConfigTests {
    @Test func defaultsAreOneLocalNode() throws {
        let c = try ServerConfig.parse(yaml: "")
        #expect(c.clusterName == "Test Cluster")
        #expect(c.rpcAddress == "127.0.0.1")
        #expect(c.nativeTransportPort == 9042)
        #expect(c.numTokens == 16)
        #expect(c.dataDirectory == "./data")
        #expect(c.commitlogDirectory == "./data/commitlog")
        #expect(c.commitLogSync == .periodic(periodMs: 10_000))
        #expect(c.nativeTransportMaxFrameSizeBytes == 16 << 20)
    }

    @Test func cassandraNamesUnitsAndLegacyNames() throws {
        let c = try ServerConfig.parse(yaml: """
            cluster_name: Gaia
            native_transport_port: 9142
            data_file_directories: [/var/lib/hyades]
            commitlog_sync: group
            commitlog_sync_group_window: 2ms
            commitlog_sync_period_in_ms: 500
            memtable_heap_space: 128MiB
            native_transport_max_frame_size: 32MiB
            commitlog_segment_size: 8MiB
            """)
        #expect(c.clusterName == "Gaia")
        #expect(c.nativeTransportPort == 9142)
        #expect(c.dataDirectory == "/var/lib/hyades")
        #expect(c.commitLogSync == .group(windowMs: 2))
        #expect(c.commitlogSyncPeriodMs == 500)
        #expect(c.memtableHeapSpaceBytes == 128 << 20)
        #expect(c.nativeTransportMaxFrameSizeBytes == 32 << 20)
        #expect(c.commitlogSegmentSizeBytes == 8 << 20)
        #expect(c.warnings.isEmpty)
    }

    @Test func clusterSettingsUnderCassandrasNames() throws {
        let c = try ServerConfig.parse(yaml: """
            seed_provider:
              - class_name: org.apache.cassandra.locator.SimpleSeedProvider
                parameters:
                  - seeds: "127.0.0.1:7000, 127.0.0.2"
            broadcast_address: 10.0.0.5
            phi_convict_threshold: 12
            allocate_tokens_for_local_replication_factor: 2
            write_request_timeout: 1500ms
            read_request_timeout_in_ms: 4000
            range_request_timeout: 20s
            hinted_handoff_enabled: false
            max_hint_window: 1h
            max_hints_size_per_host: 64MiB
            batch_size_warn_threshold_in_kb: 10
            batch_size_fail_threshold: 100KiB
            tombstone_warn_threshold: 50
            """)
        #expect(c.seeds == ["127.0.0.1:7000", "127.0.0.2"])
        #expect(c.broadcastAddress == "10.0.0.5")
        #expect(c.phiConvictThreshold == 12)
        #expect(c.allocateTokensForLocalReplicationFactor == 2)
        #expect(c.writeRequestTimeoutMs == 1500 && c.readRequestTimeoutMs == 4000 && c.rangeRequestTimeoutMs == 20_000)
        #expect(!c.hintedHandoffEnabled && c.maxHintWindowMs == 3_600_000 && c.maxHintsSizePerHostBytes == 64 << 20)
        #expect(c.batchSizeWarnThresholdBytes == 10 << 10 && c.batchSizeFailThresholdBytes == 100 << 10)
        #expect(c.tombstoneWarnThreshold == 50 && c.tombstoneFailureThreshold == 100_000)
        #expect(c.warnings.isEmpty)
        // A provider other than SimpleSeedProvider, or one without seeds, is refused by name.
        #expect(throws: ServerConfigError.self) {
            try ServerConfig.parse(yaml: "seed_provider:\n  - class_name: com.example.K8sSeeds\n")
        }
        #expect(throws: ServerConfigError.self) {
            try ServerConfig.parse(yaml: "seed_provider:\n  - class_name: SimpleSeedProvider\n    parameters:\n      - seeds: \"\"\n")
        }
    }

    @Test func gossipingPropertyFileSnitchReadsRackDCProperties() throws {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("hyades-snitch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "endpoint_snitch: org.apache.cassandra.locator.GossipingPropertyFileSnitch\n"
            .write(toFile: dir + "/hyades.yaml", atomically: true, encoding: .utf8)
        // Missing properties file: the node does not start, and says which file it wants.
        do {
            _ = try ServerConfig.load(path: dir + "/hyades.yaml")
            Issue.record("expected an error")
        } catch let e as ServerConfigError {
            #expect(e.message.contains(dir + "/cassandra-rackdc.properties"))
        }
        try "# comment\ndc = gaia-eu\nrack=r7\nprefer_local=true\n"
            .write(toFile: dir + "/cassandra-rackdc.properties", atomically: true, encoding: .utf8)
        let c = try ServerConfig.load(path: dir + "/hyades.yaml")
        #expect(c.endpointSnitch == "GossipingPropertyFileSnitch" && c.dataCenter == "gaia-eu" && c.rack == "r7")
        try "endpoint_snitch: Ec2Snitch\n".write(toFile: dir + "/hyades.yaml", atomically: true, encoding: .utf8)
        #expect(throws: ServerConfigError.self) { try ServerConfig.load(path: dir + "/hyades.yaml") }
        // The shipped properties file parses.
        let shipped = #filePath.replacingOccurrences(of: "Tests/HyadesServerTests/ServerConfigTests.swift",
                                                     with: "conf/cassandra-rackdc.properties")
        try FileManager.default.copyItem(atPath: shipped, toPath: dir + "/shipped.properties")
        var d = ServerConfig()
        d.endpointSnitch = "GossipingPropertyFileSnitch"
        try FileManager.default.removeItem(atPath: dir + "/cassandra-rackdc.properties")
        try FileManager.default.copyItem(atPath: shipped, toPath: dir + "/cassandra-rackdc.properties")
        try d.applySnitch(configurationDirectory: dir)
        #expect(d.dataCenter == "datacenter1" && d.rack == "rack1")
    }

    @Test func memtableSpaceDefaultsToASixteenthOfMemoryWithinBounds() throws {
        #expect(ServerConfig.defaultMemtableHeapSpace(physicalMemoryBytes: 16 << 30) == 1 << 30)
        #expect(ServerConfig.defaultMemtableHeapSpace(physicalMemoryBytes: 512 << 20) == 64 << 20)
        #expect(ServerConfig.defaultMemtableHeapSpace(physicalMemoryBytes: 256 << 30) == 2 << 30)
        // Without the setting the node follows this machine's memory; with it, the file wins.
        let unset = try ServerConfig.parse(yaml: "cluster_name: Gaia\n")
        #expect(unset.memtableHeapSpaceBytes == ServerConfig.defaultMemtableHeapSpace(
            physicalMemoryBytes: ProcessInfo.processInfo.physicalMemory))
        #expect(unset.memtableHeapSpaceBytes >= 64 << 20)
        #expect(try ServerConfig.parse(yaml: "memtable_heap_space: 1MiB\n").memtableHeapSpaceBytes == 1 << 20)
    }

    @Test func unknownKeysWarnAndBadValuesFail() throws {
        let c = try ServerConfig.parse(yaml: "cdc_enabled: true\n")
        #expect(c.warnings == ["configuration: unknown setting 'cdc_enabled' ignored"])
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "native_transport_port: 70000") }
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "commitlog_sync: sometimes") }
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "memtable_heap_space: lots") }
        #expect(throws: ServerConfigError.self) { try ServerConfig.parse(yaml: "- a\n- b") }
        do {
            _ = try ServerConfig.parse(yaml: "num_tokens: zero")
            Issue.record("expected an error")
        } catch let e as ServerConfigError {
            #expect(e.message.contains("num_tokens"))
        }
    }

    @Test func shippedConfigFileParsesWithoutWarnings() throws {
        let path = #filePath.replacingOccurrences(of: "Tests/HyadesServerTests/ServerConfigTests.swift", with: "conf/hyades.yaml")
        let c = try ServerConfig.load(path: path)
        #expect(c.warnings == [])
        // The defaults, but for the seed list: the shipped file names the default node
        // (127.0.0.1:7000) as Cassandra's does; unset, a node is its own only seed.
        #expect(c.seeds == ["127.0.0.1:7000"])
        #expect(c == { var d = ServerConfig(); d.warnings = []; d.seeds = ["127.0.0.1:7000"]; return d }())
    }
}
