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
        .library(name: "TitanModel", targets: ["TitanModel"]),
        .library(name: "TitanStore", targets: ["TitanStore"]),
        .library(name: "TitanControlPlane", targets: ["TitanControlPlane"]),
        .executable(name: "titan-api", targets: ["TitanAPI"]),
        .executable(name: "titanctl", targets: ["titanctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The API server. Its default traits would pull in swift-configuration, which we do not use.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Already in the graph through Hummingbird; named for the types our routes use directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // titanctl reads job specs written in YAML, with line numbers for mistakes.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
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
        // The domain every service shares: job spec and validation, task states, restart policy.
        .target(
            name: "TitanModel",
            swiftSettings: strictSettings
        ),
        // Jobs, tasks, hosts, events and the leader lease in SQLite (GRDB), plus an in-memory twin.
        .target(
            name: "TitanStore",
            dependencies: [
                "TitanModel",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for binding the thousands of task rows a job insert writes.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // Drives the store from a separate process: the crash test kills it mid-write, and it
        // measures the store's hot operations (`swift run -c release store-workload measure`).
        .executableTarget(
            name: "store-workload",
            dependencies: ["TitanModel", "TitanStore"],
            path: "Sources/StoreWorkload",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TitanModelTests",
            dependencies: ["TitanModel"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TitanStoreTests",
            // The crash test runs `store-workload` as a child process and kills it.
            dependencies: ["TitanModel", "TitanStore", "store-workload"],
            swiftSettings: strictSettings
        ),
        // The control plane behind titan-api: the HTTP API, agents, scheduling, reconciliation and
        // the simulated fleet, as a library so tests run the real server in-process.
        .target(
            name: "TitanControlPlane",
            dependencies: [
                "FenzoCore",
                "TitanModel",
                "TitanStore",
                "CurlHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("HTTP/openapi.json")],
            swiftSettings: strictSettings
        ),
        // `titan-api`: options, logging and signals around TitanControlPlane.
        .executableTarget(
            name: "TitanAPI",
            dependencies: [
                "TitanControlPlane",
                "TitanStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Runs the real server on free ports with real SQLite files, driving agents over HTTP.
        // What the API's and titanctl's tests share: a JSON Schema check of answers against
        // the OpenAPI document.
        .target(
            name: "TitanTestSupport",
            dependencies: ["TitanModel"],
            path: "Tests/TitanTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TitanAPITests",
            dependencies: [
                "TitanTestSupport",
                "TitanControlPlane",
                "TitanModel",
                "TitanStore",
                "FenzoCore",
                "CurlHTTP",
                "TitanAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // titanctl's logic without the command line: where the API is, requests and their
        // errors, spec files (JSON or YAML, with line numbers), tables, and the wait rule.
        .target(
            name: "TitanCLI",
            dependencies: [
                "TitanModel",
                "CurlHTTP",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strictSettings
        ),
        // `titanctl`: the CLI teams deploy with.
        .executableTarget(
            name: "titanctl",
            dependencies: [
                "TitanCLI",
                "TitanModel",
                "CurlHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Runs the real titanctl binary against a real titan-api child process; both are
        // dependencies so the build puts them beside the tests.
        .testTarget(
            name: "TitanctlTests",
            dependencies: [
                "TitanTestSupport",
                "TitanCLI",
                "TitanModel",
                "TitanStore",
                "CurlHTTP",
                "titanctl",
                "TitanAPI",
            ],
            // The agent that serves task logs in the tests; run with python3, not compiled.
            exclude: ["Agent"],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
