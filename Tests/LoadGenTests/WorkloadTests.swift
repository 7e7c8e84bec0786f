import Foundation
import InferLabCore
@testable import LoadGen
@testable import RunStore
import TestSupport
import Testing

/// The workloads users bring, as logic: distributions, synthetic prompts, datasets, traces,
/// load shapes, the rate search, hang-ups and scrapes (against the mock server).
@Suite("Workloads: datasets, synthetic lengths, traces, load shapes, rate search, hang-ups")
struct WorkloadTests {
    /// A deterministic stand-in tokenizer: one token per word, two for words over six letters.
    static let words: TokenCounter = { text in
        text.split(separator: " ").reduce(0) { $0 + ($1.count > 6 ? 2 : 1) }
    }

    func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("distributions parse, print back, and draw around their mean; bad ones name what is wrong")
    func distributions() throws {
        for text in ["fixed:128", "uniform:16,64", "normal:300,50", "lognormal:300,150"] {
            #expect(try TokenLengthDistribution.parse(text).description == text)
        }
        var rng = SeededGenerator(seed: 7)
        let lognormal = try TokenLengthDistribution.parse("lognormal:300,150")
        let draws = (0..<20_000).map { _ in Double(lognormal.sample(&rng)) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let sd = (draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)).squareRoot()
        #expect(abs(mean - 300) < 6, "mean \(mean)")
        #expect(abs(sd - 150) < 10, "sd \(sd)")
        let uniform = try TokenLengthDistribution.parse("uniform:3,5")
        #expect(Set((0..<200).map { _ in uniform.sample(&rng) }) == [3, 4, 5])
        #expect(error { _ = try TokenLengthDistribution.parse("gamma:3,4") }.contains("unknown kind 'gamma'"))
        #expect(error { _ = try TokenLengthDistribution.parse("uniform:9,3") }.contains("lower bound is above"))
        #expect(error { _ = try TokenLengthDistribution.parse("fixed:2.5") }.contains("whole numbers"))
        #expect(error { _ = try TokenLengthDistribution.parse("normal:300") }.contains("takes 2 parameter"))
        #expect(error { _ = try TokenLengthDistribution.parse("300") }.contains("no ':'"))
    }

    @Test("synthetic prompts measure what they claim and repeat byte for byte with the same seed")
    func syntheticPromptsRepeat() async throws {
        let prompts = SyntheticPrompts(countTokens: Self.words)
        for target in [1, 7, 64, 333] {
            let (text, tokens) = try await prompts.prompt(tokens: target, seed: 9)
            #expect(tokens == (try await Self.words(text)))
            #expect(tokens <= target && tokens >= target - 1, "\(target) -> \(tokens)")
        }
        var c = BenchConfiguration()
        c.inputTokens = .lognormal(mean: 120, sd: 60)
        c.outputTokens = .uniform(8, 32)
        c.sharedPrefixGroups = 3
        c.sharedPrefixTokens = 40
        c.requests = 12
        func bodies(_ c: BenchConfiguration) async throws -> [Data] {
            let workload = try await WorkloadBuilder(c, countTokens: Self.words).build()
            return workload.entries.map { WireRequest(entry: $0, configuration: c).body() }
        }
        let first = try await bodies(c)
        let again = try await bodies(c)
        #expect(first.count == 12)
        #expect(first == again)
        var other = c
        other.promptSeed = 2
        let different = try await bodies(other)
        #expect(different != first)
        // Every request carries its group's prefix as the system message, and asks for exact lengths.
        let workload = try await WorkloadBuilder(c, countTokens: Self.words).build()
        let systems = workload.entries.map { $0.messages?.first { $0.role == "system" }?.content ?? "" }
        #expect(Set(systems).count == 3)
        #expect(systems[0] == systems[3] && systems[1] == systems[4])
        #expect(workload.entries.allSatisfy { (8...32).contains($0.maxTokens ?? 0) })
        let body = String(decoding: first[0], as: UTF8.self)
        #expect(body.contains("\"ignore_eos\":true"))
    }

