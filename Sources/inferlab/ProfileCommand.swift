public import ArgumentParser
import Constraints
import Foundation
import InferLabCore
import Profiling
import ServiceLifecycle
import SystemProbe

struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Where a process's CPU time goes: perf samples folded to stacks, a flame graph, the top functions.",
        discussion: """
            Samples the process with `perf record -e cpu-clock -g` (the software clock; this VM has no \
            hardware counters) and writes DIR/stacks.folded (`frame;frame;frame COUNT`, for FlameGraph, \
            inferno and speedscope), DIR/flamegraph.svg (offline: hover and search), DIR/functions.json \
            (the top leaf functions by ggml operation and by thread) and DIR/sched.json: the scheduler's \
            view of every thread from tracefs sched_switch/sched_wakeup (run-queue latency histogram, \
            off-CPU time by state, who ran instead when it was preempted; the compute threads' \
            straggling at barriers; steal and other programs' CPU). tracefs is used in a private \
            instance (mounted privately if it is not mounted) that is removed at the end, also on \
            Ctrl-C; what a killed profile left is removed by the next one. Without root, sched.json \
            says "applied": false and why.
            """)

    @Option(help: "The process to profile.") var pid: Int32
    @Option(help: "How long to sample.") var duration = "10s"
    @Option(help: "Samples per second (per CPU).") var hz = 199
    @Option(help: "Where to write the profile (default: profile-PID/).") var out: String?
    @Option(
        help:
            "How perf walks call chains: dwarf (full chains, ~2 % of decode) or fp (frame pointers: one or two frames here)."
    )
    var callGraph = CallGraph.dwarf
    @Flag(help: "Skip the scheduler trace (sched.json).") var noSched = false
    @Option(
        help: ArgumentHelp(
            "After the profile, count heap allocations per thread for this long (allocations.json).",
            discussion: "Uprobes on libc's malloc family: while they are armed every malloc of every process "
                + "traps (~10 us), so keep it to seconds; it runs after the perf window so the flame graph "
                + "does not carry the traps."))
    var allocations: String?

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
        /// Each thread's own top functions, with their share of that thread's samples.
        var byThread: [ThreadFunctions]

        struct Share: Encodable {
            var name: String
            var samples: Int
            var share: Double
        }

        struct ThreadFunctions: Encodable {
            var thread: String
            var samples: Int
            var functions: [Profile.Function]
        }

        enum CodingKeys: String, CodingKey {
            case pid, samples, hz, functions, operations, threads
            case durationSeconds = "duration_s"
            case byThread = "by_thread"
        }
    }

    func run() async throws {
        try await reportingErrors {
            guard let seconds = Quantity.seconds(duration), seconds > 0 else {
                throw UsageError("--duration '\(duration)' is not a duration like 4s or 1m")
            }
            guard kill(pid, 0) == 0 || errno == EPERM else { throw UsageError("no process \(pid) to profile") }
            let directory = URL(fileURLWithPath: out ?? "profile-\(pid)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // What a profile killed by -9 left (a trace instance, a private tracefs mount).
            if let removed = LeftoverFinder.onThisMachine().reclaim().summary {
                FileHandle.standardError.write(Data("inferlab profile: \(removed)\n".utf8))
            }
            try RunLease.current.begin()
            defer { RunLease.current.end() }
            let (profile, sched) = try await untilShutdownSignal {
                try await capture(duration: .seconds(clamping: seconds), directory: directory)
            }
            try write(profile, sched: sched, seconds: seconds, directory: directory)
            if let allocations {
                guard let window = Quantity.seconds(allocations), window > 0 else {
                    throw UsageError("--allocations '\(allocations)' is not a duration like 2s")
                }
                let counts = try countAllocations(for: .seconds(clamping: window))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(counts).write(to: directory.appendingPathComponent("allocations.json"))
                let seconds = max(0.001, counts.duration.seconds)
                for group in counts.byName().prefix(6) {
                    print(
                        String(
                            format: "allocations: %@ (%d threads): %.0f/s, %.1f KB/s, %.0f frees/s", group.name,
                            group.threads, Double(group.allocations.calls) / seconds,
                            Double(group.allocations.bytes) / seconds / 1000, Double(group.frees) / seconds))
                }
                if counts.lostEvents > 0 { print("allocations: the trace dropped \(counts.lostEvents) events") }
            }
        }
    }

    /// Counts allocations in an instance of their own (the count sets its pid filter and options).
    private func countAllocations(for window: Duration) throws -> AllocationCounts {
        let session = try TraceSession.open(events: [], pids: [pid])
        defer { session.close() }
        return try AllocationTrace.count(
            pid: pid, duration: window, tracefsRoot: session.root, instance: session.instance)
    }

    /// Samples and traces until `duration` passes, perf ends or a signal asks to stop early.
    private func capture(duration: Duration, directory: URL) async throws -> (Profile, SchedReport) {
        var sched: SchedCapture?
        var schedReport: SchedReport?
        if noSched {
            schedReport = SchedReport(pid: pid, applied: false, reason: "--no-sched")
        } else {
            do {
                sched = try SchedCapture.start(pid: pid)
            } catch {
                schedReport = SchedReport(pid: pid, applied: false, reason: error.message)
            }
        }
        let recording: PerfRecording
        do {
            recording = try await PerfRecording.start(
                pid: pid, hertz: hz, callGraph: callGraph, directory: directory)
        } catch {
            sched?.cancel()
            throw error
        }
        let deadline = MonotonicInstant.now() + duration
        await withGracefulShutdownHandler {
            while MonotonicInstant.now() < deadline && !recording.hasExited && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(20))
            }
        } onGracefulShutdown: {
        }
        let report = sched?.finish() ?? schedReport!
        return (try await recording.profile(), report)
    }

    private func write(_ profile: Profile, sched: SchedReport, seconds: Double, directory: URL) throws {
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
            },
            byThread: profile.folded.threads.prefix(8).map { thread in
                var own = FoldedStacks()
                for (stack, count) in profile.folded.counts where stack.first == thread.thread {
                    own.add(stack, count: count)
                }
                return .init(
                    thread: thread.thread, samples: thread.samples, functions: Profile(folded: own).functions(limit: 10)
                )
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(summary).write(to: directory.appendingPathComponent("functions.json"))
        try encoder.encode(sched).write(to: directory.appendingPathComponent("sched.json"))
        print(
            "\(profile.folded.total) samples of pid \(pid) in \(directory.path)/ (stacks.folded, flamegraph.svg, functions.json, sched.json)"
        )
        for function in profile.functions(limit: 5) {
            print(String(format: "%6.1f %%  %@  (%@)", 100 * function.share, function.function, function.operation))
        }
        for line in sched.summary { print(line) }
    }
}

extension CallGraph: ExpressibleByArgument {}
