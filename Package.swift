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
        // The pure core of inference: requests, sampling, configuration, scheduling, the model
        // catalogue. No llama.cpp: the server's fake-engine tests and the experiments link it alone.
        .target(name: "InferenceCore", dependencies: ["InferLabCore"], swiftSettings: strict),
        .target(
            name: "LlamaEngine",
            dependencies: [
                "CLlama", "InferLabCore", "InferenceCore",
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
        .target(
            name: "SystemSetup", dependencies: ["InferLabCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        .target(name: "Analysis", dependencies: ["InferLabCore", "InferenceCore"], swiftSettings: strict),
        .target(
            name: "Profiling", dependencies: ["InferLabCore", "Constraints", "SystemProbe"], swiftSettings: strict),
        // Every metric the lab knows, declared once: name, unit, kind, source and how it is read.
        .target(
            name: "MetricCatalog", dependencies: ["InferLabCore", "SystemProbe", "InferenceCore"], swiftSettings: strict
        ),
        .target(
            name: "LoadGen",
            dependencies: [
                "InferLabCore",
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
                "InferenceCore", "LlamaEngine", "MetricCatalog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The experiment file: spec, matrix, trials, validation. Pure: no I/O beyond parsing text.
        .target(
            name: "ExperimentFile",
            dependencies: [
                "InferLabCore", "InferenceCore", "LoadGen", "MetricCatalog", .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // Every table of a run and all their SQL, as typed GRDB records.
        .target(
            name: "RunStore",
            dependencies: [
                "InferLabCore", "InferenceCore", "SystemProbe", "LoadGen", "ExperimentFile", "MetricCatalog",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .target(name: "Reporting", dependencies: ["Analysis", "InferLabCore", "InferenceCore"], swiftSettings: strict),
        .target(
            name: "Experiments",
            dependencies: [
                "InferenceCore", "ExperimentFile", "RunStore", "MetricCatalog", "LoadGen", "SystemProbe", "Constraints",
                "SystemSetup", "Analysis", "Reporting", "InferLabCore", "Profiling",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "inferlab",
            dependencies: [
                "InferenceCore", "LlamaEngine", "InferenceServer", "LoadGen", "SystemProbe", "Constraints",
                "SystemSetup",
                "ExperimentFile", "Experiments", "Analysis", "Reporting", "RunStore", "MetricCatalog", "Profiling",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["InferLabCore"],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "InferenceCoreTests", dependencies: ["InferenceCore"], swiftSettings: strict),
        .testTarget(
            name: "LlamaEngineTests",
            dependencies: ["LlamaEngine", "InferenceCore", "InferLabCore", "Analysis", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "SystemProbeTests", dependencies: ["SystemProbe", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ConstraintsTests", dependencies: ["Constraints", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SystemSetupTests", dependencies: ["SystemSetup", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ProfilingTests", dependencies: ["Profiling", "Constraints", "TestSupport"], exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "AnalysisTests", dependencies: ["Analysis", "InferLabCore", "InferenceCore"], swiftSettings: strict),
        .testTarget(
            name: "LoadGenTests",
            dependencies: ["LoadGen", "RunStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InferenceServerTests",
            dependencies: [
                "InferenceServer", "InferenceCore", "LoadGen", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: [
                "Experiments", "ExperimentFile", "RunStore", "MetricCatalog", "Reporting", "Analysis", "InferLabCore",
                "InferenceCore", "SystemProbe", "LoadGen", "TestSupport", "Profiling",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RunStoreTests",
            dependencies: [
                "RunStore", "ExperimentFile", "LoadGen", "InferLabCore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MetricCatalogTests", dependencies: ["MetricCatalog", "SystemProbe", "InferenceCore", "TestSupport"],
            swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], swiftSettings: strict),
    ]
)
