import Foundation
import InferLabCore
import Profiling
import RunStore
import Testing
import TestSupport

@testable import ExperimentFile
@testable import Experiments

/// `probe: {page_trace: true}` and `lock_memory` on a real run: each trial's page trace of the
/// model is stored and written beside the run, the memory is pinned by a child that is gone
/// afterwards, the report has the paging tables and charts, and tracefs is left as it was.
@Suite(
    .serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"),
    .enabled(if: getuid() == 0, "tracefs and mlock need root"))
struct PagingRunTests {
    @Test(.timeLimit(.minutes(4))) func aTracedRunStoresEachTrialsPagesAndReportsThem() async throws {
        // A copy: this test process's other suites keep the model mapped, and mapped pages cannot
        // be evicted, so the cold start would not be cold.
        let directory = TestPaths.temporaryDirectory("paging-run")
        let model = directory.appendingPathComponent("model.gguf")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.defaultModel, toPath: model.path)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = """
            name: paging-test
            engine: {kind: inferlab, model: \(model.path), threads: 2, ctx: 1024, max_seqs: 1}
            workload: {api: chat, corpus: data/prompts.jsonl, prompt_class: short, scenario: closed, concurrency: 1,
                       requests: 3, warmup: 0, max_tokens: 16}
            probe: {interval_ms: 50, page_trace: true}
            constraints: {start: cold}
            matrix:
              lock_memory: [none, 64M]
            repetitions: 1
            """
        let spec = try ExperimentSpec.parse(yaml: text)
        let run = directory.appendingPathComponent("run")
        let before = TraceSession.inferlabInstances()
        let runner = ExperimentRunner(
            spec: spec, specText: text, directory: run, resume: false, repositoryRoot: TestPaths.root,
            inferlabExecutable: TestPaths.inferlab)
        let outcome = try await runner.run()
        #expect(outcome.failed == 0)
        #expect(TraceSession.inferlabInstances() == before, "the trials' trace instances are removed")

        let store = try RunStore(path: run.appendingPathComponent("results.sqlite").path)
        let traces = try store.readPageTraces()
        #expect(traces.keys.sorted() == [0, 1])
        let decoder = PageTraceJSON.decoder
        let size = try #require(try FileManager.default.attributesOfItem(atPath: model.path)[.size] as? Int)
        for (index, record) in traces.sorted(by: { $0.key < $1.key }) {
            let summary = try decoder.decode(PageTraceSummary.self, from: Data(record.summary.utf8))
            // Cold: the engine's load brought the file in, each page once (no pressure).
            #expect(summary.distinctPagesIn > size / 4096 * 9 / 10, "trial \(index): \(summary.distinctPagesIn) pages")
            #expect(summary.rereadPages == 0, "trial \(index)")
            #expect(summary.byTensor.count > 100)
            #expect(summary.window != nil)
            #expect(summary.block?.requests ?? 0 > 0)
            let series = try decoder.decode(PageTraceSeries.self, from: Data(try #require(record.series).utf8))
            #expect(series.layers.contains("blk.0"))
            #expect(!series.segments.isEmpty)
            #expect(record.diskCeiling != nil)
            #expect(
                FileManager.default.fileExists(
                    atPath: run.appendingPathComponent("page-trace-trial-\(index).json").path))
        }
        let outcomes = try store.readRun().trials.flatMap(\.outcomes)
        let pinned = try #require(outcomes.first { $0.name == "lock_memory" })
        #expect(pinned.applied, "\(pinned.reason)")
        #expect(pinned.reason.contains("pinned by pid"), "\(pinned.reason)")
        let pid = pinned.reason.split(separator: " ").drop { $0 != "pid" }.dropFirst().first.map(String.init) ?? ""
        #expect(Int32(pid) != nil, "\(pinned.reason)")
        #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)/status"), "the locker (pid \(pid)) is gone")

        let html = try String(contentsOf: RunReport.write(directory: run), encoding: .utf8)
        for section in [
            "How the model&#39;s pages moved", "Paging: the study&#39;s answers", "Reads by file offset over time",
            "Resident share of each layer over time",
        ] {
            #expect(html.contains(section), "\(section)")
        }
    }
}
