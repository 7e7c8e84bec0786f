import Foundation
import InferLabCore
import InferenceCore
import LlamaEngine
import Synchronization
import Testing
import TestSupport

@Suite("Engine on the real model", .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct EngineModelTests {
    let prompts = [
        "The capital of France is",
        "Write a haiku about the sea:",
        "def fibonacci(n):",
        "Three reasons to learn Rust are",
    ]

    func engine(_ kind: SchedulerKind = .continuous, sequences: Int = 4, prefixCache: Bool = false) throws
        -> InferenceEngine
    {
        let model = try SharedModel.require()
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 2048, threads: 2))
        configuration.scheduler = SchedulerConfiguration(kind: kind, maxSequences: sequences, batchTokens: 512)
        configuration.prefixCache = prefixCache
        return try InferenceEngine(model: model, configuration: configuration)
    }

    /// A 1,000-token prompt: a long prefill.
    func thousandTokenPrompt(_ model: LlamaModel) throws -> [Int32] {
        Array(
            try model.tokenize(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 100))
                .prefix(1000))
    }

    /// `continuous` with two sequences, prompt turns of 128 tokens and no step-time target.
    func twoSequencesInTurnsOf128() throws -> InferenceEngine {
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 4096, threads: 2))
        configuration.scheduler = SchedulerConfiguration(
            kind: .continuous, maxSequences: 2, batchTokens: 128, stepTargetMilliseconds: 0)
        return try InferenceEngine(model: try SharedModel.require(), configuration: configuration)
    }

    @Test func greedyGenerationIsDeterministic() async throws {
        let model = try SharedModel.require()
        let engine = try engine(.single, sequences: 1)
        defer { engine.shutdown() }
        let request = GenerationRequest(id: "a", promptTokens: try model.tokenize(prompts[0]), maxTokens: 24)
        let first = try await collect(engine, request)
        let second = try await collect(engine, request)
        #expect(first.tokens.count == 24)
        #expect(first.tokens == second.tokens)
        #expect(first.text == second.text)
        #expect(first.summary.finishReason == .length)
        #expect(first.summary.completionTokens == 24)
        #expect(first.text == model.detokenize(first.tokens))
    }

    /// The correctness base of continuous batching: four prompts decoded together as four
    /// sequences in each batch give, greedily, exactly the tokens each gives alone.
    @Test func batchedDecodeEqualsSequentialDecode() async throws {
        let model = try SharedModel.require()
        let requests = try prompts.enumerated().map { index, prompt in
            GenerationRequest(id: "\(index)", promptTokens: try model.tokenize(prompt), maxTokens: 32)
        }
        let alone = try engine(.single, sequences: 1)
        var expected: [[Int32]] = []
        for request in requests { expected.append(try await collect(alone, request).tokens) }
        alone.shutdown()

        let batched = try engine(.static, sequences: 4)
        defer { batched.shutdown() }
        let results = try await withThrowingTaskGroup(of: (Int, [Int32]).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask { (index, try await collect(batched, request).tokens) }
            }
            var results = [[Int32]](repeating: [], count: requests.count)
            for try await (index, tokens) in group { results[index] = tokens }
            return results
        }
        #expect(batched.snapshot.steps < UInt64(4 * 33), "the four sequences shared decode steps")
        for index in requests.indices {
            #expect(results[index] == expected[index], "prompt \(index): batched output differs from alone")
        }
    }

    @Test func cancellingTheConsumerFreesTheSequence() async throws {
        let model = try SharedModel.require()
        let engine = try engine(.continuous, sequences: 2)
        defer { engine.shutdown() }
        let request = GenerationRequest(id: "c", promptTokens: try model.tokenize(prompts[1]), maxTokens: 500)
        let task = Task {
            var count = 0
            for try await event in engine.generate(request) {
                if case .token = event { count += 1 }
                if count == 5 { break }  // leaving the loop ends the stream: a disconnect
            }
            return count
        }
        #expect(try await task.value == 5)
        var freed = false
        for _ in 0..<100 {
            let snapshot = engine.snapshot
            if snapshot.running == 0 && snapshot.cellsUsed == 0 {
                freed = true
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(freed, "the cancelled sequence still holds cells: \(engine.snapshot)")
    }

    /// With a step-time target, a long prompt that arrives while a stream decodes is prefilled in
    /// many short steps and the stream keeps getting tokens; with none, it waits behind 512-token
    /// steps (two seconds each on two cores). Counted in tokens, not timed: the cost model scales
    /// the chunks to whatever this machine's speed is.
    @Test func aStepTargetKeepsRunningStreamsFlowingDuringALongPrefill() async throws {
        let model = try SharedModel.require()
        // Over 16 tokens, so the running stream's own prefill teaches the cost model.
        let story = try model.tokenize(
            String(repeating: "Once upon a time there was a lighthouse by the sea. ", count: 4))
        let long = try thousandTokenPrompt(model)
        try #require(story.count >= StepCostModel.minimumObservedTokens && long.count == 1000)
        func streamTokensDuringPrefill(targetMilliseconds: Int) async throws -> Int {
            var configuration = EngineConfiguration(context: ContextOptions(contextLength: 4096, threads: 2))
            configuration.scheduler = SchedulerConfiguration(
                kind: .continuous, maxSequences: 2, batchTokens: 512, stepTargetMilliseconds: targetMilliseconds)
            let engine = try InferenceEngine(model: model, configuration: configuration)
            defer { engine.shutdown() }
            var running = GenerationRequest(id: "running", promptTokens: story, maxTokens: 1000)
            running.ignoreEndOfGeneration = true
            let times = Mutex<[MonotonicInstant]>([])
            let (started, signal) = AsyncStream<Void>.makeStream()
            let stream = Task {
                for try await event in engine.generate(running) {
                    guard case .token(let token) = event else { continue }
                    if times.withLock({
                        $0.append(token.time); return $0.count
                    }) == 3 {
                        signal.yield()
                    }
                }
            }
            for await _ in started { break }
            let arrival = MonotonicInstant.now()
            var firstToken = MonotonicInstant.zero
            for try await event in engine.generate(GenerationRequest(id: "long", promptTokens: long, maxTokens: 1)) {
                if case .token(let token) = event, firstToken == .zero { firstToken = token.time }
            }
            stream.cancel()
            _ = await stream.result
            return times.withLock { $0.filter { $0 > arrival && $0 < firstToken }.count }
        }
        let bounded = try await streamTokensDuringPrefill(targetMilliseconds: 250)
        let unbounded = try await streamTokensDuringPrefill(targetMilliseconds: 0)
        #expect(unbounded <= 3, "1000 prompt tokens in 512-token steps: 2 steps")
        #expect(bounded >= 8, "the prompt was prefilled over \(bounded) steps of the running stream")
    }

    /// Prompts take turns of one quantum (`batchTokens` prompt tokens): a short prompt that
    /// arrives while a long one is prefilled gets its first token after the long one's current
    /// turn, not after its whole prefill. First come first served, it would wait for all of it.
    @Test func aShortPromptWaitsForOneQuantumOfALongPrefillNotAllOfIt() async throws {
        let model = try SharedModel.require()
        let long = try thousandTokenPrompt(model)
        let short = try model.tokenize(prompts[0])
        let engine = try twoSequencesInTurnsOf128()
        defer { engine.shutdown() }
        func firstTokenTime(_ request: GenerationRequest) async throws -> MonotonicInstant {
            for try await event in engine.generate(request) {
                if case .token(let token) = event { return token.time }
            }
            return .zero
        }
        let longFirst = Task {
            try await firstTokenTime(GenerationRequest(id: "long", promptTokens: long, maxTokens: 1))
        }
        while engine.snapshot.steps == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let shortFirst = try await firstTokenTime(GenerationRequest(id: "short", promptTokens: short, maxTokens: 1))
        let longTime = try await longFirst.value
        #expect(shortFirst > .zero && longTime > .zero)
        #expect(shortFirst < longTime, "the short prompt waited for the whole 1,000-token prefill")
    }

    /// A request cancelled while its prompt is prefilled, mid-turn, gives back its cells and its
    /// slot: the next request runs, and the cache ends empty.
    @Test func cancellingDuringPrefillLeavesNothingBehind() async throws {
        let model = try SharedModel.require()
        let long = try thousandTokenPrompt(model)
        let engine = try twoSequencesInTurnsOf128()
        defer { engine.shutdown() }
        let prefill = Task {
            for try await _ in engine.generate(GenerationRequest(id: "long", promptTokens: long, maxTokens: 4)) {}
        }
        while engine.snapshot.steps < 2 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(engine.snapshot.prefilling == 1)
        prefill.cancel()
        _ = await prefill.result
        let after = try await collect(
            engine, GenerationRequest(id: "next", promptTokens: try model.tokenize(prompts[0]), maxTokens: 4))
        #expect(after.tokens.count == 4)
        var snapshot = engine.snapshot
        for _ in 0..<100 where snapshot.running > 0 || snapshot.cellsUsed > 0 {
            try await Task.sleep(for: .milliseconds(10))
            snapshot = engine.snapshot
        }
        #expect(snapshot.running == 0 && snapshot.prefilling == 0 && snapshot.cellsUsed == 0, "\(snapshot)")
    }

    /// `--step-log`: one record per step, and the records add up to the work the requests asked
    /// for: every prompt token evaluated once, one decode token per generated token after the first.
    /// Each step names its requests and their shares, which add up to the step and to each request.
    @Test func theStepLogAccountsForEveryTokenOfEveryStep() async throws {
        let model = try SharedModel.require()
        let directory = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("steps.jsonl").path
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 2048, threads: 2))
        configuration.scheduler = SchedulerConfiguration(kind: .continuous, maxSequences: 2, batchTokens: 64)
        configuration.stepLog = path
        let engine = try InferenceEngine(model: model, configuration: configuration)
        let long = Array(
            try model.tokenize(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 20))
                .prefix(150))
        let requests = [
            GenerationRequest(id: "a", promptTokens: long, maxTokens: 12),
            GenerationRequest(id: "b", promptTokens: try model.tokenize(prompts[1]), maxTokens: 20),
        ].map {
            var request = $0
            request.ignoreEndOfGeneration = true  // every token counted: none ends early
            return request
        }
        let results = try await withThrowingTaskGroup(of: (String, Int, GenerationSummary).self) { group in
            for request in requests {
                group.addTask {
                    let result = try await collect(engine, request)
                    return (request.id, result.tokens.count, result.summary)
                }
            }
            return try await group.reduce(into: [String: (tokens: Int, summary: GenerationSummary)]()) {
                $0[$1.0] = (tokens: $1.1, summary: $1.2)
            }
        }
        let generated = results.values.reduce(0) { $0 + $1.tokens }
        engine.shutdown()  // waits for the loop: the last step's snapshot is published
        let steps = engine.snapshot.steps
        let records = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONDecoder().decode(StepRecord.self, from: Data($0.utf8))
        }
        #expect(UInt64(records.count) == steps)
        #expect(records.reduce(0) { $0 + $1.promptTokens } == requests.reduce(0) { $0 + $1.promptTokens.count })
        #expect(records.reduce(0) { $0 + $1.decodeTokens } == generated - requests.count)
        // The 150-token prompt took at least three 64-token steps.
        #expect(records.filter { $0.promptTokens > 0 }.count >= 3)
        #expect(records.allSatisfy { $0.durationMilliseconds > 0 && $0.running >= 1 && $0.promptSequences <= 2 })
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.start < $1.start })

        // The shares: each step's add up to it, and each request's to its own work.
        #expect(records.map(\.index) == Array(1...records.count))
        for record in records {
            #expect(record.requests.reduce(0) { $0 + $1.decode } == record.decodeTokens, "step \(record.index)")
            #expect(record.requests.reduce(0) { $0 + $1.prompt } == record.promptTokens, "step \(record.index)")
            #expect(record.requests.count { $0.prompt > 0 } == record.promptSequences, "step \(record.index)")
            #expect(record.requests.allSatisfy { ($0.decode == 1) != ($0.prompt > 0) }, "step \(record.index)")
            #expect(Set(record.requests.map(\.id)).count == record.requests.count, "one share per request")
        }
        let shares = records.flatMap(\.requests)
        #expect(Set(shares.map(\.id)) == Set(requests.map(\.id)))
        for request in requests {
            let own = shares.filter { $0.id == request.id }
            let result = try #require(results[request.id])
            #expect(
                own.reduce(0) { $0 + $1.prompt } == request.promptTokens.count - result.summary.cachedTokens,
                "\(request.id)")
            #expect(own.reduce(0) { $0 + $1.decode } == result.tokens - 1, "\(request.id)")
        }
    }

    @Test func anUnwritableStepLogIsAnErrorBeforeTheEngineStarts() throws {
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 512, threads: 2))
        configuration.stepLog = "/nonexistent-directory/steps.jsonl"
        #expect {
            _ = try InferenceEngine(model: try SharedModel.require(), configuration: configuration)
        } throws: { error in
            (error as? EngineError)?.code == .invalidParameter
                && "\(error)".contains("/nonexistent-directory/steps.jsonl")
        }
    }

    @Test func stopStringEndsGenerationWithoutEmittingIt() async throws {
        let model = try SharedModel.require()
        let engine = try engine(.single, sequences: 1)
        defer { engine.shutdown() }
        let tokens = try model.tokenize("1, 2, 3, 4, 5, 6,")
        let free = try await collect(engine, GenerationRequest(id: "f", promptTokens: tokens, maxTokens: 16))
        // Stop on a piece of text the unconstrained run produced after its first few characters.
        let text = free.text
        try #require(text.count > 6)
        let stop = String(text.dropFirst(3).prefix(3))
        let stopped = try await collect(
            engine, GenerationRequest(id: "s", promptTokens: tokens, maxTokens: 16, stop: [stop]))
        #expect(stopped.summary.finishReason == .stop)
        #expect(!stopped.text.contains(stop))
        #expect(text.hasPrefix(stopped.text))
    }

    @Test func prefixCacheReusesASharedPrompt() async throws {
        let model = try SharedModel.require()
        let engine = try engine(.continuous, sequences: 2, prefixCache: true)
        defer { engine.shutdown() }
        let system = String(repeating: "You are a careful assistant who answers briefly. ", count: 4)
        let first = try model.tokenize(system + "What is 2 + 2?")
        let second = try model.tokenize(system + "Name a colour.")
        let a = try await collect(engine, GenerationRequest(id: "a", promptTokens: first, maxTokens: 8))
        let b = try await collect(engine, GenerationRequest(id: "b", promptTokens: second, maxTokens: 8))
        #expect(a.summary.cachedTokens == 0)
        #expect(b.summary.cachedTokens >= 30, "shared system prompt was not reused: \(b.summary.cachedTokens)")
        // The reused cells give the same answer as a cold run.
        let cold = try self.engine(.single, sequences: 1)
        defer { cold.shutdown() }
        let reference = try await collect(cold, GenerationRequest(id: "r", promptTokens: second, maxTokens: 8))
        #expect(b.tokens == reference.tokens)
    }

    /// Prefix reuse under load: eight requests sharing a system prompt, four at a time, reuse
    /// idle streams in place or copy a running sequence's prefix, and every answer equals the
    /// cold one; each sequence keeps its full share of the context.
    @Test func prefixReuseUnderConcurrencyGivesTheColdAnswers() async throws {
        let model = try SharedModel.require()
        let system = String(repeating: "You are a careful assistant who answers briefly. ", count: 4)
        let questions = [
            "What is 2 + 2?", "Name a colour.", "Where is Paris?", "Say hello.", "Count to three.",
            "What is water?", "Name a fruit.", "Why is the sky blue?",
        ]
        let requests = try questions.enumerated().map { index, question in
            GenerationRequest(id: "\(index)", promptTokens: try model.tokenize(system + question), maxTokens: 12)
        }
        let cold = try engine(.single, sequences: 1)
        var expected: [[Int32]] = []
        for request in requests { expected.append(try await collect(cold, request).tokens) }
        cold.shutdown()

        let cached = try engine(.continuous, sequences: 4, prefixCache: true)
        defer { cached.shutdown() }
        #expect(cached.sequenceContextLength == 2048 / 4)
        let results = try await withThrowingTaskGroup(of: (Int, [Int32], Int).self) { group in
            for (index, request) in requests.enumerated() {
                group.addTask {
                    let result = try await collect(cached, request)
                    return (index, result.tokens, result.summary.cachedTokens)
                }
            }
            var results = [([Int32], Int)](repeating: ([], 0), count: requests.count)
            for try await (index, tokens, cachedTokens) in group { results[index] = (tokens, cachedTokens) }
            return results
        }
        #expect(results.map(\.0) == expected)
        let hits = results.filter { $0.1 >= 30 }.count
        #expect(hits >= 4, "cached tokens: \(results.map(\.1))")
    }

    /// Prompt plus max_tokens must fit in a sequence's context; the engine refuses, before
    /// queueing, a request that could only end at the context limit.
    @Test func aRequestBeyondTheContextIsRefused() async throws {
        let model = try SharedModel.require()
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 64, threads: 2))
        configuration.scheduler = SchedulerConfiguration(kind: .single, maxSequences: 1, batchTokens: 64)
        let engine = try InferenceEngine(model: model, configuration: configuration)
        defer { engine.shutdown() }
        let tokens = try model.tokenize("Count: 1 2 3 4 5 6 7 8 9 10 11 12")
        do {
            _ = try await collect(engine, GenerationRequest(id: "x", promptTokens: tokens, maxTokens: 500))
            Issue.record("a request beyond the context was accepted")
        } catch let error as EngineError {
            #expect(error.code == .promptTooLong)
            #expect(error.message.contains("n_prompt_tokens \(tokens.count) + max_tokens 500"))
        }
        let fits = GenerationRequest(
            id: "y", promptTokens: tokens, maxTokens: engine.sequenceContextLength - tokens.count)
        #expect(try await collect(engine, fits).summary.completionTokens <= fits.maxTokens)
    }

    @Test func invalidRequestsAreRejectedBeforeQueueing() async throws {
        let model = try SharedModel.require()
        let engine = try engine(.single, sequences: 1)
        defer { engine.shutdown() }
        let tokens = try model.tokenize("Hello")
        let cases: [(GenerationRequest, String)] = [
            (GenerationRequest(id: "1", promptTokens: tokens, maxTokens: 0), "max_tokens"),
            (
                GenerationRequest(id: "2", promptTokens: tokens, maxTokens: 4, sampling: .init(temperature: -1)),
                "temperature"
            ),
            (GenerationRequest(id: "3", promptTokens: tokens, maxTokens: 4, sampling: .init(topP: 0)), "top_p"),
            (GenerationRequest(id: "4", promptTokens: tokens, maxTokens: 4, sampling: .init(topP: 1.5)), "top_p"),
            (
                GenerationRequest(id: "5", promptTokens: [Int32](repeating: tokens[0], count: 5000), maxTokens: 4),
                "prompt"
            ),
        ]
        for (request, field) in cases {
            do {
                _ = try await collect(engine, request)
                Issue.record("request \(request.id) was accepted")
            } catch let error as EngineError {
                #expect(error.parameter == field)
            }
        }
        #expect(engine.snapshot.steps == 0)
    }
}

