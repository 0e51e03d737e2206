// swift-tools-version: 6.1
import PackageDescription

/// Settings every target shares: Swift 6 mode (strict concurrency), explicit `any`, and imports
/// that are visible only where they are written.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Titan",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FenzoCore", targets: ["FenzoCore"]),
        .executable(name: "fenzo-example", targets: ["FenzoExample"]),
        .library(name: "CurlHTTP", targets: ["CurlHTTP"]),
        .library(name: "TitanDocker", targets: ["TitanDocker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1")
    ],
    targets: [
        // The scheduling library: decisions only, no I/O, no clock, no dependencies.
        .target(
            name: "FenzoCore",
            swiftSettings: strictSettings,
            // Rounding and square roots come from libm, which nothing else links here.
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "FenzoExample",
            dependencies: ["FenzoCore"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FenzoCoreTests",
            dependencies: [
                "FenzoCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strictSettings
        ),
        // libcurl, through a module map and typed wrappers for its variadic calls.
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // A small async HTTP client over libcurl: TCP and unix sockets, streaming bodies, retries.
        .target(
            name: "CurlHTTP",
            dependencies: ["CCurl"],
            swiftSettings: strictSettings
        ),
        // The Docker Engine API over its unix socket, for the agent.
        .target(
            name: "TitanDocker",
            dependencies: ["CurlHTTP"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CurlHTTPTests",
            dependencies: ["CurlHTTP"],
            // The local HTTP server the tests start; run with python3, not compiled.
            exclude: ["Server"],
            swiftSettings: strictSettings
        ),
        // Needs a real Docker engine (scripts/test starts one); skipped without one.
        .testTarget(
            name: "TitanDockerTests",
            dependencies: ["TitanDocker", "CurlHTTP"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
