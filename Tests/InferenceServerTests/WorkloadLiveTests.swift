import Foundation
import InferLabCore
import LoadGen
import TestSupport
import Testing

/// Every workload of `inferlab bench` end to end on the real model, against InferLab's server
/// and llama-server: prompts counted by the server's own `/tokenize`, real streams, real hang-ups.
@Suite("Workloads against the real servers", .serialized)
struct WorkloadLiveTests {
    /// The default model's name as each server serves it.
    static let model = URL(fileURLWithPath: TestPaths.defaultModel).deletingPathExtension().lastPathComponent

    static func base(_ url: String) -> BenchConfiguration {
        var c = BenchConfiguration()
        c.url = url
        c.model = model
        c.timeoutSeconds = 120
        c.concurrency = 2
        return c
    }

    /// Runs every workload type against the server at `url`; `name` labels the failures.
    func everyWorkload(url: String, name: String) async throws {
        let directory = TestPaths.temporaryDirectory("workloads")
        defer { try? FileManager.default.removeItem(at: directory) }

        // Synthetic lengths, counted by the server's tokenizer: the prompt is what was asked for.
        var synthetic = Self.base(url)
        synthetic.api = .completions
        synthetic.inputTokens = .fixed(64)
        synthetic.outputTokens = .fixed(4)
        synthetic.requests = 2
        let s = try await BenchRunner(synthetic).run()
        #expect(s.summary.requests.completed == 2, "\(name): \(s.records.compactMap(\.errorMessage))")
        for record in s.records {
            #expect(
                (64...65).contains(record.usagePromptTokens ?? 0), "\(name): prompt \(record.usagePromptTokens ?? -1)")
            #expect(record.usageCompletionTokens == 4, "\(name)")
        }

        // A ShareGPT dataset, the reply's length as max_tokens.
        let sharegpt = directory.appendingPathComponent("sg.json").path
        try Data(
            #"[{"id": "a", "conversations": [{"from": "human", "value": "Name a colour."}, {"from": "gpt", "value": "Blue is one."}]}, {"id": "b", "conversations": [{"from": "human", "value": "Say hi."}, {"from": "gpt", "value": "Hi!"}]}]"#
                .utf8
        ).write(to: URL(fileURLWithPath: sharegpt))
        var dataset = Self.base(url)
        dataset.datasetPath = sharegpt
        dataset.requests = 2
        let d = try await BenchRunner(dataset).run()
        #expect(d.summary.requests.completed == 2, "\(name): \(d.records.compactMap(\.errorMessage))")
        #expect(d.workload.contains("dataset"))

        // Shared prefixes: two groups of 96 tokens each before every prompt.
        var shared = Self.base(url)
        shared.sharedPrefixGroups = 2
        shared.sharedPrefixTokens = 96
        shared.outputTokens = .fixed(4)
        shared.requests = 2
        let p = try await BenchRunner(shared).run()
        #expect(p.summary.requests.completed == 2, "\(name): \(p.records.compactMap(\.errorMessage))")
        #expect(p.records.allSatisfy { ($0.usagePromptTokens ?? 0) > 96 }, "\(name)")

