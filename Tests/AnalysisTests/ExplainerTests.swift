import Analysis
import InferLabCore
import InferenceCore
import Testing

/// The attribution on hand-built runs whose causes are known.
@Suite struct ExplainerTests {
    /// `ms` milliseconds after the clock's origin.
    static func at(_ ms: Double) -> MonotonicInstant { .zero + .microseconds(Int64((ms * 1000).rounded())) }

    /// Steps of 10 ms + 20 ms per decode token + 0.5 ms per prompt token, back to back from `from`,
    /// with 1 ms between steps.
    static func steps(
        from: Double, _ contents: [(decode: [String], prompt: [(String, Int)])], firstIndex: Int = 1
    ) -> [StepRecord] {
        var t = from
        return contents.enumerated().map { offset, content in
            let prompt = content.prompt.reduce(0) { $0 + $1.1 }
            let ms = 10 + 20 * Double(content.decode.count) + 0.5 * Double(prompt)
            let shares =
                content.decode.map { StepShare(id: $0, decode: 1, prompt: 0) }
                + content.prompt.map { StepShare(id: $0.0, decode: 0, prompt: $0.1) }
            let step = StepRecord(
                index: firstIndex + offset, start: at(t), durationMilliseconds: ms, decodeTokens: content.decode.count,
                promptTokens: prompt, promptSequences: content.prompt.count, running: 0, waiting: 0, requests: shares)
            t += ms + 1
            return step
        }
    }

    /// A request `a` alone: prefill of 100 tokens in one step, then 5 decode steps.
    func solo(os: OSCounters = OSCounters()) -> (Explainer, RequestLife) {
        var contents: [(decode: [String], prompt: [(String, Int)])] = [([], [("a", 100)])]
        contents += Array(repeating: (["a"], []), count: 5)
        // More steps of another request so the cost model has something to fit.
        contents += (0..<20).map { i in
            (
                Array(repeating: "b", count: 1 + i % 3).enumerated().map { "b\($0.offset)" },
                i % 4 == 0 ? [("c", 64)] : []
            )
        }
        let steps = Self.steps(from: 10, contents)
        let server = ServerLife(
            arrival: Self.at(5), admitted: Self.at(10), prefillStart: Self.at(10), firstToken: steps[0].end,
            lastToken: steps[5].end)
        let request = RequestLife(
            id: "a", scheduled: Self.at(0), sent: Self.at(1),
            contentEvents: steps[0...5].map { $0.end + .milliseconds(1) },
            lastEvent: steps[5].end + .milliseconds(2), server: server)
        return (Explainer(requests: [request], steps: steps, os: os), request)
    }

    @Test func theCostModelRecoversTheStepCostAndIgnoresStalledSteps() throws {
        var contents: [(decode: [String], prompt: [(String, Int)])] = (0..<40).map { i in
            ((0..<(1 + i % 4)).map { "r\($0)" }, i % 5 == 0 ? [("p", 32 * (1 + i % 3))] : [])
        }
        contents.append((["r0"], []))
        var steps = Self.steps(from: 0, contents)
        steps[10].durationMilliseconds += 400  // a stall
        let model = try #require(StepCostModel.fit(steps))
        #expect(abs(model.baseMilliseconds - 10) < 0.01)
        #expect(abs(model.perDecodeTokenMilliseconds - 20) < 0.01)
        #expect(abs(model.perPromptTokenMilliseconds - 0.5) < 0.001)
        #expect(model.excluded == 1)
    }

    @Test func componentsAddUpToTheLatency() {
        let (explainer, request) = solo()
        let explanation = explainer.explain(request, tokens: true)
        #expect(abs(explanation.components.total - explanation.e2eMilliseconds) < 1e-6)
        #expect(abs(explanation.ttftComponents.total - (explanation.ttftMilliseconds ?? 0)) < 1e-6)
        #expect(explanation.components[.clientLag] == 1)
        #expect(explanation.components[.networkIn] == 4)
        #expect(explanation.components[.queue] == 5)
        #expect(abs(explanation.components[.networkOut] - 2) < 1e-9)
        // Alone: its own compute, 60 ms of prefill (10 + 0.5 x 100) and 5 x 30 ms of decode.
        #expect(abs(explanation.components[.prefillOwn] - 60) < 0.01)
        #expect(abs(explanation.components[.decodeOwn] - 150) < 0.01)
        #expect(explanation.components[.cfsThrottling] == 0 && explanation.components[.unattributed] < 0.01)
        let tokens = explanation.tokens ?? []
        #expect(tokens.count == 5)
        #expect(tokens.allSatisfy { abs($0.components.total - $0.gapMilliseconds) < 1e-6 && $0.topCause == .decodeOwn })
        #expect(explanation.basis == "engine")
    }

