import Foundation
import LoadGen
@testable import RunStore
import TestSupport
import Testing

@Suite("Bad input: each a clear message or an error row; the results file stays readable")
struct BadInputTests {
    static let corpus = Corpus(entries: [CorpusEntry(id: "a", prompt: "hello", maxTokens: 8, class: "short")])

    func run(_ mode: MockOpenAIServer.Behavior.Mode, requests: Int = 3) async throws -> (BenchResult, RunStore) {
        let server = try await MockOpenAIServer.start(
            behavior: .init(tokens: 6, interval: .microseconds(500), mode: mode))
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = requests
        c.concurrency = 1
        c.timeoutSeconds = 10
        let store = try RunStore(path: TestDirectory().path("bad.sqlite"))
        let result: BenchResult
        do {
            result = try await BenchRunner(c, corpus: Self.corpus).run(store: store)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        return (result, store)
    }

    func expectStoredFailures(_ store: RunStore, _ errorClass: ErrorClass, count: Int) throws {
        let rows = try store.read { db in try RequestRow.fetchAll(db) }
        #expect(rows.count == count)
        #expect(rows.allSatisfy { $0.errorClass == errorClass.rawValue && $0.errorMessage?.isEmpty == false })
        let summary = try store.read { db in try String.fetchOne(db, sql: "SELECT summary_json FROM runs") }
        #expect(summary?.contains("\"\(errorClass.rawValue)\":\(count)") == true)
    }

    @Test("HTTP error status")
    func httpError() async throws {
        let (result, store) = try await run(.httpError(status: 503))
        #expect(result.summary.errors == ["http_status": 3])
        #expect(result.records.allSatisfy { $0.status == 503 && $0.errorMessage?.contains("503") == true })
        try expectStoredFailures(store, .httpStatus, count: 3)
    }

    @Test("server closing mid-stream")
    func closedMidStream() async throws {
        let (result, store) = try await run(.closeMidStream(afterTokens: 3))
        #expect(result.summary.requests.failed == 3)
        #expect(result.records.allSatisfy { $0.errorClass == .malformedStream && $0.contentEventCount == 3 })
        try expectStoredFailures(store, .malformedStream, count: 3)
    }

    @Test("malformed JSON in a chunk")
    func malformedChunk() async throws {
        let (result, store) = try await run(.malformedChunk(atToken: 2))
        #expect(
            result.records.allSatisfy {
                $0.errorClass == .malformedStream && $0.errorMessage?.contains("not JSON") == true
            })
        try expectStoredFailures(store, .malformedStream, count: 3)
    }

    @Test("a non-SSE response")
    func notSSE() async throws {
        let (result, _) = try await run(.notSSE)
        #expect(
            result.records.allSatisfy {
                $0.errorClass == .malformedStream && $0.errorMessage?.contains("text/html") == true
            })
    }

    @Test("an error event mid-stream")
    func errorEvent() async throws {
        let (result, _) = try await run(.errorEvent(atToken: 2))
        #expect(
            result.records.allSatisfy { $0.errorClass == .serverError && $0.errorMessage == "mock failure mid-stream" })
    }

    @Test("unreachable URL: connect errors, the run finishes")
    func unreachable() async throws {
        var c = BenchConfiguration()
        c.url = "http://127.0.0.1:\(freeLoopbackPort())"
        c.requests = 2
        let store = try RunStore(path: TestDirectory().path("unreachable.sqlite"))
        let result = try await BenchRunner(c, corpus: Self.corpus).run(store: store)
        #expect(result.summary.errors == ["connect": 2])
        #expect(result.serverInfo == nil)
        try expectStoredFailures(store, .connect, count: 2)
    }

    @Test("timeout")
    func timeout() async throws {
        let server = try await MockOpenAIServer.start(behavior: .init(tokens: 50, interval: .milliseconds(20)))
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = 1
        c.timeoutSeconds = 0.2
        let result = try await BenchRunner(c, corpus: Self.corpus).run()
        await server.stop()
        #expect(result.summary.errors == ["timeout": 1])
    }

    @Test("invalid configurations name the bad field")
    func validation() {
        func field(_ change: (inout BenchConfiguration) -> Void) -> String {
            var c = BenchConfiguration()
            c.requests = 1
            change(&c)
            do {
                try c.validate()
                return "valid"
            } catch {
                return error.description
            }
        }
        #expect(field { _ in } == "valid")
        #expect(field { $0.concurrency = 0 }.hasPrefix("concurrency:"))
        #expect(field { $0.rate = -1 }.hasPrefix("rate:"))
        #expect(field { $0.scenario = .poisson }.hasPrefix("rate:"))
        #expect(field { $0.url = "localhost:8080" }.hasPrefix("url:"))
        #expect(
            field {
                $0.scenario = .offline; $0.requests = nil
            }.hasPrefix("requests:"))
        #expect(field { $0.scenario = .sweep }.hasPrefix("sweep:"))
        #expect(
            field {
                $0.scenario = .sweep; $0.sweep = [1.5]
            }.hasPrefix("sweep:"))
        #expect(field { $0.maxTokens = 0 }.hasPrefix("max_tokens:"))
        #expect(field { $0.burstiness = 0 }.hasPrefix("burstiness:"))
        #expect(field { $0.warmupRequests = -1 }.hasPrefix("warmup:"))
        #expect(field { $0.topP = 0 }.hasPrefix("top_p:"))
    }

    @Test("an empty corpus is refused before any request")
    func emptyCorpus() async {
        var c = BenchConfiguration()
        c.requests = 1
        await #expect(throws: LoadGenError.self) { try await BenchRunner(c, corpus: Corpus(entries: [])).run() }
    }

    @Test("CLI: concurrency 0, a negative rate, an empty corpus give exit 2 and one clear line")
    func cli() throws {
        let empty = TestDirectory().path("empty.jsonl")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let cases: [([String], String)] = [
            (["bench", "--concurrency", "0", "--no-store"], "concurrency"),
            (["bench", "run", "--scenario", "poisson", "--rate=-2", "--no-store"], "rate"),
            (["bench", "--corpus", empty, "--requests", "1", "--no-store"], "no prompts"),
        ]
        for (arguments, word) in cases {
            let result = try runInferLab(arguments)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("error: ") && result.stderr.contains(word), "\(result.stderr)")
        }
    }
}
