import Foundation
import LlamaEngine
import Testing

@Suite("Scheduler policies on a fake clock")
struct SchedulerPolicyTests {
    func policy(_ kind: SchedulerKind, sequences: Int = 4, budget: Int = 64, wait: Int = 50) -> SchedulerPolicy {
        SchedulerPolicy(
            configuration: SchedulerConfiguration(
                kind: kind, maxSequences: sequences, batchTokens: budget, batchWaitMilliseconds: wait),
            maxBatchTokens: 2048)
    }

    let ms: UInt64 = 1_000_000

    func queue(_ count: Int, at time: UInt64 = 0, cells: Int = 100) -> [WaitingItem] {
        (0..<count).map { _ in WaitingItem(arrival: time, cells: cells) }
    }

    @Test func singleRunsOneAtATime() {
        let p = policy(.single)
        #expect(p.admission(waiting: queue(3), running: 0, freeCells: 1000, now: 0) == .admit(1))
        #expect(p.admission(waiting: queue(3), running: 1, freeCells: 1000, now: 0) == .none)
    }

    @Test func continuousFillsFreeSlotsAtOnce() {
        let p = policy(.continuous)
        #expect(p.admission(waiting: queue(3), running: 2, freeCells: 1000, now: 0) == .admit(2))
        #expect(p.admission(waiting: queue(3), running: 4, freeCells: 1000, now: 0) == .none)
        // Reservations that do not fit wait, in order.
        #expect(p.admission(waiting: queue(3, cells: 400), running: 0, freeCells: 900, now: 0) == .admit(2))
    }

    @Test func dynamicWaitsForTheWindowOrAFullBatch() {
        let p = policy(.dynamic, wait: 50)
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: 10 * ms) == .waitUntil(50 * ms))
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: 50 * ms) == .admit(2))
        #expect(p.admission(waiting: queue(4), running: 0, freeCells: 1000, now: 1 * ms) == .admit(4))
        // Runs to completion: nothing joins a running batch.
        #expect(p.admission(waiting: queue(4), running: 1, freeCells: 1000, now: 900 * ms) == .none)
    }

    @Test func staticWaitsLongerForAFullBatch() {
        let p = policy(.static, wait: 50)
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: 500 * ms) == .waitUntil(1000 * ms))
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: 1000 * ms) == .admit(2))
        #expect(p.admission(waiting: queue(5), running: 0, freeCells: 1000, now: 0) == .admit(4))
    }

    @Test func continuousChunksPromptsRoundRobinWithinTheBudget() {
        let p = policy(.continuous, budget: 64)
        // 4 decoding sequences leave 60 tokens for two prompts of 100 and 10.
        #expect(p.prefillChunks(decoding: 4, remaining: [100, 10]) == [50, 10])
        #expect(p.prefillChunks(decoding: 0, remaining: [100, 100]) == [32, 32])
        #expect(p.prefillChunks(decoding: 4, remaining: [3, 5, 200]).reduce(0, +) == 60)
        // Never more than the budget, never more than needed.
        let chunks = p.prefillChunks(decoding: 10, remaining: [7, 1000, 1000])
        #expect(chunks.reduce(0, +) <= 54 && chunks[0] <= 7)
    }

    @Test func aStepTimeLimitCutsContinuousPromptChunks() {
        let p = policy(.continuous, budget: 512)
        // 4 decoding sequences: the limit (not the 508-token budget) bounds the prompt tokens.
        #expect(p.prefillChunks(decoding: 4, remaining: [2000], promptLimit: 40) == [40])
        #expect(p.prefillChunks(decoding: 4, remaining: [2000, 10], promptLimit: 40) == [30, 10])
        // A limit above the budget changes nothing; no limit is the budget alone.
        #expect(p.prefillChunks(decoding: 4, remaining: [2000], promptLimit: 5000) == [508])
        #expect(p.prefillChunks(decoding: 4, remaining: [2000]) == [508])
        // Run-to-completion policies ignore it.
        #expect(policy(.dynamic).prefillChunks(decoding: 1, remaining: [300], promptLimit: 40) == [300])
    }

    @Test func stepCostModelLearnsSecondsPerTokenAndTurnsATargetIntoALimit() {
        var model = StepCostModel()
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0.25) == nil)  // nothing observed yet
        model.observe(tokens: 8, seconds: 0.05)  // too few tokens: its fixed cost would dominate
        #expect(model.secondsPerToken == nil)
        model.observe(tokens: 200, seconds: 1.0)  // 5 ms per token
        #expect(model.secondsPerToken == 0.005)
        // 250 ms fit 50 tokens, 4 of them decode tokens.
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0.25) == 46)
        // Nothing decoding or no target: no limit. Decoding alone over the target: the minimum chunk.
        #expect(model.promptLimit(decoding: 0, targetSeconds: 0.25) == nil)
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0) == nil)
        #expect(model.promptLimit(decoding: 60, targetSeconds: 0.25) == StepCostModel.minimumChunk)
        // A slower step moves the estimate a quarter of the way.
        model.observe(tokens: 100, seconds: 0.9)  // 9 ms per token
        #expect(abs(model.secondsPerToken! - 0.006) < 1e-12)
        model.observe(tokens: 100, seconds: .infinity)
        #expect(abs(model.secondsPerToken! - 0.006) < 1e-12)
    }

    @Test func stepTargetIsValidatedAndDefaultsWhenAbsent() throws {
        #expect(throws: EngineError.self) {
            try SchedulerConfiguration(kind: .continuous, stepTargetMilliseconds: -1).validate()
        }
        let decoded = try JSONDecoder().decode(
            SchedulerConfiguration.self, from: Data(#"{"scheduler":"dynamic","max_seqs":2}"#.utf8))
        #expect(decoded == SchedulerConfiguration(kind: .dynamic, maxSequences: 2))
        #expect(decoded.stepTargetMilliseconds == 500)
    }

    @Test func runToCompletionPrefillsInArrivalOrder() {
        let p = policy(.static)
        #expect(p.prefillChunks(decoding: 0, remaining: [1500, 1000]) == [1500, 548])
    }
}

