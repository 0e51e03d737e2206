// swift-tools-version: 6.1
import PackageDescription

/// Measurements for the tiered queue and the scheduling service (issue 5): queue overhead
/// in a 10,000-host / 100,000-task iteration, queue operation costs, the service loop under
/// 1,000 concurrent submitters, and per-tier waits on a mixed batch+service workload.
/// Its own package so it stays out of the main build; meant to move into `Benchmarks/`.
let package = Package(
    name: "QueueBench",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Titan", path: "..")],
    targets: [
        .executableTarget(
            name: "QueueBench",
            dependencies: [.product(name: "FenzoCore", package: "Titan")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
            ]
        )
    ],
    swiftLanguageModes: [.v6]
)
