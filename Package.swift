// swift-tools-version: 6.0
import Foundation
import PackageDescription

/// llama.cpp is built by `scripts/bootstrap` into ~/.cache/inferlab and linked as `.deps/llama.cpp`.
/// The rpath makes `.build/*/inferlab` run without LD_LIBRARY_PATH.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let llamaLib = "\(packageRoot)/.deps/llama.cpp/lib"

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "inferlab",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "inferlab", targets: ["inferlab"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(name: "CLlama", path: "Sources/CLlama"),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .target(name: "InferLabCore", swiftSettings: strict),
        .target(
            name: "LlamaEngine",
            dependencies: [
                "CLlama", "InferLabCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            linkerSettings: [
                .unsafeFlags([
                    "-L\(llamaLib)", "-Xlinker", "-rpath", "-Xlinker", llamaLib, "-Xlinker", "--disable-new-dtags",
                ])
            ]
        ),
        .target(name: "SystemProbe", dependencies: ["CLinux", "InferLabCore"], swiftSettings: strict),
        .target(
            name: "Constraints",
            dependencies: [
                "CLinux", "SystemProbe",
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(name: "SystemSetup", dependencies: ["InferLabCore"], swiftSettings: strict),
        .target(name: "Analysis", dependencies: ["InferLabCore"], swiftSettings: strict),
        .target(
            name: "ResultStore",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "LoadGen",
            dependencies: [
                "ResultStore", "InferLabCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "InferenceServer",
            dependencies: [
                "LlamaEngine",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Reporting", dependencies: ["Analysis"], swiftSettings: strict),
        .target(
            name: "Experiments",
            dependencies: [
                "LlamaEngine", "LoadGen", "SystemProbe", "Constraints", "SystemSetup", "Analysis",
                "Reporting", "ResultStore", "InferLabCore",
                .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "inferlab",
            dependencies: [
                "LlamaEngine", "InferenceServer", "LoadGen", "SystemProbe", "Constraints", "SystemSetup",
                "Experiments", "Analysis", "Reporting", "ResultStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["LlamaEngine", "InferLabCore"],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "LlamaEngineTests", dependencies: ["LlamaEngine", "InferLabCore", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "SystemProbeTests", dependencies: ["SystemProbe", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ConstraintsTests", dependencies: ["Constraints", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SystemSetupTests", dependencies: ["SystemSetup", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "InferLabCore"], swiftSettings: strict),
        .testTarget(
            name: "LoadGenTests",
            dependencies: ["LoadGen", "ResultStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InferenceServerTests",
            dependencies: [
                "InferenceServer", "LoadGen", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: [
                "Experiments", "Reporting", "Analysis", "InferLabCore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], swiftSettings: strict),
    ]
)
