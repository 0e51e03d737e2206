// swift-tools-version: 6.1
import PackageDescription

/// The same settings as the root package's targets: Swift 6 mode, explicit `any`, and
/// imports visible only where they are written.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Replays a churn workload with the autoscaler in the loop. Standalone for now, so it
// builds apart from the main package; it is meant to become a target of Benchmarks/.
let package = Package(
    name: "AutoscaleSimulation",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Titan", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "autoscale-sim",
            dependencies: [.product(name: "FenzoCore", package: "Titan")],
            swiftSettings: strictSettings
        )
    ],
    swiftLanguageModes: [.v6]
)