@Suite("Stop strings")
struct StopMatcherTests {
    @Test func holdsBackOnlyPossibleStopPrefixes() {
        var matcher = StopMatcher(stops: ["</end>"])
        #expect(matcher.feed("Hello <") == ("Hello ", false))
        #expect(matcher.feed("/e") == ("", false))
        #expect(matcher.feed("x") == ("</ex", false))
        #expect(matcher.feed(" ok </en") == (" ok ", false))
        #expect(matcher.feed("d> tail") == ("", true))
    }

    @Test func findsTheEarliestOfSeveralStops() {
        var matcher = StopMatcher(stops: ["STOP", "\n\n"])
        #expect(matcher.feed("a\n\nb STOP") == ("a", true))
        var other = StopMatcher(stops: ["xyz"])
        #expect(other.feed("abc") == ("abc", false))
        #expect(other.flush() == "")
        var pending = StopMatcher(stops: ["xyz"])
        #expect(pending.feed("abx") == ("ab", false))
        #expect(pending.flush() == "x")
    }
}

@Suite("UTF-8 safe detokenizer")
struct TokenTextDecoderTests {
    @Test func joinsSplitMultibyteCharacters() {
        let bytes = Array("é🦙".utf8)  // 2 + 4 bytes
        var decoder = TokenTextDecoder()
        var output = ""
        for byte in bytes { output += decoder.append([byte]) }
        #expect(output == "é🦙")
        var partial = TokenTextDecoder()
        #expect(partial.append(Array(bytes[0..<1])) == "")
        #expect(partial.append(Array(bytes[1..<3])) == "é")
        #expect(partial.flush() == "\u{FFFD}")
    }
}
