// swift-tools-version: 6.1
// Module map and one-way import rules: ../shared/ARCHITECTURE.md (successor: docs/architecture.md).
import PackageDescription

let package = Package(
    name: "Hyades",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "hyades", targets: ["hyades"]),
        .library(name: "HyadesCore", targets: ["HyadesCore"]),
        .library(name: "HyadesStorage", targets: ["HyadesStorage"]),
        .library(name: "HyadesClient", targets: ["HyadesClient"]),
        // For Benchmarks/ (server-bench drives a node in process).
        .library(name: "HyadesProtocol", targets: ["HyadesProtocol"]),
        .library(name: "HyadesServer", targets: ["HyadesServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // C libraries from Debian: liblz4-dev, libsnappy-dev, libisal-dev (hardware CRC32C).
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSnappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CISAL", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),
        // libxcrypt (libcrypt-dev): bcrypt for PasswordAuthenticator's salted hashes.
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // zlib1g-dev: the loader reads .csv.gz (gzip) input.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // The vocabulary. No I/O, imports nothing of ours.
        .target(name: "HyadesCore", dependencies: ["CISAL"]),
        // One LSM engine per table. Imports Core only.
        .target(name: "HyadesStorage", dependencies: [
            "HyadesCore", "CLZ4", "CSnappy",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Lexer, parser, analyzer. Pure: Core only.
        .target(name: "HyadesCQL", dependencies: ["HyadesCore"]),
        // Native protocol v4 frames on ByteBuffer. Core + NIOCore, never CQL.
        .target(name: "HyadesProtocol", dependencies: [
            "HyadesCore", "CLZ4", "CSnappy",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // Ring, gossip, failure detection as state machines. Core only.
        .target(name: "HyadesCluster", dependencies: ["HyadesCore"]),
        // Coordinator, query processor, schema. Joins Core, Storage, CQL, Cluster.
        .target(name: "HyadesService", dependencies: [
            "HyadesCore", "HyadesStorage", "HyadesCQL", "HyadesCluster",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The edges: listeners, config, lifecycle.
        .target(name: "HyadesServer", dependencies: [
            "HyadesService", "HyadesProtocol", "HyadesCore", "HyadesStorage", "HyadesCQL", "HyadesCluster", "CCrypt",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // The Swift driver. Core + Protocol + NIOPosix, never Storage or Service.
        .target(name: "HyadesClient", dependencies: [
            "HyadesCore", "HyadesProtocol",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // `hyades stress`: cassandra-stress-like load through HyadesClient. Core + Protocol + Client.
        .target(name: "HyadesStress", dependencies: [
            "HyadesCore", "HyadesProtocol", "HyadesClient",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .target(name: "HyadesCompute", dependencies: ["HyadesCore", "HyadesClient"]),
        // The loader places SSTables with HyadesCluster (pure, Core only): the nodes' own
        // SimpleStrategy / rack-aware NetworkTopologyStrategy placement.
        .target(name: "HyadesLoader", dependencies: ["HyadesCore", "HyadesStorage", "HyadesClient", "HyadesProtocol", "HyadesCluster", "CZlib"]),
        // The shell also uses HyadesCQL (pure, Core only) for its lexer and statement
        // splitter, so it cuts input into statements exactly as the server will parse them.
        .target(name: "HyadesShell", dependencies: ["HyadesCore", "HyadesCQL", "HyadesClient"]),
        .executableTarget(name: "hyades", dependencies: [
            "HyadesCore", "HyadesStorage", "HyadesServer", "HyadesShell", "HyadesLoader", "HyadesStress", "HyadesCQL",
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            // `hyades sstable import` streams through SSTableStreamer.
            "HyadesClient",
            // `hyades nodetool` computes placement as the node does.
            "HyadesCluster",
            // `hyades nodetool` management requests (docs/formats/admin.md).
            "HyadesProtocol",
        ]),

        // Test helpers shared by the test targets (a real `hyades server` process).
        .target(name: "HyadesTestSupport", path: "Tests/HyadesTestSupport"),
        .testTarget(name: "HyadesCoreTests", dependencies: ["HyadesCore"]),
        .testTarget(name: "HyadesClusterTests", dependencies: ["HyadesCluster", "HyadesCore"], exclude: ["testdata"]),
        .testTarget(name: "HyadesCQLTests", dependencies: ["HyadesCQL", "HyadesCore"]),
        .testTarget(name: "HyadesServiceTests", dependencies: ["HyadesService", "HyadesCore", "HyadesStorage", "HyadesCQL", "HyadesCluster"]),
        // Deterministic simulation: five in-process nodes (real engines, real coordinators) over a
        // seeded, simulated network with partitions, crashes and clock skew.
        .testTarget(name: "HyadesSimulationTests", dependencies: [
            "HyadesService", "HyadesCluster", "HyadesStorage", "HyadesCore", .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "HyadesProtocolTests", dependencies: [
            "HyadesProtocol", "HyadesCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "HyadesServerTests", dependencies: [
            "HyadesServer", "HyadesService", "HyadesCluster", "HyadesProtocol", "HyadesCore", "HyadesStorage", "hyades", "HyadesClient", "HyadesTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "HyadesStorageTests", dependencies: ["HyadesCore", "HyadesStorage", .product(name: "Logging", package: "swift-log")],
                    resources: [.copy("testdata")]),
        .testTarget(name: "HyadesLoaderTests", dependencies: ["HyadesLoader", "HyadesCore", "HyadesStorage", "HyadesClient", "HyadesCluster", "HyadesTestSupport", "hyades"]),
        // Unit tests of the shell's parts, and end-to-end runs of `hyades shell` in tmux
        // against a real `hyades server`.
        .testTarget(name: "HyadesShellTests", dependencies: ["HyadesShell", "HyadesCore", "HyadesTestSupport", "hyades"]),
        // Runs the real `hyades server` binary and talks to it through HyadesClient.
        .testTarget(name: "HyadesClientTests", dependencies: [
            "HyadesTestSupport",
            "HyadesClient", "HyadesProtocol", "HyadesCore", "hyades",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // Runs the built `hyades` executable as an operator would.
        .testTarget(name: "HyadesToolTests", dependencies: ["HyadesCore", "HyadesStorage", "HyadesTestSupport", "hyades"]),
        // Operator tooling: tools/cluster, daemons, the DR3-like generator.
        .testTarget(name: "HyadesOpsTests", dependencies: ["HyadesCore", "HyadesLoader", "HyadesTestSupport", "hyades"]),
    ],
    swiftLanguageModes: [.v6]
)