    @Test("synthetic prompts without a tokenizer fail saying what to pass")
    func syntheticNeedsATokenizer() async throws {
        var c = BenchConfiguration()
        c.inputTokens = .fixed(32)
        await #expect(throws: LoadGenError.self) { _ = try await WorkloadBuilder(c).build() }
        do {
            _ = try await WorkloadBuilder(c).build()
        } catch {
            #expect(error.message.contains("--tokenizer"))
        }
    }

    @Test("ShareGPT JSON and JSONL datasets load; sessions get the later human turns")
    func datasets() throws {
        let sharegpt = """
            [
              {"id": "x1", "conversations": [
                {"from": "human", "value": "What is a lighthouse?"},
                {"from": "gpt", "value": "A tower with a light."},
                {"from": "human", "value": "Who keeps it?"}]},
              {"id": "x2", "conversations": [{"from": "gpt", "value": "orphan reply"}]},
              {"id": 3, "conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi"}]}
            ]
            """
        let dataset = try Dataset.parse(Data(sharegpt.utf8), name: "sg.json")
        #expect(dataset.records.map(\.id) == ["x1", "3"])
        #expect(dataset.skipped == 1)
        #expect(dataset.records[0].turns == ["What is a lighthouse?", "Who keeps it?"])
        #expect(dataset.records[0].reply == "A tower with a light.")
        #expect(dataset.records[0].line == 2)
        #expect(dataset.records[1].system == "Be brief.")
        let jsonl = """
            {"prompt": "one", "max_tokens": 5}
            {"text": "two"}

            {"id": "m", "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "three"}]}
            {"conversations": [{"from": "human", "value": "four"}]}
            """
        let lines = try Dataset.parse(Data(jsonl.utf8), name: "d.jsonl")
        #expect(lines.records.map(\.id) == ["l1", "l2", "m", "l5"])
        #expect(lines.records[0].maxTokens == 5)
        #expect(lines.records[2].messages?.count == 2)
    }

