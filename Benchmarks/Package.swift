// swift-tools-version: 6.1
import PackageDescription

/// The root package's settings: Swift 6 mode (strict concurrency), explicit `any`, and
/// imports that are visible only where they are written.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Packing-strategy benchmarks and micro benchmarks for FenzoCore. A package of its own so
/// that benchmark-only dependencies stay out of the main build.
let package = Package(
    name: "TitanBenchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fenzo-bench", targets: ["FenzoBench"]),
        .executable(name: "autoscale-sim", targets: ["AutoscaleSim"]),
        .executable(name: "queue-bench", targets: ["QueueBench"]),
        .library(name: "FenzoBenchKit", targets: ["FenzoBenchKit"]),
    ],
    dependencies: [
        .package(name: "Titan", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Workloads, results, the generator, the validator, strategies and the replay.
        .target(
            name: "FenzoBenchKit",
            dependencies: [.product(name: "FenzoCore", package: "Titan")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "FenzoBench",
            dependencies: [
                "FenzoBenchKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FenzoBenchKitTests",
            dependencies: ["FenzoBenchKit", .product(name: "FenzoCore", package: "Titan")],
            swiftSettings: strictSettings
        ),
        // Replays churn and diurnal workloads with the autoscaler in the loop (Docs/autoscaling.md).
        .executableTarget(
            name: "AutoscaleSim",
            dependencies: [.product(name: "FenzoCore", package: "Titan")],
            swiftSettings: strictSettings
        ),
        // The tiered queue's overhead, operation costs, submitters and per-tier waits
        // (Docs/queue-and-service.md).
        .executableTarget(
            name: "QueueBench",
            dependencies: [.product(name: "FenzoCore", package: "Titan")],
            swiftSettings: strictSettings
        ),
        // Micro benchmarks: `swift package --package-path Benchmarks benchmark`.
        .executableTarget(
            name: "FenzoIteration",
            dependencies: [
                "FenzoBenchKit",
                .product(name: "FenzoCore", package: "Titan"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/FenzoIteration",
            swiftSettings: strictSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
