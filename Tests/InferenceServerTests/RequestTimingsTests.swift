import Foundation
import Hummingbird
import HummingbirdTesting
import InferLabCore
import InferenceCore
import InferenceServer
import LoadGen
import NIOCore
import Testing

/// The server's record of a request reaches the client: the final `timings` names the request as
/// the server logged it and the engine got it, with the engine's instants on the monotonic clock.
@Suite("The request's id and instants in timings")
struct RequestTimingsTests {
    func server(_ backend: FakeBackend, logger recorder: LogRecorder) -> InferenceServer {
        var configuration = ServerConfiguration()
        configuration.model = "fake"
        let server = InferenceServer(configuration: configuration, logger: recorder.logger)
        server.state.ready(backend)
        return server
    }

    /// The engine's instants of the request, in the order they happen.
    func expectOrdered(_ timings: ServerTimings, _ comment: Comment? = nil) throws {
        let arrival = try #require(timings.arrival, comment)
        let admitted = try #require(timings.admitted, comment)
        let prefillStart = try #require(timings.prefillStart, comment)
        let firstToken = try #require(timings.firstToken, comment)
        let lastToken = try #require(timings.lastToken, comment)
        #expect(arrival <= admitted && admitted <= prefillStart, comment)
        #expect(prefillStart <= firstToken && firstToken <= lastToken, comment)
        // The fake admits 2 ms after arrival: these are the engine's instants, not zeros or copies.
        #expect(admitted - arrival >= .milliseconds(2), comment)
    }

    @Test(arguments: ["/v1/chat/completions", "/v1/completions", "/generate"], [true, false])
    func theFinalTimingsCarryTheLoggedIdAndTheEngineInstants(path: String, stream: Bool) async throws {
        let recorder = LogRecorder()
        let backend = FakeBackend(tokenDelay: .milliseconds(1), admissionDelay: .milliseconds(2))
        let app = Application(router: server(backend, logger: recorder).router())
        let prompt =
            path == "/v1/chat/completions"
            ? #""messages":[{"role":"user","content":"hello there"}]"# : #""prompt":"once""#
        try await app.test(.router) { client in
            let response = try await client.execute(
                uri: path, method: .post, body: ByteBuffer(string: "{\(prompt),\"max_tokens\":3,\"stream\":\(stream)}"))
            #expect(response.status == .ok)
            let body = String(buffer: response.body)
            let payloads: [String]
            if stream {
                #expect(try StrictSSE(body).done)
                payloads = body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }.map {
                    String($0.dropFirst(6))
                }
            } else {
                payloads = [body]
            }
            // Only the last payload (the final chunk, or the whole body) carries timings.
            let chunks = payloads.compactMap { StreamChunk.decode(Array($0.utf8)) }
            #expect(chunks.count == payloads.count)
            #expect(chunks.dropLast().allSatisfy { $0.timings == nil })
            let timings = try #require(chunks.last?.timings)
            let logged = recorder.requestIds
            #expect(logged.count == 1)
            #expect(timings.id == logged.first && backend.requestIds == logged)
            #expect(timings.id?.hasPrefix(path == "/v1/chat/completions" ? "chatcmpl-" : "cmpl-") == true)
            try expectOrdered(timings)
            // On the wire: the keys as documented, the instants as integer nanoseconds.
            let last = try json(try #require(payloads.last))
            let wire = try #require(last["timings"] as? [String: Any])
            for key in ["arrival_ns", "admitted_ns", "prefill_start_ns", "first_token_ns", "last_token_ns"] {
                #expect((wire[key] as? NSNumber)?.uint64Value != nil && !(wire[key] is String), "timings.\(key)")
            }
            #expect(wire["id"] as? String == timings.id)
            if path != "/generate" { #expect(last["id"] as? String == timings.id) }
        }
    }

    /// Over real HTTP, the load generator keeps each request's server record: its timings carry the
    /// id the server logged for it, and the server's instants lie inside the client's send and finish.
    @Test(arguments: [BenchConfiguration.API.chat, .completions], [true, false])
    func theLoadGeneratorRecordsTheServersIdAndInstants(api: BenchConfiguration.API, stream: Bool) async throws {
        let recorder = LogRecorder()
        let backend = FakeBackend(tokenDelay: .milliseconds(1), admissionDelay: .milliseconds(2))
        let app = Application(router: server(backend, logger: recorder).router())
        let records = try await app.test(.live) { client in
            var bench = BenchConfiguration()
            bench.url = "http://localhost:\(try #require(client.port))"
            bench.api = api
            bench.model = "fake"
            bench.stream = stream
            bench.requests = 4
            bench.concurrency = 2
            let corpus = Corpus(entries: [
                CorpusEntry(id: "a", prompt: "Say hello.", maxTokens: 3, class: "short"),
                CorpusEntry(id: "b", prompt: "Count to three.", maxTokens: 4, class: "short"),
            ])
            return try await BenchRunner(bench, corpus: corpus).run().records
        }
        #expect(records.count == 4 && records.allSatisfy(\.succeeded))
        let ids = records.compactMap { $0.timings?.id }
        #expect(ids.count == 4 && Set(ids).count == 4)
        #expect(Set(ids) == Set(recorder.requestIds) && Set(ids) == Set(backend.requestIds))
        for record in records {
            let timings = try #require(record.timings)
            try expectOrdered(timings, "\(timings.id ?? "?")")
            // One clock in one process: the client sent before the server saw the request, and
            // finished after the engine's last token.
            #expect(record.sent <= (timings.arrival ?? .zero) && (timings.lastToken ?? .zero) <= record.finished)
        }
    }
}
