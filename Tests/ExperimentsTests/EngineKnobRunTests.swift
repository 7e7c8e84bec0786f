import Foundation
import InferLabCore
import RunStore
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

/// An experiment's engine block reaches the real engine: a spec that sets `batch_tokens` and
/// `step_target_ms` runs `inferlab serve --config FILE` on the real model, and the trial's step
/// log shows no step carrying more prompt tokens than the budget; `flash_attn` reaches it too.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct EngineKnobRunTests {
    struct Step: Decodable {
        var prompt_tokens: Int
        var decode_tokens: Int
    }

    @Test(.timeLimit(.minutes(3))) func aSpecsStepBudgetBoundsEveryStepOfTheTrial() async throws {
        let text = """
            name: step-budget
            engine: {kind: inferlab, model: smollm2-135m, threads: 2, ctx: 4096, max_seqs: 2,
                     batch_tokens: 256, step_target_ms: 250, flash_attn: off}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: long, scenario: closed, concurrency: 2,
                       requests: 3, warmup: 0, max_tokens: 8}
            probe: {interval_ms: 100}
            repetitions: 1
            """
        let spec = try ExperimentSpec.parse(yaml: text)
        let directory = TestPaths.temporaryDirectory("step-budget")
        let runner = ExperimentRunner(
            spec: spec, specText: text, directory: directory, resume: false, repositoryRoot: TestPaths.root,
            inferlabExecutable: TestPaths.inferlab)
        let outcome = try await runner.run()
        #expect(outcome.completed == 1 && outcome.failed == 0)
        let log = try String(
            contentsOf: directory.appendingPathComponent("engine-steps-trial-0.jsonl"), encoding: .utf8)
        let steps = try log.split(separator: "\n").map { try JSONDecoder().decode(Step.self, from: Data($0.utf8)) }
        let prompt = steps.map(\.prompt_tokens)
        // Long prompts (hundreds of tokens each) went through in chunks, none over the budget.
        #expect(prompt.reduce(0, +) > 3 * 256, "prompt tokens \(prompt)")
        #expect(prompt.allSatisfy { $0 <= 256 }, "prompt tokens per step \(prompt)")
        #expect(prompt.contains(256), "a step filled the budget: \(prompt)")
        // The engine said which attention kernel it ran, and the trial recorded it.
        let outcomes = try RunStore(path: directory.appendingPathComponent("results.sqlite").path).readRun()
            .trials.flatMap(\.outcomes)
        let flash = try #require(outcomes.first { $0.name == "flash_attn" })
        #expect(flash.applied && flash.value == "off" && flash.reason == "off (asked for)")
    }
}
