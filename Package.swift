// swift-tools-version: 6.1
// StreamHub: a real-time market-data hub on libwebsockets (see docs/architecture.md).
import Foundation
import PackageDescription

/// Release builds of the hot-path modules skip dynamic exclusivity checks (about 3 % of the
/// fan-out profile); debug builds, which run the tests, keep them.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "StreamHub",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "streamhub", targets: ["streamhub"]),
        .executable(name: "venue-sim", targets: ["venue-sim"]),
        .executable(name: "streamhub-bench", targets: ["streamhub-bench"]),
        // The Swift client for bots and backends (docs/clients/swift.md).
        .library(name: "StreamHubClient", targets: ["StreamHubClient"]),
        .executable(name: "arb-bot", targets: ["arb-bot"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "4.0.0"..<"6.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
    ],
    targets: [
        // C libraries from Debian packages, imported through a module map and a tiny shim header.
        .systemLibrary(name: "CWebSockets", pkgConfig: "libwebsockets"),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis"),
        // simdjson (C++) behind a small generic C API, so venue decoders stay in Swift.
        .target(
            name: "CSimdJSON",
            cxxSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("simdjson")]
        ),

        // Swift view of CSimdJSON: a reusable parser and typed, non-allocating element access.
        .target(name: "SimdJSON", dependencies: ["CSimdJSON"]),

        // Pure core: model, pipeline stages, channels, views, fan-out rings, the venue contract
        // (`Venue`, `FeedAdapter`), recording formats, the injected clock. No I/O.
        .target(
            name: "HubCore",
            dependencies: [
                "SimdJSON",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: hotPath
        ),
        // One folder per venue: wire codecs, adapter, settings, the venue value and its simulator
        // (plus `venue-sim` commands); `VenueRegistry.all` lists them. The hub never imports this:
        // the executables compose it.
        .target(
            name: "Venues",
            dependencies: [
                "HubCore", "SimdJSON", "WebSocketLoop", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"), .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: hotPath),
        // Control-plane persistence: SQLite through GRDB (one node) or PostgreSQL through
        // postgres-nio (a cluster), one set of versioned migrations with rollback.
        .target(
            name: "HubStore",
            dependencies: [
                "HubCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Latest state and history beyond the rings: in memory by default, Redis (hiredis) when configured.
        .target(
            name: "HubCache",
            dependencies: ["HubCore", "CHiredis", .product(name: "DequeModule", package: "swift-collections")]
        ),
        // Identity: JWT (jwt-kit), passwords (PBKDF2), API keys, access control.
        .target(
            name: "HubAuth",
            dependencies: [
                "HubCore",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // The libwebsockets event loop as Swift types: contexts, server and client connections, timers.
        .target(name: "WebSocketLoop", dependencies: ["CWebSockets"], swiftSettings: hotPath),
        // The hub: sessions, protocol, HTTP, feed connections on the loop thread. Venue-agnostic:
        // it gets the venues (and any simulator endpoints) from the executable.
        .target(
            name: "HubServer",
            dependencies: [
                "HubCore", "HubStore", "HubCache", "HubAuth", "WebSocketLoop",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),

        .executableTarget(
            name: "streamhub",
            dependencies: [
                "HubServer", "HubStore", "HubCore", "HubAuth", "Venues", "WebSocketLoop", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The Swift client: on the same libwebsockets loop the hub uses, nothing else.
        .target(name: "StreamHubClient", dependencies: ["WebSocketLoop"]),
        // An example bot on the Swift client: follows arb.* and prints opportunities.
        .executableTarget(name: "arb-bot", dependencies: ["StreamHubClient"], path: "Examples/arb-bot"),
        .executableTarget(
            name: "venue-sim",
            dependencies: ["Venues", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "streamhub-bench",
            dependencies: [
                "HubServer", "HubStore", "HubCore", "Venues", "WebSocketLoop", "Workloads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),

        // Workloads shared by streamhub-bench and the micro-benchmarks (ticks, flags, views).
        .target(name: "Workloads", dependencies: ["HubCore", "Venues"], path: "Benchmarks/Workloads"),

        // Test support: a real WebSocket client (libwebsockets) with blocking, time-bounded waits.
        .target(name: "HubTesting", dependencies: ["WebSocketLoop", "HubServer", "HubCache", "HubAuth", "Venues"], path: "Tests/HubTesting"),
        // Test data carried by the repository (upstream licences beside each folder) and its locator.
        .target(name: "Fixtures", path: "Tests/Fixtures", exclude: ["unleash", "wycheproof", "captures", "store"]),
        .testTarget(name: "SimdJSONTests", dependencies: ["SimdJSON"]),
        .testTarget(name: "HubCoreTests", dependencies: ["HubCore", "Fixtures"]),
        .testTarget(name: "HubStoreTests", dependencies: ["HubStore", "HubCore", "Fixtures"]),
        .testTarget(name: "HubCacheTests", dependencies: ["HubCache", "HubCore", "HubTesting"]),
        .testTarget(
            name: "HubAuthTests",
            dependencies: [
                "HubAuth", "HubCore", "Fixtures", .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "VenuesTests", dependencies: ["Venues", "HubTesting", "Fixtures"]),
        .testTarget(name: "WebSocketLoopTests", dependencies: ["WebSocketLoop", "HubTesting"]),
        .testTarget(name: "HubServerTests", dependencies: ["HubServer", "Venues", "HubTesting", "Fixtures"], exclude: ["Fixtures"]),
        // The access oracle: property-based (swift-property-based, Swift Testing) against a live hub.
        .testTarget(
            name: "AccessOracleTests",
            dependencies: ["HubCore", "HubServer", "HubTesting", "Venues", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "StreamHubClientTests", dependencies: ["StreamHubClient", "HubTesting", "HubServer", "HubCore", "HubCache", "Venues"]),
        .testTarget(name: "StreamhubCLITests", dependencies: ["HubTesting", "HubServer", "HubCore", "Venues"]),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)

// libFuzzer targets for the hub's untrusted inputs (Fuzz/, docs/security.md#fuzzing), present
// only when `STREAMHUB_FUZZ` is set: `scripts/fuzz` builds them with
// `--sanitize=fuzzer --sanitize=address` (every module of this package instrumented); each is a
// libFuzzer binary with no `main` of its own, so ordinary builds leave them out.
let fuzzing = ProcessInfo.processInfo.environment["STREAMHUB_FUZZ"] != nil
if fuzzing {
    func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
        .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, path: "Fuzz/Sources/\(name)")
    }
    package.targets += [
        .target(name: "FuzzSupport", dependencies: ["HubCore", "HubServer"], path: "Fuzz/Sources/FuzzSupport"),
        fuzzTarget("FuzzClientCommands", ["HubCore", "HubServer"]),
        fuzzTarget("FuzzVenueFrames", ["HubCore", "Venues"]),
        fuzzTarget("FuzzConfig", ["HubServer", "Venues"]),
        fuzzTarget("FuzzTokens", ["HubAuth", "HubServer"]),
        fuzzTarget("FuzzRedisReplies", ["HubCache", "HubCore", "HubServer"]),
        fuzzTarget("FuzzRESTBodies", ["HubCore"]),
    ]
}

// Micro-benchmarks (Benchmarks/HubBenchmarks; `scripts/bench --micro`, `--store`, `--compare`) on
// ordo-one/benchmark; heap allocations are counted through its malloc interposer, linked into the
// benchmark executable only. Left out of fuzz builds: its build-tool plugin does not link under
// -sanitize=fuzzer (libFuzzer brings a `main` of its own), which slowed every fuzz build.
if !fuzzing {
    package.dependencies.append(.package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        .executableTarget(
            name: "HubBenchmarks",
            dependencies: ["HubCore", "HubServer", "Venues", "Workloads", "Fixtures", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/HubBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}
