import ArgumentParser
import Foundation
import InferLabCore
import Profiling
import SystemProbe

struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Where a process's CPU time goes: perf samples folded to stacks, a flame graph, the top functions.",
        discussion: """
            Samples the process with `perf record -e cpu-clock -g` (the software clock; this VM has no \
            hardware counters) and writes DIR/stacks.folded (`frame;frame;frame COUNT`, for FlameGraph, \
            inferno and speedscope), DIR/flamegraph.svg (offline: hover and search) and DIR/functions.json \
            (the top leaf functions by ggml operation and by thread).
            """)

    @Option(help: "The process to profile.") var pid: Int32
    @Option(help: "How long to sample.") var duration = "10s"
    @Option(help: "Samples per second (per CPU).") var hz = 199
    @Option(help: "Where to write the profile (default: profile-PID/).") var out: String?

    func validate() throws {
        guard (1...10_000).contains(hz) else { throw ValidationError("--hz must be between 1 and 10000 (got \(hz))") }
    }

    struct Summary: Encodable {
        var pid: Int32
        var samples: Int
        var durationSeconds: Double
        var hz: Int
        var functions: [Profile.Function]
        var operations: [Share]
        var threads: [Share]

        struct Share: Encodable {
            var name: String
            var samples: Int
            var share: Double
        }

        enum CodingKeys: String, CodingKey {
            case pid, samples, hz, functions, operations, threads
            case durationSeconds = "duration_s"
        }
    }

    func run() async throws {
        try await reportingErrors {
            guard let seconds = Quantity.seconds(duration), seconds > 0 else {
                throw UsageError("--duration '\(duration)' is not a duration like 4s or 1m")
            }
            let directory = URL(fileURLWithPath: out ?? "profile-\(pid)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let profile = try Profiler.record(
                pid: pid, duration: .seconds(clamping: seconds), hertz: hz, directory: directory)
            try profile.folded.text.write(
                to: directory.appendingPathComponent("stacks.folded"), atomically: true, encoding: .utf8)
            try FlameGraph.svg(profile.folded, title: "inferlab profile: pid \(pid), \(duration) at \(hz) Hz").write(
                to: directory.appendingPathComponent("flamegraph.svg"), atomically: true, encoding: .utf8)
            let total = Double(max(1, profile.folded.total))
            let summary = Summary(
                pid: pid, samples: profile.folded.total, durationSeconds: seconds, hz: hz,
                functions: profile.functions(),
                operations: profile.operations.map {
                    .init(name: $0.operation, samples: $0.samples, share: Double($0.samples) / total)
                },
                threads: profile.folded.threads.map {
                    .init(name: $0.thread, samples: $0.samples, share: Double($0.samples) / total)
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(summary).write(to: directory.appendingPathComponent("functions.json"))
            print(
                "\(profile.folded.total) samples of pid \(pid) in \(directory.path)/ (stacks.folded, flamegraph.svg, functions.json)"
            )
            for function in profile.functions(limit: 5) {
                print(String(format: "%6.1f %%  %@  (%@)", 100 * function.share, function.function, function.operation))
            }
        }
    }
}
