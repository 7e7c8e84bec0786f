import Foundation
import TestSupport
import Testing

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
            "paging",
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

    /// A rough budget from the request counts (at most ~85 tok/s decode on 2 cores, 3 s per
    /// launch): the quickstart must fit 3 minutes and every recipe 20.
    @Test func recipesFitTheirTimeBudgets() throws {
        for file in Self.files {
            let spec = try ExperimentSpec.parse(yaml: String(contentsOf: file, encoding: .utf8))
            let seconds = spec.trials().reduce(0.0) { total, trial in
                let workload = trial.config.workload
                let requests = Double((workload.requests ?? WorkloadSpec.defaultRequests) + workload.warmup)
                let tokens = requests * Double(workload.maxTokens)
                let quota = min(trial.config.constraints.cpuQuota ?? 2, 2) / 2
                return total + 3 + tokens / (85 * quota)
            }
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
