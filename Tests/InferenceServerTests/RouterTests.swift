import Foundation
import Hummingbird
import HummingbirdTesting
import InferenceServer
import InferenceCore
import NIOCore
import Testing

@Suite("Router against a fake engine")
struct RouterTests {
    func server(_ configure: (inout ServerConfiguration) -> Void = { _ in }, backend: FakeBackend = FakeBackend())
        -> (InferenceServer, FakeBackend)
    {
        var configuration = ServerConfiguration()
        configuration.model = "fake"
        configure(&configuration)
        let server = InferenceServer(configuration: configuration)
        server.state.ready(backend)
        return (server, backend)
    }

    func post(_ client: some TestClientProtocol, _ path: String, _ body: String, headers: HTTPFields = [:]) async throws
        -> TestResponse
    {
        try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func chatStreamFollowsTheOpenAIWireFormat() async throws {
        let (server, _) = server()
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let response = try await post(
                client, "/v1/chat/completions",
                #"{"model":"fake","messages":[{"role":"user","content":"hello there"}],"max_tokens":3,"stream":true,"stream_options":{"include_usage":true}}"#
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            let sse = try StrictSSE(String(buffer: response.body))
            #expect(sse.done)
            let ids = Set(sse.events.compactMap { $0["id"] as? String })
            #expect(ids.count == 1, "one stable id")
            let first = try #require((sse.events.first?["choices"] as? [[String: Any]])?.first)
            #expect((first["delta"] as? [String: Any])?["role"] as? String == "assistant")
            #expect(first.keys.contains("finish_reason"))
            let contents = sse.events.compactMap {
                (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String
            }
            #expect(contents.joined() == "w0 w1 w2 ")
            // final choice chunk: finish_reason and timings
            let final = try #require(sse.events.dropLast().last)
            #expect((final["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "length")
            let timings = try #require(final["timings"] as? [String: Any])
            for key in [
                "queue_ms", "prompt_n", "cache_n", "prompt_ms", "predicted_n", "predicted_ms", "predicted_per_second",
            ] {
                #expect(timings[key] != nil, "timings.\(key)")
            }
            // usage chunk: choices [] and cached tokens
            let usageChunk = try #require(sse.events.last)
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            let usage = try #require(usageChunk["usage"] as? [String: Any])
            #expect(usage["completion_tokens"] as? Int == 3)
            #expect((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int == 0)
            for event in sse.events { #expect(event["object"] as? String == "chat.completion.chunk") }
        }
    }

    @Test func wholeResponsesOfEachEndpoint() async throws {
        let (server, _) = server()
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let chat = try json(
                String(
                    buffer: try await post(
                        client, "/v1/chat/completions", #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}"#
                    ).body))
            #expect(chat["object"] as? String == "chat.completion")
            let message = (chat["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
            #expect(message?["content"] as? String == "w0 w1 ")
            #expect(chat["timings"] != nil && chat["usage"] != nil)

            let completion = try json(
                String(
                    buffer: try await post(client, "/v1/completions", #"{"prompt":"once upon","max_tokens":2}"#).body))
            #expect(completion["object"] as? String == "text_completion")
            #expect((completion["choices"] as? [[String: Any]])?.first?["text"] as? String == "w0 w1 ")

            let generate = try json(
                String(buffer: try await post(client, "/generate", #"{"prompt":"once upon","max_tokens":4}"#).body))
            #expect(generate["text"] as? String == "w0 w1 w2 w3 ")
            #expect((generate["usage"] as? [String: Any])?["completion_tokens"] as? Int == 4)
            #expect(generate["timings"] != nil)

            let models = try json(String(buffer: try await client.execute(uri: "/v1/models", method: .get).body))
            #expect(((models["data"] as? [[String: Any]])?.first?["id"]) as? String == "fake")
        }
    }

    @Test(
        arguments: [
            (#"{"messages": [ {"role":"user","content":"hi"} "#, 400, "invalid_json", nil),
            (#"{"max_tokens": 4}"#, 400, "missing_field", "messages"),
            (#"{"messages":"hello"}"#, 400, "invalid_type", "messages"),
            (#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":"many"}"#, 400, "invalid_type", "max_tokens"),
            (#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":0}"#, 400, "invalid_value", "max_tokens"),
            (#"{"messages":[{"role":"user","content":"hi"}],"temperature":-1}"#, 400, "invalid_value", "temperature"),
            (#"{"messages":[{"role":"user","content":"hi"}],"top_p":0}"#, 400, "invalid_value", "top_p"),
            (#"{"messages":[{"role":"user","content":"hi"}],"top_p":2}"#, 400, "invalid_value", "top_p"),
            (#"{"messages":[]}"#, 400, "invalid_value", "messages"),
            (#"{"messages":[{"role":"wizard","content":"hi"}]}"#, 400, "invalid_value", "messages[0].role"),
            (#"{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}"#, 404, "model_not_found", "model"),
            (#"{"messages":[{"role":"user","content":"hi"}],"n":2}"#, 400, "invalid_value", "n"),
            (
                #"{"messages":[{"role":"user","content":"hi"}],"max_tokens":250}"#, 400, "context_length_exceeded",
                "messages"
            ),
        ] as [(String, Int, String, String?)])
    func badRequestsGetOpenAIErrors(body: String, status: Int, code: String, param: String?) async throws {
        let (server, backend) = server()
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let response = try await post(client, "/v1/chat/completions", body)
            #expect(Int(response.status.code) == status)
            let error = try #require(try json(String(buffer: response.body))["error"] as? [String: Any])
            #expect(error["code"] as? String == code)
            #expect(error["param"] as? String == param)
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(error["type"] as? String == "invalid_request_error")
            #expect(error.keys.contains("param"))
        }
        #expect(backend.requestsStarted == 0, "a rejected request never reaches the engine")
    }

    @Test func contextErrorNamesPromptTokensAndContext() async throws {
        let (server, _) = server()
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let response = try await post(client, "/v1/completions", #"{"prompt":"abcdefgh","max_tokens":253}"#)
            let error = try #require(try json(String(buffer: response.body))["error"] as? [String: Any])
            let message = try #require(error["message"] as? String)
            #expect(message.contains("n_prompt_tokens 4") && message.contains("n_ctx is 256"))
        }
    }

    @Test func apiKeyIsRequiredWhenSet() async throws {
        let (server, _) = server { $0.apiKey = "sesame" }
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let body = #"{"prompt":"hi","max_tokens":1}"#
            let missing = try await post(client, "/v1/completions", body)
            let wrong = try await post(client, "/v1/completions", body, headers: [.authorization: "Bearer wrong"])
            let right = try await post(client, "/v1/completions", body, headers: [.authorization: "Bearer sesame"])
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(missing.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            #expect(right.status == .ok)
            #expect(health.status == .ok)
        }
    }

    @Test func oversizedBodiesGet413() async throws {
        let (server, _) = server { $0.maxBodyBytes = 2048 }
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let big = #"{"prompt":""# + String(repeating: "x", count: 5000) + #"","max_tokens":1}"#
            let response = try await post(client, "/v1/completions", big)
            #expect(response.status == .contentTooLarge)
            #expect(try json(String(buffer: response.body))["error"] != nil)
        }
    }

    @Test func aFullQueueGets429WithRetryAfter() async throws {
        // The fake keeps each request queued for 300 ms before admitting it; one sequence and a
        // queue of 2 take three requests at once.
        let backend = FakeBackend(contextLength: 4096, admissionDelay: .milliseconds(300))
        let (server, _) = server(
            {
                $0.engine.scheduler.maxSequences = 1
                $0.maxQueue = 2
            }, backend: backend)
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await post(client, "/v1/completions", #"{"prompt":"hello world","max_tokens":10}"#).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.contains(.ok))
            let rejected = statuses.filter { $0 == .tooManyRequests }
            #expect(rejected.count == 3, "6 concurrent requests to 1 sequence and a queue of 2: \(statuses)")
            let response = try await post(client, "/v1/completions", #"{"prompt":"x y","max_tokens":1}"#)
            #expect(response.status == .ok, "places are released after requests finish")
        }
    }

    /// Regression: `--max-seqs 4 --max-queue 2` refused one of four simultaneous requests although
    /// four sequences were free: it counted requests on their way to the engine as queued.
    @Test func fourSimultaneousRequestsToFourSequencesAreAllServed() async throws {
        let backend = FakeBackend(contextLength: 4096, holding: true)
        let (server, _) = server(Self.fourSequencesQueueOfTwo, backend: backend)
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await post(client, "/v1/completions", #"{"prompt":"hello","max_tokens":2}"#).status
                    }
                }
                let held = await backend.waitUntilStarted(4)
                backend.release()
                #expect(held, "all four reached the engine before any was admitted")
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == [.ok, .ok, .ok, .ok])
        }
    }

    @Test func theSeventhConcurrentRequestGets429WhileSixAreHeld() async throws {
        let backend = FakeBackend(contextLength: 4096, holding: true)
        let (server, _) = server(Self.fourSequencesQueueOfTwo, backend: backend)
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await post(client, "/v1/completions", #"{"prompt":"hello","max_tokens":2}"#).status
                    }
                }
                #expect(await backend.waitUntilStarted(6), "four running and two waiting")
                let seventh = try await post(client, "/v1/completions", #"{"prompt":"hello","max_tokens":2}"#)
                backend.release()
                #expect(seventh.status == .tooManyRequests)
                #expect(seventh.headers[.retryAfter] == "1")
                let error = try #require(try json(String(buffer: seventh.body))["error"] as? [String: Any])
                #expect(error["code"] as? String == "queue_full")
                #expect(error["type"] as? String == "rate_limit_error")
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == [HTTPResponse.Status](repeating: .ok, count: 6))
            #expect(backend.requestsStarted == 6, "the refused request never reached the engine")
        }
    }

    /// With one sequence and no queue, a place not given back would refuse every later request.
    @Test func everyWayARequestEndsGivesItsPlaceBack() async throws {
        let (server, _) = server {
            $0.engine.scheduler.maxSequences = 1
            $0.maxQueue = 0
        }
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let endings = [
                #"{"prompt":"hello","max_tokens":2}"#,
                #"{"prompt":"hello","max_tokens":2,"stream":true}"#,
                #"{"prompt":"hello","max_tokens":255}"#,
                #"{"prompt":"hello","max_tokens":2,"stream":true}"#,
            ]
            var statuses: [HTTPResponse.Status] = []
            for body in endings { statuses.append(try await post(client, "/v1/completions", body).status) }
            #expect(statuses == [.ok, .ok, .badRequest, .ok])
            let last = try await post(client, "/v1/completions", #"{"prompt":"hello","max_tokens":2}"#)
            #expect(last.status == .ok)
        }
    }

    /// While a request waits for its first token its stream carries `: waiting` comments (every
    /// 50 ms), then the events as usual.
    @Test func aStreamWaitingForItsFirstTokenSendsHeartbeats() async throws {
        let (server, _) = server(backend: FakeBackend(admissionDelay: .milliseconds(300)))
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let response = try await post(
                client, "/v1/completions", #"{"prompt":"hello","max_tokens":3,"stream":true}"#)
            let sse = try StrictSSE(String(buffer: response.body))
            #expect(sse.comments >= 3, "\(sse.comments) heartbeats in 300 ms")
            #expect(sse.done)
            let text = sse.events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["text"] as? String }
            #expect(text.joined() == "w0 w1 w2 ")
        }
    }

    static func fourSequencesQueueOfTwo(_ configuration: inout ServerConfiguration) {
        configuration.engine.scheduler.maxSequences = 4
        configuration.maxQueue = 2
    }

    @Test func healthIs503WhileLoadingAndDraining() async throws {
        var configuration = ServerConfiguration()
        configuration.model = "fake"
        let server = InferenceServer(configuration: configuration)
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            let loading = try await client.execute(uri: "/health", method: .get)
            #expect(loading.status == .serviceUnavailable)
            server.state.ready(FakeBackend())
            let ok = try await client.execute(uri: "/health", method: .get)
            #expect(ok.status == .ok)
            #expect(try json(String(buffer: ok.body))["status"] as? String == "ok")
            server.state.drain()
            let draining = try await client.execute(uri: "/health", method: .get)
            #expect(draining.status == .serviceUnavailable)
            let refused = try await post(client, "/v1/completions", #"{"prompt":"hi","max_tokens":1}"#)
            #expect(refused.status == .serviceUnavailable)
        }
    }

    @Test func metricsExposeTheRequiredFamilies() async throws {
        let (server, _) = server()
        let app = Application(router: server.router())
        try await app.test(.router) { client in
            _ = try await post(client, "/v1/completions", #"{"prompt":"hello","max_tokens":3}"#)
            _ = try await post(client, "/v1/completions", #"{"prompt":"hello","max_tokens":0}"#)
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            for family in [
                "inferlab_requests_total{status=\"200\"} 1", "inferlab_requests_total{status=\"400\"} 1",
                "inferlab_queue_depth", "inferlab_running_sequences", "inferlab_kv_cells_used",
                "inferlab_kv_cells_total",
                "inferlab_prompt_tokens_total", "inferlab_completion_tokens_total 3", "inferlab_ttft_seconds_bucket",
                "inferlab_itl_seconds_bucket", "inferlab_e2e_seconds_bucket", "inferlab_queue_seconds_bucket",
                "inferlab_cancellations_total", "inferlab_prefix_cache_hits_total",
                "inferlab_prefix_cache_tokens_total",
            ] {
                #expect(text.contains(family), "missing \(family)")
            }
        }
    }
}
