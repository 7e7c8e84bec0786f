import Foundation
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

/// `inferlab study`: a small bounded-realtime study on the real model answers its five questions
/// with numbers, evaluates the criteria, and writes limitations and reproducibility; the command
/// names its four studies and refuses an unknown one.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct StudyReportTests {
    @Test(.timeLimit(.minutes(5))) func aSmallBoundedRealtimeStudyAnswersItsQuestions() async throws {
        let text = """
            name: bounded-realtime
            study: bounded-realtime
            engine: {kind: generate, model: smollm2-135m, threads: 2, ctx: 1024}
            workload: {prompt_class: short, requests: 2, warmup: 1, max_tokens: 16, ignore_eos: true}
            probe: {interval_ms: 50}
            variants:
              - {name: baseline}
              - {name: pinned-threads, pin_threads: true}
              - {name: load-50, background_load: 50}
            repetitions: 2
            price_per_hour: 0.05
            """
        let root = TestPaths.temporaryDirectory("study-root")
        let study = Study.boundedRealtime
        let directory = study.directory(root: root).appendingPathComponent("bounded-realtime")
        let spec = try ExperimentSpec.parse(yaml: text)
        let runner = ExperimentRunner(
            spec: spec, specText: text, directory: directory, resume: false, repositoryRoot: TestPaths.root,
            inferlabExecutable: TestPaths.inferlab)
        let outcome = try await runner.run()
        #expect(outcome.failed == 0)
        let recipe = StudyRecipe(name: "bounded-realtime", spec: spec, specText: text, directory: directory)
        #expect(recipe.isComplete)

        let model = try StudyReport.model(
            study, root: root, recipes: [recipe], wallSeconds: Study.wallSeconds([recipe]), pricePerHour: nil,
            sloMilliseconds: nil)
        let questions = try #require(model.tables.first { $0.id == "questions" })
        #expect(questions.rows.count == 5, "\(questions.rows)")
        // Every answer quotes a number (milliseconds or a percentage).
        for row in questions.rows {
            #expect(row[1].range(of: #"\d+(\.\d+)? (ms|%)"#, options: .regularExpression) != nil, "\(row)")
        }
        #expect(model.criteria.count == 5)
        let ids = Set(model.tables.map(\.id))
        for id in ["phase-3", "contention", "samplers", "limitations", "reproducibility", "bounded-realtime-levels"] {
            #expect(ids.contains(id), "\(id) missing from \(ids.sorted())")
        }
        let phase3 = try #require(model.tables.first { $0.id == "phase-3" })
        #expect(phase3.rows.count == 1 && phase3.rows[0][0].hasPrefix("pinned-threads"))
        // The contention table: 0 % (the baseline) and 50 %, each judged against the SLO.
        let contention = try #require(model.tables.first { $0.id == "contention" })
        #expect(contention.rows.map(\.first) == ["0 %", "50 %"])
        #expect(model.description?.contains("Wall time bounded-realtime") == true)
        // The spec's price puts dollars per million tokens in the level table.
        let levels = try #require(model.tables.first { $0.id == "bounded-realtime-levels" })
        #expect(levels.columns.last == "$ per M tokens" && levels.rows.allSatisfy { $0.last != "–" })

        let html = try study.writeReport(root: root, recipes: [recipe], wallSeconds: [:])
        let markdown = try String(
            contentsOf: html.deletingLastPathComponent().appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("The study's questions, answered") && markdown.contains("Limitations"))
    }

    @Test func theCommandNamesItsStudiesAndRefusesAnUnknownOne() throws {
        let help = try runInferLab(["study", "--help"])
        for name in ["bounded-realtime", "server-profile", "batching", "paging"] {
            #expect(help.stdout.contains(name), "\(name) not in --help")
        }
        let bad = try runInferLab(["study", "nope"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown study 'nope'"), "\(bad.stderr)")
        // Every study's recipes parse, and each fits the 30-minute budget at its repetition cap.
        for study in Study.allCases {
            let recipes = try study.load(root: TestPaths.root)
            let high = recipes.reduce(0) { $0 + $1.estimate(root: TestPaths.root).high }
            #expect(high > 0 && high < 30 * 60, "\(study.rawValue): \(Int(high)) s at most")
        }
    }
}