        // Sessions: every turn carries the history, so each session's prompts grow.
        var sessions = Self.base(url)
        sessions.sessions = 2
        sessions.turns = 2
        sessions.thinkTimeSeconds = 0.05
        sessions.outputTokens = .fixed(6)
        sessions.requests = 4
        let t = try await BenchRunner(sessions).run()
        #expect(t.summary.requests.completed == 4, "\(name): \(t.records.compactMap(\.errorMessage))")
        for (session, turns) in Dictionary(grouping: t.records, by: { $0.session ?? "" }) {
            let prompts = turns.sorted { ($0.turn ?? 0) < ($1.turn ?? 0) }.compactMap(\.usagePromptTokens)
            #expect(
                prompts == prompts.sorted() && Set(prompts).count == prompts.count, "\(name) \(session): \(prompts)")
            #expect(turns.map { $0.turn ?? -1 }.sorted() == Array(0..<turns.count))
        }

        // A trace replayed at twice its speed, with a session carrying its history.
        let trace = directory.appendingPathComponent("trace.jsonl").path
        try Data(
            """
            {"t": 0, "input_tokens": 40, "output_tokens": 4, "session": "u"}
            {"t": 0.4, "input_tokens": 20, "output_tokens": 3}
            {"t": 2.0, "input_tokens": 30, "output_tokens": 5, "session": "u"}
            """.utf8
        ).write(to: URL(fileURLWithPath: trace))
        var replay = Self.base(url)
        replay.tracePath = trace
        replay.traceSpeed = 2
        let r = try await BenchRunner(replay).run()
        #expect(r.summary.requests.completed == 3, "\(name): \(r.records.compactMap(\.errorMessage))")
        let bySeq = r.records.sorted { $0.seq < $1.seq }
        #expect(bySeq.map(\.outputTokens) == [4, 3, 5])
        let offsets = bySeq.map { ($0.scheduled - bySeq[0].scheduled).seconds }
        #expect(abs(offsets[1] - 0.2) < 0.05 && abs(offsets[2] - 1.0) < 0.05, "\(offsets)")
        // The session's second request carries the first's exchange: more than its own 30 tokens.
        #expect((bySeq[2].usagePromptTokens ?? 0) > 40 + 4, "\(name): \(bySeq.map(\.usagePromptTokens))")

        // Hang-ups after 3 tokens, with the server's metrics scraped meanwhile.
        var cancel = Self.base(url)
        cancel.cancelFraction = 0.5
        cancel.cancelAfter = .tokens(3)
        cancel.maxTokens = 16
        cancel.ignoreEOS = true
        cancel.requests = 6
        cancel.serverMetricsURL = "/metrics"
        cancel.serverMetricsInterval = 0.2
        let c = try await BenchRunner(cancel).run()
        #expect(c.summary.requests.failed == 0, "\(name): \(c.records.compactMap(\.errorMessage))")
        #expect(c.summary.requests.cancelled > 0 && c.summary.requests.completed > 0)
        #expect(c.records.filter(\.succeeded).allSatisfy { $0.outputTokens == 16 })
        let metrics = try #require(c.serverMetrics)
        #expect(metrics.scrapes > 0 && metrics.failedScrapes == 0, "\(name): \(metrics.firstFailure ?? "")")
        #expect(!metrics.peaks.isEmpty, "\(name): \(Set(metrics.samples.map(\.name)).sorted())")

        // A rate search with windows of two requests: two rates tried, the SLO generous.
        var search = Self.base(url)
        search.scenario = .maxRate
        search.rate = 1
        search.requests = 2
        search.maxRateSteps = 2
        search.maxTokens = 4
        search.slo = ServiceLevelObjectives(e2eMs: 60_000)
        let m = try await BenchRunner(search).run()
        let found = try #require(m.rateSearch)
        #expect(found.tried.map(\.rate) == [1, 2])
        #expect(found.rate == 2 && found.goodputFraction == 1, "\(name): \(found.tried)")
    }

    @Test("every workload type against InferLab's server")
    func inferlab() async throws {
        let server = try LiveServer(["--max-seqs", "4"])
        try await server.waitReady(timeout: 60)
        try await everyWorkload(url: server.base, name: "inferlab")
    }

    @Test("every workload type against llama-server")
    func llamaServer() async throws {
        guard LlamaServerProcess.isAvailable else {
            Issue.record("llama-server or the default model is missing; run scripts/bootstrap")
            return
        }
        let server = try LlamaServerProcess.start(parallel: 4, extraArguments: ["--metrics"])
        defer { server.stop() }
        try await everyWorkload(url: server.url, name: "llama-server")
    }
}
