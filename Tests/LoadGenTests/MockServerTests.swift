import Foundation
import InferLabCore
import LoadGen
@testable import RunStore
import Testing

@Suite("End to end against the mock server")
struct MockServerTests {
    static let corpus = Corpus(entries: [
        CorpusEntry(id: "a", prompt: "hello", maxTokens: 8, class: "short"),
        CorpusEntry(id: "b", messages: [.init(role: "user", content: "hi")], maxTokens: 8, class: "short"),
    ])

    func configuration(_ server: MockOpenAIServer, requests: Int = 4, concurrency: Int = 2) -> BenchConfiguration {
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = requests
        c.concurrency = concurrency
        c.timeoutSeconds = 10
        return c
    }

    @Test("closed loop: every request completes with the server's token count and stored rows")
    func closedLoop() async throws {
        let server = try await MockOpenAIServer.start(behavior: .init(tokens: 12, interval: .milliseconds(2)))
        defer { Task { await server.stop() } }
        let directory = TestDirectory()
        let store = try RunStore(path: directory.path("r.sqlite"))
        var c = configuration(server, requests: 6, concurrency: 2)
        c.warmupRequests = 2
        let result = try await BenchRunner(c, corpus: Self.corpus).run(store: store)
        #expect(result.records.count == 6)
        #expect(result.summary.requests.completed == 6)
        #expect(result.summary.requests.failed == 0)
        #expect(result.summary.tokenCountSource == "usage")
        #expect(result.summary.outputTokens == 72)
        for record in result.records {
            #expect(record.contentEventCount == 12)
            #expect(record.usageCompletionTokens == 12)
            #expect(record.timings?.predictedN == 12)
            #expect(record.events.last?.kind == .done)
            let itl = record.interTokenLatenciesMs
            #expect(itl.count == 11)
            let span = try #require(record.lastContent) - (try #require(record.firstContent))
            #expect(abs(itl.reduce(0, +) - span.milliseconds) < 1e-6)
            // The server sends token i no earlier than (i + 1) * 2 ms after the request arrived.
            #expect(try #require(record.e2eMs) >= 24)
            #expect(try #require(record.ttftMs) >= 2)
        }
        #expect(result.summary.peakInFlight <= 2)
        let counts = try store.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? -1,
                try String.fetchOne(db, sql: "SELECT server_info_json FROM runs") ?? ""
            )
        }
        #expect(counts.0 == 6)  // warm-up requests are not stored
        #expect(counts.1 == 6 * (12 + 3))  // tokens + finish chunk + usage chunk + [DONE]
        #expect(counts.2.contains("\"mock\""))
    }

    @Test("calibration: client timing error is small and rates are positive")
    func calibrate() async throws {
        var options = Calibrator.Options()
        options.timingTokens = 200
        options.timingStreams = 2
        options.rateTokens = 2000
        options.rateStreams = 2
        options.rateRequests = 100
        let report = try await Calibrator(options: options).run()
        print("calibrate:", report)
        #expect(report.failed == 0)
        #expect(report.gaps == 2 * 199)
        #expect(report.maxEventsPerS > 0)
        #expect(report.maxRequestsPerS > 0)
        #expect(report.timingErrorMs.p50 < 1.0)
    }
}

/// A temporary directory for one test.
struct TestDirectory {
    let url: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "loadgen-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}
