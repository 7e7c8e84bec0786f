import Foundation
import InferLabCore
import TestSupport
import Testing

@testable import ExperimentFile
@testable import Experiments

@Suite struct SpecRecipesTests {
    static let directory = TestPaths.root.appendingPathComponent("experiments")

    static var files: [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map {
            directory.appendingPathComponent($0)
        }
    }

    @Test func everyRecipeOfTheIssueIsPresent() {
        let names = Set(Self.files.map(\.lastPathComponent))
        for recipe in [
            "quickstart", "bounded-realtime", "server-profile", "cpu-quota", "memory-limit", "mitigations", "batching",
            "paging", "paging-cgroup",
        ] {
            #expect(names.contains("\(recipe).yaml"), "experiments/\(recipe).yaml is missing")
        }
    }

    @Test func everyFileInExperimentsValidates() throws {
        #expect(!Self.files.isEmpty)
        for file in Self.files {
            let text = try String(contentsOf: file, encoding: .utf8)
            do {
                let spec = try ExperimentSpec.parse(yaml: text)
                #expect(
                    spec.name + ".yaml" == file.lastPathComponent,
                    "the name of \(file.lastPathComponent) should match its file")
                #expect(!spec.trials().isEmpty)
            } catch {
                Issue.record("\(file.lastPathComponent): \(error)")
            }
        }
    }

    /// Every request of every recipe fits its sequence's share of the context, so no trial is
    /// full of 400s: the longest prompt of the workload's class (the corpus's `prompt_tokens`,
    /// plus a margin for the chat template and a system prompt) plus `max_tokens`.
    /// The frozen corpus's prompt lengths (`prompt_tokens`) by prompt class, and all of them
    /// under `mixed`.
    static func promptTokensByClass() throws -> [String: [Int]] {
        struct Entry: Decodable {
            var `class`: String?
            var prompt_tokens: Int?
        }
        var tokens: [String: [Int]] = [:]
        for line in try String(contentsOf: TestPaths.root.appendingPathComponent("data/prompts.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        {
            let entry = try JSONDecoder().decode(Entry.self, from: Data(line.utf8))
            tokens[entry.class ?? "", default: []].append(entry.prompt_tokens ?? 0)
            tokens["mixed", default: []].append(entry.prompt_tokens ?? 0)
        }
        return tokens
    }

    @Test func everyRequestFitsItsSequenceContext() throws {
        let longest = try Self.promptTokensByClass().mapValues { $0.max() ?? 0 }
        for file in Self.files {
            let spec = try ExperimentSpec.parse(yaml: String(contentsOf: file, encoding: .utf8))
            for trial in spec.trials() {
                let engine = trial.config.engine
                let workload = trial.config.workload
                guard workload.corpusPath == "data/prompts.jsonl" else { continue }
                let server = engine.effectiveServer.engine
                let perSequence = server.context.contextLength / server.scheduler.maxSequences
                let system = (workload.systemPrompt?.utf8.count ?? 0) / 3
                let needed = (longest[workload.promptClass.rawValue] ?? 0) + 40 + system + (workload.maxTokens ?? 128)
                #expect(
                    perSequence >= needed,
                    "\(spec.name) \(trial.label): \(perSequence) cells per sequence, requests need up to \(needed)")
            }
        }
    }

    /// A budget from `inferlab run --plan`'s estimate (this machine's measured rates, see
    /// `ExperimentPlan`): the quickstart must fit 3 minutes and every recipe 20. Checked against
    /// measured runs: batching with 16 requests per trial took 28 s per trial.
    @Test func recipesFitTheirTimeBudgets() throws {
        for file in Self.files {
            let spec = try ExperimentSpec.parse(yaml: String(contentsOf: file, encoding: .utf8))
            let seconds = try ExperimentPlan.make(spec, repositoryRoot: TestPaths.root).estimatedSeconds
            let budget: Double = spec.name == "quickstart" ? 180 : 1200
            #expect(seconds < budget, "\(spec.name): about \(Int(seconds)) s, budget \(Int(budget)) s")
        }
    }

    @Test func boundedRealtimeHasWhatTheCriteriaNeed() throws {
        let text = try String(
            contentsOf: Self.directory.appendingPathComponent("bounded-realtime.yaml"), encoding: .utf8)
        let spec = try ExperimentSpec.parse(yaml: text)
        #expect(spec.repetitions >= 3)
        let loads = Set(spec.trials().map(\.config.constraints.backgroundLoad))
        #expect(loads == [0, 25, 50, 75])
        let samplers = Set(spec.trials().map(\.config.workload.sampler))
        #expect(samplers.count == 4)
    }
}
