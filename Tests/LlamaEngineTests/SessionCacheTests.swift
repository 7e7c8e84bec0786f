import Foundation
import InferLabCore
import InferenceCore
import LlamaEngine
import Testing
import TestSupport

/// The host-memory session cache on the real model: three two-turn sessions through one KV
/// stream, so every session's stream is cleared before it returns. With the cache its second
/// turn restores the history (answer included) from host memory, and greedy outputs equal those
/// of the same sessions with the prefix cache off.
@Suite(.serialized, .enabled(if: TestPaths.hasDefaultModel, "run scripts/bootstrap first"))
struct SessionCacheTests {
    func engine(prefixCache: Bool, hostMiB: Int) throws -> InferenceEngine {
        var configuration = EngineConfiguration(context: ContextOptions(contextLength: 2048, threads: 2))
        configuration.scheduler = SchedulerConfiguration(kind: .continuous, maxSequences: 1)
        configuration.prefixCache = prefixCache
        configuration.prefixCacheHostMiB = hostMiB
        return try InferenceEngine(model: try SharedModel.require(), configuration: configuration)
    }

    /// Each session's first turn, then each one's second (its first prompt, the answer's tokens,
    /// a follow-up): the answers' tokens and the cached tokens of every request, in order.
    func sessions(_ engine: InferenceEngine) async throws -> (answers: [[Int32]], cached: [Int], host: EngineSnapshot) {
        let model = try SharedModel.require()
        let system = "You are a patient tutor. Answer in one or two sentences, then ask a short question back. "
        let openings = ["What is a prime number?", "Why do leaves fall in autumn?", "How does a bicycle stay up?"]
        var histories = try openings.map { try model.tokenize(system + $0) }
        var answers: [[Int32]] = []
        var cached: [Int] = []
        // Every answer has its 16 tokens (a raw prompt may end at once with end-of-generation).
        func request(_ id: String, _ tokens: [Int32]) -> GenerationRequest {
            var request = GenerationRequest(id: id, promptTokens: tokens, maxTokens: 16)
            request.ignoreEndOfGeneration = true
            return request
        }
        for index in histories.indices {
            let result = try await collect(engine, request("s\(index)t0", histories[index]))
            answers.append(result.tokens)
            cached.append(result.summary.cachedTokens)
            histories[index] += result.tokens + (try model.tokenize(" Tell me more, please."))
        }
        for index in histories.indices {
            let result = try await collect(engine, request("s\(index)t1", histories[index]))
            answers.append(result.tokens)
            cached.append(result.summary.cachedTokens)
        }
        return (answers, cached, engine.snapshot)
    }

    @Test func returningSessionsRestoreTheirHistoryAndAnswerAsWithoutTheCache() async throws {
        let cold = try engine(prefixCache: false, hostMiB: 0)
        let reference = try await sessions(cold)
        cold.shutdown()
        #expect(reference.cached.allSatisfy { $0 == 0 })

        let cached = try engine(prefixCache: true, hostMiB: 64)
        let run = try await sessions(cached)
        cached.shutdown()
        #expect(run.answers.allSatisfy { $0.count == 16 })
        #expect(run.answers == reference.answers, "greedy outputs with the host cache equal those without")
        // The first turns share the system prompt (each cleared stream was saved; the next
        // session's prompt restores the shared part); the second turns restore a whole history:
        // the first prompt and the answer but its last token (never decoded).
        #expect(run.cached[0] == 0)
        let model = try SharedModel.require()
        let system = try model.tokenize(
            "You are a patient tutor. Answer in one or two sentences, then ask a short question back. ")
        for turn in 3..<6 {
            let first = try model.tokenize(
                "You are a patient tutor. Answer in one or two sentences, then ask a short question back. "
                    + ["What is a prime number?", "Why do leaves fall in autumn?", "How does a bicycle stay up?"][
                        turn - 3])
            #expect(
                run.cached[turn] >= first.count + 15 - 1,
                "turn \(turn): \(run.cached) first \(first.count) answers \(run.answers.map(\.count))")
        }
        #expect(run.cached[1] >= system.count - 2, "the shared system prompt: \(run.cached)")
        #expect(run.host.hostCachedPrefixes >= 1 && run.host.hostCacheBytes > 0)
    }

    @Test func aCacheTooSmallForOneStateKeepsNothingAndStillAnswers() async throws {
        // 1 MiB holds about 45 cells of this model (23,040 bytes each): one or two of these
        // states. The least recently used go, the bound holds, the answers do not change.
        let cold = try engine(prefixCache: false, hostMiB: 0)
        let reference = try await sessions(cold)
        cold.shutdown()
        let tiny = try engine(prefixCache: true, hostMiB: 1)
        let run = try await sessions(tiny)
        tiny.shutdown()
        #expect(run.answers == reference.answers)
        #expect(run.host.hostCacheBytes <= 1 << 20)
    }
}
