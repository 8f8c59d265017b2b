// swift-tools-version: 6.1
// Benchmarks live in their own package so the main build never compiles the harness.
// `swift package --disable-sandbox benchmark` runs the package-benchmark suites (with
// malloc counts); `scripts/compare-rocksdb.sh` runs the engine against RocksDB's
// db_bench on the same workloads in the same run and prints the ratios.
import PackageDescription

let package = Package(
    name: "HyadesBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Hyades", path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "HyadesCore", package: "Hyades"),
                .product(name: "HyadesStorage", package: "Hyades"),
            ],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The db_bench-shaped workloads, printed as figures the comparison script reads.
        .executableTarget(
            name: "engine-compare",
            dependencies: [
                .product(name: "HyadesCore", package: "Hyades"),
                .product(name: "HyadesStorage", package: "Hyades"),
            ]
        ),
        // The node through its CQL port: prepared inserts / point reads with many requests in
        // flight, latency at fixed rates, paged token-range scans.
        .executableTarget(
            name: "server-bench",
            dependencies: [
                .product(name: "HyadesCore", package: "Hyades"),
                .product(name: "HyadesProtocol", package: "Hyades"),
                .product(name: "HyadesServer", package: "Hyades"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
