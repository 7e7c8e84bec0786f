import Foundation
import InferLabCore
import InferenceCore
import LoadGen
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Testing
import TestSupport

@Suite(
    "inferlab serve on the real model", .serialized,
    .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct LiveServerTests {
    static let prompts = [
        "Name three planets.", "What is the boiling point of water?", "Write a short greeting.",
        "List two primary colours.", "What is 12 times 12?", "Describe a cat in one sentence.",
        "Translate 'good morning' to French.", "Give one tip for sleeping well.",
    ]

    static func chat(_ prompt: String, maxTokens: Int = 24, stream: Bool = false) -> String {
        let content = prompt.replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"messages":[{"role":"user","content":""# + content
            + #""}],"max_tokens":\#(maxTokens),"temperature":0,"stream":\#(stream)}"#
    }

    static func content(_ body: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let message = (object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
        return try #require(message?["content"] as? String)
    }

    @Test func continuousBatchingGivesTheSameGreedyOutputsAsOneByOne() async throws {
        let server = try LiveServer(["--scheduler", "continuous", "--max-seqs", "8", "--ctx", "4096"])
        try await server.waitReady()
        var sequential: [String] = []
        for prompt in Self.prompts {
            let (status, body) = try await server.post("/v1/chat/completions", Self.chat(prompt))
            #expect(status == 200)
            sequential.append(try Self.content(body))
        }
        let concurrent = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (index, prompt) in Self.prompts.enumerated() {
                group.addTask {
                    let (_, body) = try await server.post("/v1/chat/completions", Self.chat(prompt))
                    return (index, try Self.content(body))
                }
            }
            var results = [String](repeating: "", count: Self.prompts.count)
            for try await (index, text) in group { results[index] = text }
            return results
        }
        for index in Self.prompts.indices {
            #expect(concurrent[index] == sequential[index], "prompt \(index) differs under continuous batching")
        }
        #expect(sequential.allSatisfy { !$0.isEmpty })
    }

    /// Regression (issue 15): `--max-seqs 4 --max-queue 2` answered one of four simultaneous
    /// requests with 429 "the queue is full" although four sequences were free.
    @Test func fourSimultaneousRequestsToFourSequencesAllGet200() async throws {
        let server = try LiveServer([
            "--scheduler", "continuous", "--max-seqs", "4", "--max-queue", "2", "--ctx", "4096",
        ])
        try await server.waitReady()
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for prompt in Self.prompts.prefix(4) {
                group.addTask { try await server.post("/v1/chat/completions", Self.chat(prompt, maxTokens: 16)).0 }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == [200, 200, 200, 200])
    }

    @Test func aDisconnectMidStreamFreesItsCells() async throws {
        let server = try LiveServer(["--scheduler", "continuous", "--ctx", "4096", "--max-seqs", "2"])
        try await server.waitReady()
        // A real client (curl) reads a long stream for one second, then hangs up.
        let body = Self.chat("Tell me a very long story about a lighthouse.", maxTokens: 1000, stream: true)
        let curl = try runProcess(
            "/usr/bin/curl",
            [
                "-sN", "--max-time", "1", "-H", "Content-Type: application/json", "-d", body,
                server.base + "/v1/chat/completions",
            ])
        let events = curl.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: {") }.count
        #expect(curl.status == 28, "curl timed out mid-stream (exit 28), got \(curl.status)")
        #expect(events >= 3, "the stream was flowing when the client left")
        #expect(!curl.stdout.contains("[DONE]"))
        var cancelled = 0.0
        var used = -1.0
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(50))
            cancelled = try await server.metric("inferlab_cancellations_total") ?? 0
            used = try await server.metric("inferlab_kv_cells_used") ?? -1
            if cancelled >= 1 && used == 0 { break }
        }
        #expect(cancelled == 1, "the disconnect was counted")
        #expect(used == 0, "the cancelled sequence's cells were freed")
        #expect(try await server.metric("inferlab_running_sequences") == 0)
    }

    /// A streamed request queued behind a long one hears only heartbeats; when its client leaves,
    /// the failed heartbeat cancels it while it is still queued.
    @Test func aClientThatLeavesWhileQueuedIsNoticed() async throws {
        let server = try LiveServer(["--scheduler", "continuous", "--ctx", "4096", "--max-seqs", "1"])
        try await server.waitReady()
        let long = #"{"prompt":"Tell me a long story.","max_tokens":1000,"temperature":0,"ignore_eos":true}"#
        let running = Task { try await server.post("/v1/completions", long) }
        defer {
            // The task holds the server; stop it here so the long request does not outlive the test.
            server.terminate(SIGKILL)
            running.cancel()
        }
        for _ in 0..<100 where try await server.metric("inferlab_running_sequences") != 1 {
            try await Task.sleep(for: .milliseconds(50))
        }
        let queued = Self.chat("Say hello.", maxTokens: 8, stream: true)
        let curl = try runProcess(
            "/usr/bin/curl",
            [
                "-sN", "--max-time", "0.5", "-H", "Content-Type: application/json", "-d", queued,
                server.base + "/v1/chat/completions",
            ])
        #expect(curl.status == 28, "curl timed out while queued (exit 28), got \(curl.status)")
        #expect(curl.stdout.hasPrefix(": waiting"))
        #expect(!curl.stdout.contains("data:"), "no token while queued")
        var cancelled = 0.0
        for _ in 0..<40 {
            cancelled = try await server.metric("inferlab_cancellations_total") ?? 0
            if cancelled >= 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(cancelled == 1, "the queued request was dropped when its client left")
        #expect(try await server.metric("inferlab_running_sequences") == 1, "the long request still runs")
    }

    /// `ignore_eos` (llama-server's and vLLM's extension) makes every answer exactly max_tokens long.
    @Test func ignoreEOSGeneratesMaxTokens() async throws {
        let server = try LiveServer(["--scheduler", "continuous", "--ctx", "2048", "--max-seqs", "1"])
        try await server.waitReady()
        let (status, body) = try await server.post(
            "/v1/completions", #"{"prompt":"The end.","max_tokens":300,"temperature":0,"ignore_eos":true}"#)
        #expect(status == 200)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect((object["usage"] as? [String: Any])?["completion_tokens"] as? Int == 300)
        #expect(((object["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String == "length")
    }

    /// The id in a response's `timings` is the id the step log names the request by: streamed or
    /// not, a client joins each request to exactly the engine steps it was in.
    @Test func theTimingsIdNamesTheRequestsStepsInTheStepLog() async throws {
        let directory = TestPaths.temporaryDirectory("live-steps")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("steps.jsonl").path
        let server = try LiveServer([
            "--scheduler", "continuous", "--ctx", "4096", "--max-seqs", "4", "--batch-tokens", "32", "--step-log", path,
        ])
        try await server.waitReady()
        let bodies = try await withThrowingTaskGroup(of: (Bool, String).self) { group in
            for (index, prompt) in Self.prompts.prefix(3).enumerated() {
                let stream = index == 1
                let body =
                    #"{"messages":[{"role":"user","content":"\#(prompt)"}],"max_tokens":12,"#
                    + #""temperature":0,"ignore_eos":true,"stream":\#(stream)}"#
                group.addTask { (stream, try await server.post("/v1/chat/completions", body).1) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let timings = try bodies.map { stream, body in
            let payloads = stream ? body.components(separatedBy: "\n\n").map { String($0.dropFirst(6)) } : [body]
            let all = payloads.compactMap { StreamChunk.decode(Array($0.utf8)) }.compactMap(\.timings)
            return try #require(all.last, "\(body)")
        }
        let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(StepRecord.self, from: Data($0.utf8))
        }
        let ids = timings.compactMap(\.id)
        #expect(ids.count == 3 && Set(ids).count == 3)
        #expect(Set(records.flatMap(\.requests).map(\.id)) == Set(ids))
        for request in timings {
            let id = try #require(request.id)
            let steps = records.filter { $0.requests.contains { $0.id == id } }
            let shares = steps.flatMap(\.requests).filter { $0.id == id }
            #expect(shares.reduce(0) { $0 + $1.prompt } == request.promptN, "\(id)")
            #expect(shares.reduce(0) { $0 + $1.decode } == (request.predictedN ?? 0) - 1, "\(id)")
            // The request's instants are the steps': its prefill started with its first step.
            #expect(steps.first?.start == request.prefillStart, "\(id)")
            #expect(try #require(request.arrival) <= request.admitted ?? .zero, "\(id)")
            #expect(try #require(steps.last?.start) <= request.lastToken ?? .zero, "\(id)")
        }
    }

    @Test func healthAnswersQuicklyDuringALongPrefill() async throws {
        let server = try LiveServer([
            "--scheduler", "continuous", "--ctx", "4096", "--max-seqs", "2", "--batch-tokens", "2048",
        ])
        try await server.waitReady()
        let long = String(repeating: "The engineers measured latency on ordinary processors. ", count: 240)
        let generation = Task { try await server.post("/v1/completions", #"{"prompt":"\#(long)","max_tokens":4}"#) }
        // Sample /health while the ~2,000-token prompt is being prefilled.
        try await Task.sleep(for: .milliseconds(150))
        var slowest = 0.0
        var sawPrefill = false
        for _ in 0..<10 {
            let start = Date()
            let (status, _) = try await server.get("/health")
            slowest = max(slowest, Date().timeIntervalSince(start))
            #expect(status == 200)
            if (try await server.metric("inferlab_running_sequences") ?? 0) > 0 { sawPrefill = true }
            try await Task.sleep(for: .milliseconds(30))
        }
        let (status, body) = try await generation.value
        #expect(status == 200, "\(body.prefix(200))")
        let usage = try #require(
            (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["usage"] as? [String: Any])
        #expect((usage["prompt_tokens"] as? Int ?? 0) >= 1800)
        #expect(sawPrefill, "the health checks overlapped the prefill")
        #expect(slowest < 0.050, "slowest /health took \(Int(slowest * 1000)) ms")
    }

    @Test func sigtermDrainsInFlightRequestsAndExitsZero() async throws {
        let server = try LiveServer(["--scheduler", "continuous", "--ctx", "4096", "--drain-timeout", "30"])
        try await server.waitReady()
        let inFlight = Task {
            try await server.post("/v1/chat/completions", Self.chat("Count from one to twenty.", maxTokens: 48))
        }
        try await Task.sleep(for: .milliseconds(300))
        server.terminate(SIGTERM)
        try await Task.sleep(for: .milliseconds(100))
        let during = try? await server.get("/health")
        if let during { #expect(during.0 == 503, "draining servers answer 503") }
        let (status, body) = try await inFlight.value
        #expect(status == 200)
        #expect(try Self.content(body).isEmpty == false)
        #expect(await server.waitExit(timeout: 20) == 0)
    }

    @Test func prometheusScrapesTheMetrics() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") else {
            Issue.record("prometheus is not installed; run scripts/bootstrap --with-browser")
            return
        }
        let server = try LiveServer(["--ctx", "2048"])
        try await server.waitReady()
        _ = try await server.post("/v1/chat/completions", Self.chat("Hello!", maxTokens: 8))
        let directory = TestPaths.temporaryDirectory("prometheus")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: inferlab
                static_configs: [{targets: ['127.0.0.1:\(server.port)']}]
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let promPort = freeLoopbackPort()
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        prometheus.arguments = [
            "--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
            "--web.listen-address=127.0.0.1:\(promPort)",
        ]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle.nullDevice
        try prometheus.run()
        defer {
            prometheus.terminate()
            prometheus.waitForExit(timeout: 10)
        }
        func query(_ expression: String) async throws -> [[String: Any]] {
            var components = URLComponents(string: "http://127.0.0.1:\(promPort)/api/v1/query")!
            components.queryItems = [URLQueryItem(name: "query", value: expression)]
            let (data, _) = try await URLSession.shared.data(from: components.url!)
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        }
        var up: String?
        var buckets = 0
        for _ in 0..<60 {
            try await Task.sleep(for: .milliseconds(250))
            guard let result = try? await query("up{job=\"inferlab\"}"), let first = result.first else { continue }
            up = (first["value"] as? [Any])?.last as? String
            buckets = (try? await query("inferlab_ttft_seconds_bucket"))?.count ?? 0
            if up == "1" && buckets > 0 { break }
        }
        #expect(up == "1")
        #expect(buckets > 0, "the TTFT histogram reached Prometheus")
    }
}
