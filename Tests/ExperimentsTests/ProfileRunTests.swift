import Foundation
import InferLabCore
import Profiling
import RunStore
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

/// `probe: {profile: ...}` on a real run: each trial's stacks and scheduler view are stored and
/// written beside the run, the report shows them, and tracefs is left as it was.
@Suite(
    .serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"),
    .enabled(if: getuid() == 0, "tracefs needs root"),
    .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/perf"), "linux-perf is not installed"))
struct ProfileRunTests {
    @Test(.timeLimit(.minutes(4))) func aProfiledRunStoresStacksAndTheSchedulersViewAndReportsThem() async throws {
        let text = """
            name: profile-test
            engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 2048, max_seqs: 2}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 2,
                       requests: 6, warmup: 0, max_tokens: 32}
            probe: {interval_ms: 50, profile: {hz: 199, call_graph: fp}}
            repetitions: 1
            """
        let spec = try ExperimentSpec.parse(yaml: text)
        let directory = TestPaths.temporaryDirectory("profile-run")
        let before = TraceSession.inferlabInstances()
        let runner = ExperimentRunner(
            spec: spec, specText: text, directory: directory, resume: false, repositoryRoot: TestPaths.root,
            inferlabExecutable: TestPaths.inferlab)
        let outcome = try await runner.run()
        #expect(outcome.failed == 0)
        #expect(TraceSession.inferlabInstances() == before, "the trial's trace instance is removed")

        let profiles = try RunStore(path: directory.appendingPathComponent("results.sqlite").path).readProfiles()
        let profile = try #require(profiles[0])
        #expect(profile.failure == nil)
        #expect(profile.samples > 20)
        let folded = FoldedStacks.parse(profile.folded)
        #expect(folded.total == profile.samples)
        #expect(folded.threads.contains { $0.thread == "inferlab-engine" })
        let sched = try JSONDecoder().decode(SchedReport.self, from: Data(try #require(profile.sched).utf8))
        let analysis = try #require(sched.analysis)
        #expect(analysis.threads.contains { $0.name == "llama-worker-1" })
        // The steps were known: each one's straggling is there, one value per logged step.
        let steps = try #require(analysis.barrier.steps)
        #expect(steps.count > 10 && steps.perStepMs.count == steps.count)
        for file in ["stacks.folded", "flamegraph.svg", "sched.json"] {
            #expect(
                FileManager.default.fileExists(atPath: directory.appendingPathComponent("profile-trial-0/\(file)").path)
            )
        }
        #expect(
            !FileManager.default.fileExists(atPath: directory.appendingPathComponent("profile-trial-0/perf.data").path))

        let html = try String(contentsOf: RunReport.write(directory: directory), encoding: .utf8)
        for section in [
            "Where the CPU time went", "The scheduler&#39;s view", "Sources of variance", "flamegraph-level-0.svg",
        ] {
            #expect(html.contains(section), "\(section)")
        }
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("flamegraph-level-0.svg").path))

        // `inferlab compare` of the run with itself: one level profiled in both, nothing changed.
        let out = TestPaths.temporaryDirectory("profile-compare")
        let differences = try RunComparison.profileDifferences(directory, directory, directory: out)
        #expect(differences.map(\.level) == ["baseline"])
        #expect(differences.first?.changes.isEmpty == true)
        let svg = try String(contentsOfFile: try #require(differences.first?.flameGraph), encoding: .utf8)
        #expect(svg.contains("<svg"))
    }
}