    @Test func throttlingIsChargedWhereTheCounterGrew() {
        var os = OSCounters()
        // 100 ms throttled during the decode steps (between 80 and 200 ms), 3 periods.
        os.throttledMicroseconds = [
            (Self.at(0), 0), (Self.at(80), 0), (Self.at(200), 100_000), (Self.at(900), 100_000),
        ]
        os.throttledPeriods = [(Self.at(0), 0), (Self.at(80), 0), (Self.at(200), 3), (Self.at(900), 3)]
        let (explainer, request) = solo(os: os)
        let explanation = explainer.explain(request)
        #expect(explanation.components[.cfsThrottling] > 50)
        #expect(abs(explanation.components.total - explanation.e2eMilliseconds) < 1e-6)
        #expect(explanation.evidence[.cfsThrottling]?.contains("throttled period") == true)
        // Without the counter growing: nothing.
        let (plain, same) = solo()
        #expect(plain.explain(same).components[.cfsThrottling] == 0)
    }

    @Test func aLongPromptInItsDecodeStepsIsOtherRequestsPrefill() {
        // `a` decodes; `big` sends 1,500 prompt tokens in three chunks into a's steps 3-5.
        var contents: [(decode: [String], prompt: [(String, Int)])] = Array(repeating: (["a"], []), count: 2)
        contents += Array(repeating: (["a"], [("big", 500)]), count: 3)
        contents += Array(repeating: (["a", "big"], []), count: 3)
        contents += (0..<20).map { i in (i % 2 == 0 ? ["x"] : ["x", "y"], i % 5 == 0 ? [("z", 100)] : []) }
        let steps = Self.steps(from: 100, contents)
        let server = ServerLife(
            arrival: Self.at(0), admitted: Self.at(0), prefillStart: Self.at(0), firstToken: steps[0].start,
            lastToken: steps[7].end)
        let events = steps[0...7].map(\.end)
        let request = RequestLife(
            id: "a", scheduled: Self.at(0), sent: Self.at(0), contentEvents: [steps[0].start] + events,
            lastEvent: steps[7].end, server: server)
        let explanation = Explainer(requests: [request], steps: steps, os: OSCounters()).explain(request, tokens: true)
        let tokens = explanation.tokens ?? []
        let spiked = tokens.filter { $0.gapMilliseconds > 200 }
        #expect(spiked.count == 3)
        #expect(spiked.allSatisfy { $0.topCause == .decodeOtherPrefill })
        #expect(tokens.filter { $0.gapMilliseconds < 40 }.allSatisfy { $0.topCause == .decodeOwn })
        #expect(explanation.evidence[.decodeOtherPrefill]?.contains("1500 prompt tokens") == true)
    }

    @Test func queueingBehindOthersIsNamedWithWhom() {
        let steps = Self.steps(from: 0, Array(repeating: (["b"], []), count: 30))
        let b = RequestLife(
            id: "b", scheduled: Self.at(0), sent: Self.at(0), contentEvents: steps.map(\.end),
            lastEvent: steps[29].end,
            server: ServerLife(
                arrival: Self.at(0), admitted: Self.at(0), prefillStart: Self.at(0), firstToken: steps[0].end,
                lastToken: steps[29].end))
        let admitted = steps[29].end
        let a = RequestLife(
            id: "a", scheduled: Self.at(1), sent: Self.at(1), contentEvents: [admitted + .milliseconds(50)],
            lastEvent: admitted + .milliseconds(51),
            server: ServerLife(
                arrival: Self.at(1), admitted: admitted, prefillStart: admitted,
                firstToken: admitted + .milliseconds(50), lastToken: admitted + .milliseconds(50)))
        let explanation = Explainer(requests: [a, b], steps: steps, os: OSCounters()).explain(a)
        #expect(explanation.topCause == .queue)
        #expect(explanation.topTTFTCause == .queue)
        #expect(explanation.evidence[.queue] == "behind 1 running request and 0 requests queued ahead")
        #expect(
            explanation.sentence.hasPrefix(
                "\(Int((100 * explanation.components[.queue] / explanation.e2eMilliseconds).rounded())) % of this request's"
            ))
    }

    @Test func withoutTheEnginesInstantsQueueAndNetworkAreUnattributed() {
        let request = RequestLife(
            id: "llama-1", scheduled: Self.at(0), sent: Self.at(0),
            contentEvents: [Self.at(300), Self.at(330), Self.at(360)], lastEvent: Self.at(361),
            serverPromptMilliseconds: 200, serverDecodeMilliseconds: 60)
        let explanation = Explainer(requests: [request], steps: [], os: OSCounters()).explain(request)
        #expect(explanation.basis == "timings")
        #expect(explanation.components[.prefillOwn] == 200)
        #expect(explanation.components[.unattributed] == 100)
        #expect(explanation.components[.decodeOwn] == 60)
        #expect(abs(explanation.components.total - 361) < 1e-6)
        #expect(explanation.evidence[.unattributed]?.contains("not separable") == true)
    }

    @Test func aCounterGrowsInProportionToTheOverlap() {
        let series: OSCounters.Series = [
            (Self.at(0), 0), (Self.at(100), 1000), (Self.at(200), 1000), (Self.at(300), 10),
        ]
        #expect(abs(series.growth(from: Self.at(50), to: Self.at(150)) - 500) < 1e-6)
        #expect(series.growth(from: Self.at(150), to: Self.at(400)) == 0, "a reset adds nothing")
        #expect(series.growth(from: Self.at(-0), to: Self.at(0)) == 0)
    }
}
