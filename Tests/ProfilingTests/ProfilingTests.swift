import Foundation
import Profiling
import Testing

/// `perf script` text to folded stacks, operations and a flame graph (a capture of a decoding
/// `inferlab serve` on this VM, and hand-written edge cases).
@Suite struct ProfilingTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/perf-script.txt")

    @Test func aRealCaptureFoldsLeafLastUnderItsThread() throws {
        let samples = PerfScript.parse(try String(contentsOf: Self.fixture, encoding: .utf8))
        #expect(samples.count == 19)
        #expect(samples.allSatisfy { $0.period == 5_025_125 && $0.thread == "oot.default-qos" && !$0.frames.isEmpty })
        let first = try #require(samples.first)
        #expect(first.tid == 20451 && first.time == 16971.183676)
        #expect(first.frames == [.init(symbol: "ggml_vec_dot_q4_1_q8_1", object: "libggml-cpu.so.0.25.3")])
        let folded = FoldedStacks(samples)
        #expect(folded.total == samples.count)
        #expect(
            folded.text.contains(
                "oot.default-qos;[unknown];ggml_graph_compute_thread.isra.0;ggml_compute_forward_flash_attn_ext 1\n"))
        #expect(FoldedStacks.parse(folded.text) == folded, "the folded text reads back")
        #expect(folded.leaves.first?.function == "ggml_vec_dot_q4_1_q8_1")
        #expect(GGMLOperation.of("ggml_vec_dot_q4_1_q8_1") == "mul_mat q4_1")
        #expect(GGMLOperation.of("ggml_compute_forward_flash_attn_ext") == "attention")
        #expect(GGMLOperation.of("__expf_fma") == "exp (softmax, attention, activation)")
    }

    @Test func headersWithSpacesAndFramesWithSignaturesParse() {
        let text = """
            llama worker 7 4242 100.5:   1000
            \t    7f00 (anonymous namespace)::tinyBLAS<float>::gemm<4, 2> (/opt/lib/libggml-cpu.so)
            \t    7f01 [unknown] (/usr/lib/libgomp.so.1)
            \t    7f02 [unknown] ([unknown])

            garbage line without numbers
            """
        let samples = PerfScript.parse(text)
        #expect(samples.count == 1)
        #expect(samples[0].thread == "llama worker 7" && samples[0].tid == 4242 && samples[0].period == 1000)
        #expect(
            samples[0].frames.map(\.name) == [
                "(anonymous namespace)::tinyBLAS<float>::gemm<4, 2>", "[libgomp.so.1]", "[unknown]",
            ])
        #expect(GGMLOperation.of("[libgomp.so.1]") == "OpenMP (spin and barriers)")
    }

    @Test func theFlameGraphHasAFramePerNodeWithItsShare() {
        var folded = FoldedStacks()
        folded.add(["t", "main", "mul_mat"], count: 3)
        folded.add(["t", "main", "rope"], count: 1)
        let svg = FlameGraph.svg(folded, title: "a <test>")
        #expect(svg.contains("<title>mul_mat (3 samples, 75.00 %)</title>"))
        #expect(svg.contains("<title>all (4 samples, 100.00 %)</title>"))
        #expect(svg.components(separatedBy: "<g class=\"f\">").count - 1 == 5, "all, t, main, mul_mat, rope")
        #expect(svg.contains("a &lt;test&gt;") && svg.contains("function search()"))
        #expect(!svg.contains("http://") || svg.components(separatedBy: "http://").count == 2, "only the SVG namespace")
    }

    /// perf on a real process, spawned from Swift concurrency (whose threads block signals: perf
    /// spawned with that mask never sees its timer end and spins; this test would hang).
    @Test(
        .timeLimit(.minutes(1)),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/perf"), "linux-perf is not installed"))
    func perfProfilesABusyProcessAndReturns() async throws {
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: "/bin/sh")
        busy.arguments = ["-c", "while :; do :; done"]
        try busy.run()
        defer {
            // SIGKILL: a child spawned from a concurrency thread has SIGTERM blocked too.
            kill(busy.processIdentifier, SIGKILL)
            busy.waitUntilExit()
        }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("profile-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let started = Date()
        let profile = try await Profiler.record(
            pid: busy.processIdentifier, duration: .seconds(2), hertz: 199, directory: directory)
        #expect(Date().timeIntervalSince(started) < 15)
        // One busy CPU at 199 Hz for 2 s is 398 samples; the machine's two CPUs may be shared.
        #expect(profile.folded.total >= 40)
        #expect(profile.folded.threads.first?.thread == "sh")
        await #expect(throws: ProfileError.self) {
            try await Profiler.record(pid: 999_999_999, duration: .seconds(1), hertz: 199, directory: directory)
        }
    }
}