@Suite(
    "Queued requests are admitted when a batch finishes", .timeLimit(.minutes(5)),
    .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct QueueDrainTests {
    /// Regression: `single` and run-to-completion policies must admit queued requests as soon as
    /// the running batch ends, without waiting for a new arrival.
    @Test(arguments: [SchedulerKind.single, .static, .dynamic])
    func queuedRequestsRunWithoutNewArrivals(_ kind: SchedulerKind) async throws {
        let model = try SharedModel.require()
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 1024, threads: 2))
        configuration.scheduler = SchedulerConfiguration(
            kind: kind, maxSequences: 2, batchTokens: 256, batchWaitMilliseconds: 10)
        let engine = try InferenceEngine(model: model, configuration: configuration)
        defer { engine.shutdown() }
        let tokens = try model.tokenize("One, two, three,")
        // Five requests at once: with two (or one) at a time, three batches must follow each other.
        // Before the fix the queue stalled for good (no arrival came to wake the loop); the suite's
        // time limit turns such a hang into a failure.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<5 {
                group.addTask {
                    try await collect(engine, GenerationRequest(id: "\(index)", promptTokens: tokens, maxTokens: 4))
                        .tokens.count
                }
            }
            var finished = 0
            for try await count in group {
                #expect(count >= 1)
                finished += 1
            }
            #expect(finished == 5)
        }
        // The loop publishes its snapshot after the step that finished the last stream.
        var snapshot = engine.snapshot
        for _ in 0..<200 where snapshot.waiting + snapshot.running > 0 {
            try await Task.sleep(for: .milliseconds(10))
            snapshot = engine.snapshot
        }
        #expect(snapshot.waiting == 0 && snapshot.running == 0)
    }
}
