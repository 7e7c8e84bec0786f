import Analysis
import Foundation
import InferLabCore
import Reporting
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

/// `inferlab explain` on real runs of the real model, where the cause is known.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct ExplainRunTests {
    func run(_ name: String, _ text: String) async throws -> URL {
        let spec = try ExperimentSpec.parse(yaml: text)
        let directory = TestPaths.temporaryDirectory(name)
        let runner = ExperimentRunner(
            spec: spec, specText: text, directory: directory, resume: false, repositoryRoot: TestPaths.root,
            inferlabExecutable: TestPaths.inferlab)
        let outcome = try await runner.run()
        #expect(outcome.failed == 0)
        return directory
    }

    /// `single` at concurrency 3: requests wait for the one sequence, and the explanation says so;
    /// every request joins the engine's record by id, and its components add up to its latency.
    @Test(.timeLimit(.minutes(4))) func queueingUnderSingleIsNamedAndEveryRequestAddsUp() async throws {
        let directory = try await run(
            "explain-queue",
            """
            name: explain-queue
            engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 2048, max_seqs: 3}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 3,
                       requests: 9, warmup: 0, max_tokens: 16}
            probe: {interval_ms: 50}
            matrix:
              scheduler: [single, continuous]
            repetitions: 1
            """)
        let explanation = try RunExplanation(directory: directory)
        #expect(explanation.trials.count == 2)
        let all = explanation.explain(.all, tokens: true)
        #expect(all.count == 18)
        for request in all {
            #expect(request.basis == "engine", "\(request.id) did not join the engine's record")
            #expect(abs(request.components.total - request.e2eMilliseconds) <= 0.02 * request.e2eMilliseconds)
            for token in request.tokens ?? [] {
                #expect(abs(token.components.total - token.gapMilliseconds) < 0.01)
            }
        }
        // Under `single`, the requests that waited at least 20 ms for the sequence: queueing is
        // their TTFT's top cause.
        let single = explanation.explain(.all, trial: 0)
        let queued = single.filter { $0.ttftComponents[.queue] > 20 }
        #expect(queued.count >= 5, "\(single.map { $0.ttftComponents[.queue] })")
        #expect(queued.filter { $0.topTTFTCause == .queue }.count * 10 >= queued.count * 9)
        // Behind whom: the requests that ran while it waited (one at a time, so at least one).
        #expect(
            queued.allSatisfy {
                ($0.evidence[.queue] ?? "").range(of: #"^behind [1-9]\d* running request"#, options: .regularExpression)
                    != nil
            })

        // The trace: every step and every request is a complete event; the format's fields are there.
        let trace = TestPaths.temporaryDirectory("explain-trace").appendingPathComponent("trace.json")
        let cli = try runInferlab(["explain", directory.path, "--trace", trace.path])
        #expect(cli.status == 0, "\(cli.output)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: trace)) as? [String: Any])
        let events = try #require(object["traceEvents"] as? [[String: Any]])
        #expect(
            events.allSatisfy {
                $0["ph"] is String && $0["ts"] is NSNumber && $0["pid"] is NSNumber && $0["tid"] is NSNumber
            })
        let complete = events.filter { $0["ph"] as? String == "X" }
        #expect(complete.allSatisfy { ($0["dur"] as? NSNumber)?.doubleValue ?? -1 >= 0 })
        let steps = explanation.trials.reduce(0) { $0 + $1.explainer.steps.count }
        #expect(complete.filter { $0["cat"] as? String == "step" }.count == steps)
        #expect(complete.filter { $0["cat"] as? String == "request" }.count == 18)
        #expect(events.contains { $0["ph"] as? String == "C" }, "OS counter tracks")

        // The CLI's JSON contract.
        let json = try runInferlab(["explain", directory.path, "--slowest", "3", "--json"])
        #expect(json.status == 0, "\(json.output)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let requests = try #require(output["requests"] as? [[String: Any]])
        #expect(requests.count == 3)
        for request in requests {
            let e2e = try #require(request["e2e_ms"] as? Double)
            let components = try #require(request["components"] as? [String: Double])
            #expect(abs(components.values.reduce(0, +) - e2e) < 0.01)
            #expect(request["top_cause"] is String)
        }
        let bad = try runInferlab(["explain", directory.path, "--trial", "7"])
        #expect(bad.status != 0 && bad.output.contains("trial 7 has no requests"))
    }

    /// A CPU quota of 0.5 core under closed-loop load: CFS throttling is the top cause; without
    /// the quota there is no throttling component above 1 %.
    @Test(.timeLimit(.minutes(4))) func aCPUQuotaShowsAsThrottlingAndOnlyThen() async throws {
        let directory = try await run(
            "explain-quota",
            """
            name: explain-quota
            engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 2048, max_seqs: 2}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 2,
                       requests: 6, warmup: 0, max_tokens: 24}
            probe: {interval_ms: 50}
            matrix:
              cpu_quota: [0.5, none]
            repetitions: 1
            """)
        let explanation = try RunExplanation(directory: directory)
        let quota = explanation.explain(.all, trial: 0)
        let free = explanation.explain(.all, trial: 1)
        #expect(quota.count == 6 && free.count == 6)
        #expect(
            quota.filter { $0.topCause == .cfsThrottling }.count * 10 >= quota.count * 9, "\(quota.map(\.sentence))")
        #expect(free.allSatisfy { $0.components[.cfsThrottling] <= 0.01 * $0.e2eMilliseconds })
    }

    /// The other three causes, each alone in a level: long prompts joining running streams (their
    /// slow inter-token gaps are other requests' prefill; 256-token steps, so a prompt arriving
    /// with others is still prefilled beside streams already decoding), a memory limit below what the engine
    /// and its model need with the page cache dropped (fault stalls), a CPU hog on both CPUs
    /// (run-queue wait). None of the OS causes is named where it is absent.
    @Test(.timeLimit(.minutes(5))) func prefillFaultsAndAHogAreEachNamedWhereTheyAre() async throws {
        // The faulting level reads a copy of the model: this test process has the model itself
        // mapped (the engine tests' shared model), and a mapped page stays in the page cache.
        let copy = TestPaths.temporaryDirectory("explain-model").appendingPathComponent("model.gguf")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: TestPaths.defaultModel), to: copy)
        let directory = try await run(
            "explain-causes",
            """
            name: explain-causes
            engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 1024, max_seqs: 4, load_mode: mmap}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 2,
                       requests: 6, warmup: 1, max_tokens: 24, timeout_s: 120}
            probe: {interval_ms: 50}
            variants:
              - {name: long-prompts, prompt_class: mixed, concurrency: 4, max_tokens: 48, ctx: 8192, batch_tokens: 256}
              - {name: memory-cold, memory_max: 128M, start: cold, max_seqs: 2, model: \(copy.path)}
              - {name: stress, background_load: 100}
            repetitions: 1
            """)
        let explanation = try RunExplanation(directory: directory)
        let prompts = explanation.explain(.all, trial: 0, tokens: true)
        let gaps = prompts.flatMap { $0.tokens ?? [] }
        let median = Statistics.median(gaps.map(\.gapMilliseconds)) ?? 0
        let spiked = gaps.filter { $0.gapMilliseconds > 2 * median && $0.components[.decodeOtherPrefill] > 0 }
        #expect(spiked.count >= 3, "long prompts joined running streams")
        #expect(spiked.filter { $0.topCause == .decodeOtherPrefill }.count * 10 >= spiked.count * 9)
        let faults = explanation.explain(.all, trial: 1)
        #expect(
            faults.filter { $0.topCause == .faultStalls }.count * 10 >= faults.count * 9, "\(faults.map(\.sentence))")
        #expect(faults.allSatisfy { $0.evidence[.faultStalls]?.contains("MiB read") == true })
        let hog = explanation.explain(.all, trial: 2)
        #expect(hog.filter { $0.topCause == .runqueueWait }.count * 10 >= hog.count * 9, "\(hog.map(\.sentence))")
        for request in prompts + hog {
            #expect(request.components[.faultStalls] <= 0.01 * request.e2eMilliseconds)
            #expect(request.components[.cfsThrottling] == 0)
        }
    }

    /// Runs the built `inferlab` and returns its exit status and its standard output and error.
    func runInferlab(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.inferlab)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