    @Test("a malformed dataset fails with its line and field named")
    func badDatasets() {
        func failure(_ text: String) -> String {
            error { _ = try Dataset.parse(Data(text.utf8), name: "f") }
        }
        #expect(
            failure(
                "[{\"conversations\": [{\"from\": \"human\", \"value\": \"a\"}]},\n {\"conversations\": [{\"from\": \"human\", \"value\": 5}]}]"
            )
            .contains("f line 2 (conversation 2): conversations[0].value must be a string"))
        #expect(failure("{\"prompt\": \"a\"}\n{\"prompt\": 3}").contains("f line 2: \"prompt\" must be a string"))
        #expect(failure("{\"prompt\": \"a\"}\n{\"prompt\": \"b\"\n").contains("f line 2: not valid JSON"))
        #expect(
            failure("[{\"id\": \"a\",\n\"conversations\": [{\"from\": \"human\" \"value\": \"hi\"}]}]").contains(
                "f line 2: not valid JSON"))
        #expect(failure("{\"prompt\": \"a\", \"text\": \"b\"}").contains("f line 1: has both \"prompt\" and \"text\""))
        #expect(failure("{\"other\": 1}").contains("f line 1: needs \"prompt\""))
        #expect(
            failure("{\"prompt\": \"a\", \"max_tokens\": 0}").contains("\"max_tokens\" must be a whole number >= 1"))
        #expect(failure("{\"messages\": [{\"role\": \"user\"}]}").contains("messages[0].content must be a string"))
        #expect(
            failure("{\"conversations\": [{\"from\": \"alien\", \"value\": \"x\"}]}").contains(
                "conversations[0].from is 'alien'"))
        #expect(
            failure("{\"id\": \"a\", \"prompt\": \"x\"}\n{\"id\": \"a\", \"prompt\": \"y\"}").contains(
                "line 2: duplicate id"))
        #expect(failure("  \n").contains("is empty"))
    }

    @Test("traces: the Azure CSV and our JSONL replay on the clock; bad lines are named")
    func traces() throws {
        let azure = """
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:15:46.6805900,374,44
            2023-11-16 18:15:50.9951690,396,109
            2023-11-16 18:16:01.0000000,879,20
            """
        let trace = try RequestTrace.parse(azure, name: "az.csv")
        #expect(trace.arrivals.map(\.inputTokens) == [374, 396, 879])
        #expect(trace.arrivals.map(\.outputTokens) == [44, 109, 20])
        #expect(abs(trace.arrivals[1].offset - 4.314579) < 1e-6)
        #expect(abs(trace.span - 14.31941) < 1e-4)
        let jsonl = """
            {"t": 2.5, "input_tokens": 10, "output_tokens": 4, "session": "a"}
            {"t": 0.5, "input_tokens": 12, "output_tokens": 3}
            """
        let ours = try RequestTrace.parse(jsonl, name: "t.jsonl")
        #expect(ours.arrivals.map(\.offset) == [0, 2])
        #expect(ours.arrivals[1].session == "a")
        func failure(_ text: String) -> String { error { _ = try RequestTrace.parse(text, name: "t") } }
        #expect(
            failure("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,12x,4").contains(
                "t line 2: ContextTokens '12x' is not a whole number"))
        #expect(
            failure("TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,12,4").contains(
                "t line 2: TIMESTAMP 'yesterday' is not a time"))
        #expect(failure("TIMESTAMP,Tokens\n1,2").contains("t line 1: the header has no input tokens column"))
        #expect(failure("t,input_tokens,output_tokens\n1,2").contains("t line 2: 2 field(s), the header has 3"))
        #expect(failure("{\"t\": 1, \"input_tokens\": 5}").contains("t line 1: missing \"output_tokens\""))
        #expect(
            failure("{\"t\": \"soon\", \"input_tokens\": 5, \"output_tokens\": 1}").contains("\"t\" must be seconds"))
    }

    @Test("load shapes: a trace keeps its offsets, a ramp starts slow, constant gaps are equal")
    func loadShapes() {
        let offsets: [Duration] = [.zero, .milliseconds(300), .milliseconds(1000)]
        var scheduler = LoadScheduler(pattern: .scheduled(offsets), start: .zero, requests: 10, duration: nil)
        var sent: [MonotonicInstant] = []
        var now = MonotonicInstant.zero
        loop: while true {
            switch scheduler.nextAction(now: now) {
            case .send(_, let at): sent.append(at)
            case .sleep(let until): now = until
            case .awaitCompletion: scheduler.requestFinished()
            case .finished: break loop
            }
        }
        #expect(sent == offsets.map { MonotonicInstant.zero + $0 })
        // A linear ramp over 10 s: half the full-rate arrivals of the first 10 s come in it.
        #expect(LoadScheduler.ramped(1, over: 10) == (20.0).squareRoot())
        #expect(LoadScheduler.ramped(5, over: 10) == 10)
        #expect(LoadScheduler.ramped(8, over: 10) == 13)
        #expect(LoadScheduler.ramped(8, over: nil) == 8)
        var constant = ArrivalProcess(rate: 4, regular: true, seed: 1)
        #expect((0..<5).map { _ in constant.nextInterval() } == Array(repeating: 0.25, count: 5))
    }

    @Test("the rate search doubles to the first failure, then bisects, and reports the step above")
    func rateSearch() {
        var search = RateSearch(start: 1, target: 0.95, maxSteps: 10, precision: 0.1)
        let capacity = 5.3
        var tried: [Double] = []
        while let rate = search.next() {
            tried.append(rate)
            search.record(rate: rate, fraction: rate <= capacity ? 0.99 : 0.5, saturated: nil)
        }
        #expect(Array(tried.prefix(4)) == [1, 2, 4, 8])
        #expect(search.best!.rate <= capacity)
        #expect(search.above!.rate > capacity)
        #expect(search.above!.rate / search.best!.rate <= 1.1)
        var none = RateSearch(start: 1, target: 0.95, maxSteps: 20)
        while let rate = none.next() { none.record(rate: rate, fraction: 0, saturated: "grew") }
        #expect(none.best == nil)
        #expect(none.trials.map(\.rate).min()! >= 1.0 / 64)
    }

    @Test("saturation: a backlog that keeps growing is caught, one that holds is not")
    func saturation() {
        var growing = SaturationDetector(rate: 4)
        var verdict: String?
        for step in 1...40 where verdict == nil {
            let t = Double(step) * 0.5
            verdict = growing.observe(t: t, backlog: 2 + t * 2)  // half the arrivals unserved
        }
        #expect(verdict != nil)
        var steady = SaturationDetector(rate: 4)
        var any: String?
        for step in 1...120 {
            let t = Double(step) * 0.5
            any = any ?? steady.observe(t: t, backlog: Double(6 + (step % 5)))
        }
        #expect(any == nil)
    }

    @Test("the Prometheus text format: values with and without labels, buckets and comments dropped")
    func prometheus() throws {
        let text = """
            # HELP llamacpp:requests_deferred waiting
            # TYPE llamacpp:requests_deferred gauge
            llamacpp:requests_deferred 3
            inferlab_queue_depth{model="m"} 2.5
            inferlab_ttft_seconds_bucket{le="0.1"} 4
            inferlab_ttft_seconds_sum 1.5 1700000000
            broken_line
            nan_metric NaN
            """
        let samples = PrometheusText.parse(text, at: .zero)
        #expect(
            samples.map(\.name) == ["llamacpp:requests_deferred", "inferlab_queue_depth", "inferlab_ttft_seconds_sum"])
        #expect(samples[1].labels == "{model=\"m\"}")
        #expect(samples.map(\.value) == [3, 2.5, 1.5])
        // Counters grow from the mark at the measured windows' start to the last scrape, summed over labels.
        func scrape(_ t: UInt64, _ tokens: Double, _ queue: Double) -> [ServerMetricSample] {
            PrometheusText.parse(
                "llamacpp:tokens_predicted_total \(tokens)\nx_total{a=\"1\"} \(tokens)\nx_total{a=\"2\"} 1\nllamacpp:requests_deferred \(queue)",
                at: .at(t))
        }
        var series = ServerMetricsSeries(url: "u", samples: scrape(1, 100, 0) + scrape(2, 130, 5) + scrape(3, 190, 2))
        series.measuredFrom = .at(2)
        #expect(series.counterGrowth == ["llamacpp:tokens_predicted_total": 60, "x_total": 60])
        #expect(series.peaks == ["llamacpp:requests_deferred": 5])
        let trial = RateSearch.Trial(rate: 2, goodputFraction: 0.9, passed: false, saturated: nil)
        let json = String(decoding: try JSONEncoder().encode(trial), as: UTF8.self)
        #expect(json.contains("\"goodput_fraction\":0.9"))
    }

    @Test("configuration: what cannot be combined is refused with the key named")
    func validation() {
        func refused(_ change: (inout BenchConfiguration) -> Void) -> String {
            var c = BenchConfiguration()
            change(&c)
            return error { try c.validate() }
        }
        #expect(
            refused {
                $0.datasetPath = "a"; $0.inputTokens = .fixed(3)
            }.contains("input_tokens"))
        #expect(refused { $0.sharedPrefixGroups = 2 }.contains("shared_prefix_tokens"))
        #expect(
            refused {
                $0.sessions = 2; $0.scenario = .poisson; $0.rate = 1
            }.contains("scenario"))
        #expect(
            refused {
                $0.tracePath = "t"; $0.scenario = .offline; $0.requests = 3
            }.contains("trace replays"))
        #expect(refused { $0.cancelFraction = 0.2 }.contains("cancel_after"))
        #expect(
            refused {
                $0.cancelFraction = 1.5; $0.cancelAfter = .tokens(5)
            }.contains("cancel_fraction"))
        #expect(refused { $0.scenario = .maxRate }.contains("slo"))
        #expect(refused { $0.rampUpSeconds = 5 }.contains("ramp_up_s"))
        #expect(refused { $0.serverMetricsURL = "localhost:9" }.contains("server_metrics"))
        #expect(refused { $0.serverMetricsURL = "/metrics" } == "no error")
        #expect(BenchConfiguration.CancelAfter.parse("5") == .tokens(5))
        #expect(BenchConfiguration.CancelAfter.parse("5 tokens") == .tokens(5))
        #expect(BenchConfiguration.CancelAfter.parse("500ms") == .seconds(0.5))
        #expect(BenchConfiguration.CancelAfter.parse("2s") == .seconds(2))
        #expect(BenchConfiguration.CancelAfter.parse("soon") == nil)
    }

    @Test("an open loop reaps requests as they finish: in flight is what is outstanding, not what was sent")
    func openLoopCountsWhatIsInFlight() async throws {
        let server = try await MockOpenAIServer.start(behavior: .init(tokens: 10, interval: .milliseconds(2)))
        defer { Task { await server.stop() } }
        var c = BenchConfiguration()
        c.url = server.url
        c.scenario = .poisson
        c.rate = 100
        c.requests = 80
        let corpus = Corpus(entries: [CorpusEntry(id: "a", prompt: "hello", maxTokens: 10)])
        let result = try await BenchRunner(c, corpus: corpus).run()
        #expect(result.summary.requests.completed == 80)
        // The peak is the most requests whose send-to-finish intervals overlap (as reaped: a
        // request counts until the driver collects it, a little after its last byte).
        var edges = result.records.flatMap { [($0.sent, 1), ($0.finished, -1)] }
        edges.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        var open = 0
        var overlap = 0
        for edge in edges {
            open += edge.1
            overlap = max(overlap, open)
        }
        #expect(overlap < 80, "the mock answers in about 25 ms; \(overlap) overlapped")
        #expect(result.summary.peakInFlight >= overlap)
        #expect(result.summary.peakInFlight <= overlap + 3, "peak \(result.summary.peakInFlight), overlap \(overlap)")
    }

    @Test("hang-ups against the mock: a seeded share is cut after K tokens, counted apart from failures")
    func hangUps() async throws {
        let server = try await MockOpenAIServer.start(behavior: .init(tokens: 40, interval: .milliseconds(2)))
        defer { Task { await server.stop() } }
        var c = BenchConfiguration()
        c.url = server.url
        c.requests = 40
        c.concurrency = 4
        c.cancelFraction = 0.5
        c.cancelAfter = .tokens(5)
        let corpus = Corpus(entries: [CorpusEntry(id: "a", prompt: "hello", maxTokens: 40)])
        let store = try RunStore(path: TestDirectory().path("h.sqlite"))
        let result = try await BenchRunner(c, corpus: corpus).run(store: store)
        let cut = result.records.filter(\.hungUp)
        #expect(result.summary.requests.cancelled == cut.count)
        #expect(result.summary.requests.failed == 0)
        #expect(result.summary.requests.completed == 40 - cut.count)
        #expect((12...28).contains(cut.count), "\(cut.count) of 40 hung up")
        #expect(cut.allSatisfy { $0.contentEventCount >= 5 && $0.contentEventCount <= 7 })
        #expect(result.records.filter(\.succeeded).allSatisfy { $0.contentEventCount == 40 })
        #expect(result.summary.errors.isEmpty)
        // The same seed hangs up on the same requests.
        let again = try await BenchRunner(c, corpus: corpus).run()
        #expect(Set(again.records.filter(\.hungUp).map(\.seq)) == Set(cut.map(\.seq)))
        let rows = try store.read { db in try RequestRow.fetchAll(db) }
        #expect(rows.filter { $0.errorClass == "hung_up" }.count == cut.count)
        // A hang-up after a time.
        c.cancelFraction = 1
        c.cancelAfter = .seconds(0.02)
        c.requests = 4
        let timed = try await BenchRunner(c, corpus: corpus).run()
        #expect(timed.summary.requests.cancelled == 4)
        #expect(timed.records.allSatisfy { ($0.finished - $0.sent).milliseconds < 70 })
    }
}
