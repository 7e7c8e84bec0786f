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
