import Foundation
import LoadGen
@testable import RunStore
import TestSupport
import Testing

@Suite("Cross-check against llama-server on the real model")
struct LlamaServerCrossCheckTests {
    @Test("client decode rate within 10 % of timings.predicted_per_second; token counts equal")
    func crossCheck() async throws {
        guard LlamaServerProcess.isAvailable else {
            Issue.record("llama-server or the default model is missing; run scripts/bootstrap")
            return
        }
        let server = try LlamaServerProcess.start(parallel: 4)
        defer { server.stop() }
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = 8
        c.concurrency = 2
        c.maxTokens = 32
        c.ignoreEOS = true
        c.warmupRequests = 1
        c.timeoutSeconds = 120
        let corpus = try Corpus.load(path: TestPaths.root.appendingPathComponent("data/prompts.jsonl").path)
        let short = Corpus(entries: corpus.entries.filter { $0.class == "short" }.prefix(9).map { $0 })
        let store = try RunStore(path: TestDirectory().path("cross.sqlite"))
        let result = try await BenchRunner(c, corpus: short).run(store: store)
        #expect(result.summary.requests.completed == 8, "\(result.records.compactMap(\.errorMessage))")
        #expect(result.summary.tokenCountSource == "usage")
        #expect(result.serverInfo?.contains("\"data\"") == true)
        let check = CrossCheck(records: result.records)
        for row in check.rows {
            print(
                String(
                    format:
                        "cross-check %@: client %.1f tok/s, server %.1f tok/s (%+.1f %%), events %d, usage %d, predicted_n %d",
                    row.corpusId, row.clientTokensPerS, row.serverTokensPerS, row.relativeDifference * 100,
                    row.contentEvents, row.usageCompletionTokens ?? -1, row.serverPredictedN ?? -1))
        }
        #expect(check.rows.count == 8)
        #expect(check.maxRelativeDifference <= 0.10)
        #expect(check.usageMatchesServer)
        #expect(result.records.allSatisfy { $0.usageCompletionTokens == 32 })
        #expect(check.eventsMatchUsage)
        #expect(result.records.allSatisfy { $0.timings?.promptN != nil })
    }
}
