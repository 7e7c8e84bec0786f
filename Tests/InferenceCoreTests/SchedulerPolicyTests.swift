import Foundation
import InferLabCore
import InferenceCore
import Testing

@Suite("Scheduler policies on a fake clock")
struct SchedulerPolicyTests {
    func policy(_ kind: SchedulerKind, sequences: Int = 4, budget: Int = 64, wait: Int = 50) -> SchedulerPolicy {
        SchedulerPolicy(
            configuration: SchedulerConfiguration(
                kind: kind, maxSequences: sequences, batchTokens: budget, batchWaitMilliseconds: wait),
            maxBatchTokens: 2048)
    }

    func queue(_ count: Int, at time: MonotonicInstant = .zero, cells: Int = 100) -> [WaitingItem] {
        (0..<count).map { _ in WaitingItem(arrival: time, cells: cells) }
    }

    @Test func singleRunsOneAtATime() {
        let p = policy(.single)
        #expect(p.admission(waiting: queue(3), running: 0, freeCells: 1000, now: .zero) == .admit(1))
        #expect(p.admission(waiting: queue(3), running: 1, freeCells: 1000, now: .zero) == .none)
    }

    @Test func continuousFillsFreeSlotsAtOnce() {
        let p = policy(.continuous)
        #expect(p.admission(waiting: queue(3), running: 2, freeCells: 1000, now: .zero) == .admit(2))
        #expect(p.admission(waiting: queue(3), running: 4, freeCells: 1000, now: .zero) == .none)
        // Reservations that do not fit wait, in order.
        #expect(p.admission(waiting: queue(3, cells: 400), running: 0, freeCells: 900, now: .zero) == .admit(2))
    }

    @Test func dynamicWaitsForTheWindowOrAFullBatch() {
        let p = policy(.dynamic, wait: 50)
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: at(ms: 10)) == .waitUntil(at(ms: 50)))
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: at(ms: 50)) == .admit(2))
        #expect(p.admission(waiting: queue(4), running: 0, freeCells: 1000, now: at(ms: 1)) == .admit(4))
        // Runs to completion: nothing joins a running batch.
        #expect(p.admission(waiting: queue(4), running: 1, freeCells: 1000, now: at(ms: 900)) == .none)
    }

    @Test func staticWaitsLongerForAFullBatch() {
        let p = policy(.static, wait: 50)
        #expect(
            p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: at(ms: 500)) == .waitUntil(at(ms: 1000)))
        #expect(p.admission(waiting: queue(2), running: 0, freeCells: 1000, now: at(ms: 1000)) == .admit(2))
        #expect(p.admission(waiting: queue(5), running: 0, freeCells: 1000, now: .zero) == .admit(4))
    }

    @Test func continuousFillsTheBudgetInQueueOrder() {
        let p = policy(.continuous, budget: 64)
        // 4 decoding sequences leave 60 tokens: the first prompt takes what it needs first.
        #expect(p.prefillChunks(decoding: 4, remaining: [100, 10]) == [60, 0])
        #expect(p.prefillChunks(decoding: 4, remaining: [10, 100]) == [10, 50])
        #expect(p.prefillChunks(decoding: 0, remaining: [100, 100]) == [64, 0])
        #expect(p.prefillChunks(decoding: 4, remaining: [3, 5, 200]) == [3, 5, 52])
        // Never more than the budget, never more than needed.
        #expect(p.prefillChunks(decoding: 10, remaining: [7, 1000, 1000]) == [7, 47, 0])
        #expect(p.promptQuantum == 64)
        #expect(policy(.dynamic).promptQuantum == .max)
    }

    @Test func promptsTakeTurnsOfOneQuantum() {
        var queue = PromptQueue<Int>(quantum: 100)
        queue.add(1)
        queue.add(2)
        // The head keeps its turn over steps until it has had the quantum.
        queue.headTook(60)
        #expect(queue.order == [1, 2])
        queue.headTook(40)
        #expect(queue.order == [2, 1])
        // A new prompt joins at the back, behind the one that just had its turn.
        queue.add(3)
        queue.headTook(100)
        #expect(queue.order == [1, 3, 2])
        // The head leaving starts the next one's turn afresh.
        queue.headTook(90)
        queue.remove(1)
        queue.headTook(90)
        #expect(queue.order == [3, 2])
        queue.headTook(10)
        #expect(queue.order == [2, 3])
        // Leaving from behind the head keeps the head's turn; nothing taken changes nothing.
        queue.headTook(50)
        queue.remove(3)
        queue.headTook(0)
        queue.headTook(49)
        #expect(queue.order == [2])
        queue.remove(2)
        queue.headTook(500)
        #expect(queue.order.isEmpty)
    }

    @Test func aStepTimeLimitCutsContinuousPromptChunks() {
        let p = policy(.continuous, budget: 512)
        // 4 decoding sequences: the limit (not the 508-token budget) bounds the prompt tokens.
        #expect(p.prefillChunks(decoding: 4, remaining: [2000], promptLimit: 40) == [40])
        #expect(p.prefillChunks(decoding: 4, remaining: [10, 2000], promptLimit: 40) == [10, 30])
        // A limit above the budget changes nothing; no limit is the budget alone.
        #expect(p.prefillChunks(decoding: 4, remaining: [2000], promptLimit: 5000) == [508])
        #expect(p.prefillChunks(decoding: 4, remaining: [2000]) == [508])
        // Run-to-completion policies ignore it.
        #expect(policy(.dynamic).prefillChunks(decoding: 1, remaining: [300], promptLimit: 40) == [300])
    }

    @Test func stepCostModelLearnsAFixedPartAndAPerTokenPartAndFillsTheTarget() {
        var model = StepCostModel()
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0.5) == nil)  // nothing observed yet
        model.observe(decodeTokens: 4, promptTokens: 8, seconds: 0.09)  // too few prompt tokens to learn from
        #expect(model.secondsPerPromptToken == nil)
        // A big prefill with nothing decoding: 5 ms per prompt token (its fixed part spread thin).
        model.observe(decodeTokens: 0, promptTokens: 400, seconds: 2.0)
        #expect(model.secondsPerPromptToken == 0.005)
        // Without a decode step observed, the whole target goes to prompt tokens.
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0.5) == 100)
        // A decode-only step of 40 ms is the fixed part of a step that carries decode tokens.
        model.observe(decodeTokens: 4, promptTokens: 0, seconds: 0.04)
        #expect(model.decodeStepSeconds == 0.04)
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0.5) == 92)
        // A mixed step teaches the per-token part with the fixed part taken off: (0.54 - 0.04) / 50 = 10 ms,
        // a quarter of the way from 5 ms.
        model.observe(decodeTokens: 4, promptTokens: 50, seconds: 0.54)
        #expect(abs(model.secondsPerPromptToken! - 0.00625) < 1e-12)
        // Nothing decoding or no target: no limit. Decoding alone over the target: the minimum chunk.
        #expect(model.promptLimit(decoding: 0, targetSeconds: 0.5) == nil)
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0) == nil)
        #expect(model.promptLimit(decoding: 4, targetSeconds: 0.03) == StepCostModel.minimumChunk)
        model.observe(decodeTokens: 4, promptTokens: 100, seconds: .infinity)
        #expect(abs(model.secondsPerPromptToken! - 0.00625) < 1e-12)
    }

    @Test func stepTargetIsValidatedAndDefaultsWhenAbsent() throws {
        #expect(throws: EngineError.self) {
            try SchedulerConfiguration(kind: .continuous, stepTargetMilliseconds: -1).validate()
        }
        let decoded = try JSONDecoder().decode(
            SchedulerConfiguration.self, from: Data(#"{"scheduler":"dynamic","max_seqs":2}"#.utf8))
        #expect(decoded == SchedulerConfiguration(kind: .dynamic, maxSequences: 2))
        #expect(decoded.stepTargetMilliseconds == 2000 && decoded.batchTokens == 2048)
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

/// The instant `ms` milliseconds after the clock's origin.
private func at(ms: Int) -> MonotonicInstant { .zero + .milliseconds(ms) }
