public import ArgumentParser
import Foundation
import InferenceCore
import LlamaEngine
import LoadGen
import Reporting

extension BenchConfiguration.API: ExpressibleByArgument {}
extension BenchConfiguration.Scenario: ExpressibleByArgument {}
extension BenchConfiguration.SweepMode: ExpressibleByArgument {}
extension BenchConfiguration.Sampler: ExpressibleByArgument {}
extension BenchConfiguration.PromptClass: ExpressibleByArgument {}
import RunStore

/// `inferlab bench`: load-test any OpenAI-compatible endpoint (the default subcommand `run`),
/// calibrate the client, export results.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Load-test an OpenAI-compatible endpoint: closed loop, Poisson, constant, sweeps, a max-rate search; corpora, datasets, synthetic lengths, shared prefixes, sessions, traces, hang-ups.",
        subcommands: [Run.self, Calibrate.self, Export.self, Mock.self],
        defaultSubcommand: Run.self)

    /// The default results file.
    static let defaultStore = "results/bench.sqlite"

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Send a workload and measure TTFT, ITL, TPOT, E2E, throughput and goodput.")

        /// Where the defaults shown in the help come from.
        static let defaults = BenchConfiguration()

        @Option(help: "Base URL of the server (default: \(defaults.url)).") var url: String?
        @Option(help: "API (default: \(defaults.api.rawValue)).") var api: BenchConfiguration.API?
        @Option(help: "Model name sent with each request (default: \(defaults.model)).") var model: String?
        @Option(help: "Scenario (default: \(defaults.scenario.rawValue)).") var scenario: BenchConfiguration.Scenario?
        @Option(help: "Closed-loop users (default: \(defaults.concurrency)).") var concurrency: Int?
        @Option(help: "Open-loop rate in requests/s (poisson).") var rate: Double?
        @Option(help: "Gamma shape of open-loop gaps, 1 = Poisson, < 1 burstier (default: \(defaults.burstiness)).")
        var burstiness: Double?
        @Option(help: "Cap on requests in flight (poisson, offline).") var maxConcurrency: Int?
        @Option(help: "Sweep values, comma-separated (e.g. 1,2,4).") var sweep: String?
        @Option(help: "What sweep values are (default: \(defaults.sweepMode.rawValue)).")
        var sweepMode: BenchConfiguration.SweepMode?
        @Option(
            help: "Measured requests per window (default: \(BenchConfiguration.defaultRequests) unless --duration).")
        var requests: Int?
        @Option(help: "Length of each measured window (e.g. 30, 30s, 2m).") var duration: String?
        @Option(
            help:
                "Warm-up before measuring, never counted: K requests or a duration like 10s (default: \(defaults.warmupRequests))."
        )
        var warmup: String?
        @Option(help: "Override each prompt's max_tokens.") var maxTokens: Int?
        @Option(
            help:
                "How tokens are picked (default: \(defaults.sampler.rawValue); --temperature T > 0 implies temperature)."
        )
        var sampler: BenchConfiguration.Sampler?
        @Option(help: "Temperature of the non-greedy samplers; 0 = greedy (default: \(defaults.temperature)).")
        var temperature: Double?
        @Option(help: "k of the top-k sampler (default: \(defaults.topK)).") var topK: Int?
        @Option(help: "p of the top-p sampler (default: \(defaults.topP)).") var topP: Double?
        @Option(help: "Sampling seed (default: \(defaults.seed)).") var seed: Int?
        @Flag(help: "Ask the server to ignore end-of-generation (llama-server).") var ignoreEos = false
        @Option(help: "Objectives for goodput, e.g. ttft=500ms,tpot=100ms,e2e=5s.") var slo: String?
        @Option(help: "JSONL corpus (default: a built-in generated corpus).") var corpus: String?
        @Option(help: "Prompt length class taken from the corpus (default: \(defaults.promptClass.rawValue)).")
        var promptClass: BenchConfiguration.PromptClass?
        @Option(help: "A system prompt sent before every prompt (a shared prefix).") var systemPrompt: String?
        @Flag(help: "Do not stream (one JSON body per request).") var noStream = false
        @Option(help: "A dataset: ShareGPT JSON (conversations) or JSONL of prompts (prompt, text, messages).")
        var dataset: String?
        @Option(
            help:
                "Synthetic prompts of this many tokens: fixed:N, uniform:A,B, normal:MEAN,SD or lognormal:MEAN,SD (seeded)."
        )
        var inputTokens: String?
        @Option(help: "Each request's output length (same forms); sets max_tokens and ignore_eos.")
        var outputTokens: String?
        @Option(help: "Distinct prompts to make or take (default: one per measured request, at most 1000).")
        var prompts: Int?
        @Option(help: "Seed of synthetic prompts, output lengths and hang-ups (default: \(defaults.promptSeed)).")
        var promptSeed: UInt64?
        @Option(help: "Groups sharing a prefix (a system prompt); request i is in group i mod N.")
        var sharedPrefixGroups: Int?
        @Option(help: "Tokens of each group's shared prefix.") var sharedPrefixTokens: Int?
        @Option(help: "Concurrent multi-turn sessions; each turn carries the whole history.") var sessions: Int?
        @Option(help: "Turns per session (default: \(defaults.turns)).") var turns: Int?
        @Option(help: "Think time between an answer and the next turn (e.g. 1s, 500ms).") var thinkTime: String?
        @Option(
            help:
                "Replay a trace on the clock: Azure LLM trace CSV or JSONL {t, input_tokens, output_tokens[, session]}."
        )
        var trace: String?
        @Option(help: "Speed of the replay, 2 = twice as fast (default: \(defaults.traceSpeed)).") var traceSpeed:
            Double?
        @Option(help: "Ramp an open-loop rate up from 0 over this time (e.g. 10s).") var rampUp: String?
        @Flag(help: "Search for the highest rate whose goodput meets --goodput-target under --slo.") var maxRate = false
        @Option(help: "Share of requests that must meet the SLO at a rate (default: \(defaults.goodputTarget)).")
        var goodputTarget: Double?
        @Option(help: "Most windows the max-rate search runs (default: \(defaults.maxRateSteps)).") var maxRateSteps:
            Int?
        @Flag(help: "Run every open-loop window in full even when its backlog grows without bound.")
        var noSaturationStop = false
        @Option(help: "Share of requests the client hangs up on mid-stream (0-1).") var cancelFraction: Double?
        @Option(help: "When a hang-up happens: K tokens, or a duration such as 500ms.") var cancelAfter: String?
        @Option(help: "Scrape the target's Prometheus endpoint while running (a URL, or a path such as /metrics).")
        var serverMetrics: String?
        @Option(help: "Seconds between scrapes (default: \(defaults.serverMetricsInterval)).")
        var serverMetricsInterval: Double?
        @Option(
            help:
                "Count tokens with this GGUF model (a file or catalogue name) instead of the server's /tokenize.")
        var tokenizer: String?
        @Option(help: "Write the throughput-against-latency chart of a sweep or rate search (SVG).") var chart: String?
        @Option(help: "US dollars per hour of the serving machine: $ per million output tokens beside tokens/s.")
        var pricePerHour: Double?
        @Option(help: "Per-request timeout in seconds (default: \(defaults.timeoutSeconds)).") var timeout: Double?
        @Option(help: "Results file (SQLite).") var out = BenchCommand.defaultStore
        @Flag(help: "Do not write a results file.") var noStore = false
        @Flag(help: "Print one JSON object instead of the table.") var json = false

        func configuration() throws -> BenchConfiguration {
            var c = BenchConfiguration()
            if let url { c.url = url }
            if let api { c.api = api }
            if let model { c.model = model }
            if let scenario { c.scenario = scenario }
            if let concurrency { c.concurrency = concurrency }
            c.rate = rate
            if let burstiness { c.burstiness = burstiness }
            c.maxConcurrency = maxConcurrency
            if let sweep {
                c.sweep = try sweep.split(separator: ",").map {
                    guard let v = Double($0.trimmingCharacters(in: .whitespaces)) else {
                        throw UsageError("--sweep: '\($0)' is not a number")
                    }
                    return v
                }
            }
            if let sweepMode { c.sweepMode = sweepMode }
            c.requests = requests
            if let duration {
                guard let seconds = Self.seconds(duration) else {
                    throw UsageError("--duration: '\(duration)' is not a duration (e.g. 30, 30s, 2m)")
                }
                c.durationSeconds = seconds
            }
            if let warmup, warmup.last?.isLetter == true {
                guard let seconds = Self.seconds(warmup) else {
                    throw UsageError("--warmup: '\(warmup)' is not K or a duration")
                }
                c.warmupSeconds = seconds
            } else if let warmup {
                guard let count = Int(warmup) else { throw UsageError("--warmup: '\(warmup)' is not a request count") }
                c.warmupRequests = count
            }
            c.maxTokens = maxTokens
            if let temperature {
                c.temperature = temperature
                c.sampler = temperature > 0 ? .temperature : .greedy
            }
            if let sampler { c.sampler = sampler }
            if let topK { c.topK = topK }
            if let topP { c.topP = topP }
            if let seed { c.seed = seed }
            c.ignoreEOS = ignoreEos
            if let slo { c.slo = try ServiceLevelObjectives.parse(slo) }
            c.corpusPath = corpus
            if let promptClass { c.promptClass = promptClass }
            c.systemPrompt = systemPrompt
            c.stream = !noStream
            if let timeout { c.timeoutSeconds = timeout }
            c.datasetPath = dataset
            func distribution(_ flag: String, _ text: String?) throws -> TokenLengthDistribution? {
                guard let text else { return nil }
                do {
                    return try TokenLengthDistribution.parse(text)
                } catch {
                    throw UsageError("\(flag): \(error.message)")
                }
            }
            c.inputTokens = try distribution("--input-tokens", inputTokens)
            c.outputTokens = try distribution("--output-tokens", outputTokens)
            c.promptCount = prompts
            if let promptSeed { c.promptSeed = promptSeed }
            if let sharedPrefixGroups { c.sharedPrefixGroups = sharedPrefixGroups }
            if let sharedPrefixTokens { c.sharedPrefixTokens = sharedPrefixTokens }
            c.sessions = sessions
            if let turns { c.turns = turns }
            if let thinkTime {
                guard let seconds = Self.seconds(thinkTime) else {
                    throw UsageError("--think-time: '\(thinkTime)' is not a duration (e.g. 1s, 500ms)")
                }
                c.thinkTimeSeconds = seconds
            }
            c.tracePath = trace
            if let traceSpeed { c.traceSpeed = traceSpeed }
            if let rampUp {
                guard let seconds = Self.seconds(rampUp) else {
                    throw UsageError("--ramp-up: '\(rampUp)' is not a duration (e.g. 10s)")
                }
                c.rampUpSeconds = seconds
            }
            if maxRate {
                if let scenario, scenario != .maxRate {
                    throw UsageError("--max-rate is a scenario of its own; drop --scenario \(scenario.rawValue)")
                }
                c.scenario = .maxRate
            }
            if let goodputTarget { c.goodputTarget = goodputTarget }
            if let maxRateSteps { c.maxRateSteps = maxRateSteps }
            c.stopOnSaturation = !noSaturationStop
            if let cancelFraction { c.cancelFraction = cancelFraction }
            if let cancelAfter {
                guard let value = BenchConfiguration.CancelAfter.parse(cancelAfter) else {
                    throw UsageError("--cancel-after: '\(cancelAfter)' is not K tokens or a duration such as 500ms")
                }
                c.cancelAfter = value
            }
            c.serverMetricsURL = serverMetrics
            if let serverMetricsInterval { c.serverMetricsInterval = serverMetricsInterval }
            try c.validate()
            return c
        }

        /// The local tokenizer of `--tokenizer`: a GGUF model's vocabulary, without special tokens.
        func localTokenizer() throws -> TokenCounter? {
            guard let tokenizer else { return nil }
            let model = try LlamaModel(path: try ModelCatalog.resolve(tokenizer))
            return { text in try model.tokenize(text, addSpecial: false).count }
        }

        static func seconds(_ text: String) -> Double? {
            let t = text.trimmingCharacters(in: .whitespaces)
            if t.hasSuffix("ms") { return Double(t.dropLast(2)).map { $0 / 1000 } }
            if t.hasSuffix("s") { return Double(t.dropLast()) }
            if t.hasSuffix("m") { return Double(t.dropLast()).map { $0 * 60 } }
            return Double(t)
        }

        func run() async throws {
            try await reportingErrors {
                let c = try configuration()
                let store = noStore ? nil : try RunStore(path: out)
                let runner = BenchRunner(
                    c, countTokens: try localTokenizer(), progress: ProgressLine.terminalReporter())
                let result = try await runner.run(store: store)
                ProgressLine.finish()
                if json {
                    try printJSON(BenchOutput(result))
                } else {
                    print("workload: \(result.workload)")
                    for step in result.steps where result.steps.count > 1 {
                        let stopped = step.saturated.map { "\nstopped early: \($0)" } ?? ""
                        print(
                            step.summary.table(
                                title: "== step \(step.index): \(step.label)", pricePerHour: pricePerHour) + stopped
                                + "\n")
                    }
                    print(
                        result.summary.table(
                            title: result.steps.count > 1 ? "== all steps" : nil, pricePerHour: pricePerHour))
                    if let search = result.rateSearch { print("\n" + BenchCommand.table(search)) }
                    if let metrics = result.serverMetrics { print("\n" + BenchCommand.table(metrics)) }
                }
                var chartPath = chart
                if chartPath == nil, result.steps.count > 1, let id = result.runId {
                    chartPath =
                        URL(fileURLWithPath: out).deletingLastPathComponent()
                        .appendingPathComponent("bench-run-\(id)-pareto.svg").path
                }
                if let chartPath, result.steps.count > 1 {
                    try Data(BenchCommand.pareto(result).svg().utf8).write(to: URL(fileURLWithPath: chartPath))
                    FileHandle.standardError.write(Data("chart: \(chartPath)\n".utf8))
                }
                if let id = result.runId { FileHandle.standardError.write(Data("results: \(out) (run \(id))\n".utf8)) }
                let s = result.summary
                if s.requests.completed == 0 && s.requests.failed > 0 && s.requests.cancelled == 0 {
                    let first = result.records.first?.errorMessage ?? "unknown"
                    throw LoadGenError(.io, "all \(s.requests.total) requests failed; first error: \(first)")
                }
            }
        }
    }

    /// The `--json` shape: the overall summary's keys, plus `workload`, `steps` (more than one
    /// window), `rate_search` (`--max-rate`) and `server_metrics` (scrape counts and the peaks of
    /// the queue, running and KV gauges; the series are in the results file).
    struct BenchOutput: Encodable {
        var result: BenchResult
        init(_ result: BenchResult) { self.result = result }

        struct Metrics: Encodable {
            var url: String
            var scrapes: Int
            var failedScrapes: Int
            var firstFailure: String?
            var samples: Int
            var peaks: [String: Double]
            var growth: [String: Double]
            enum CodingKeys: String, CodingKey {
                case url, scrapes, samples, peaks, growth
                case failedScrapes = "failed_scrapes"
                case firstFailure = "first_failure"
            }
        }

        func encode(to encoder: any Encoder) throws {
            try result.summary.encode(to: encoder)
            enum Keys: String, CodingKey {
                case workload, steps
                case rateSearch = "rate_search"
                case serverMetrics = "server_metrics"
            }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(result.workload, forKey: .workload)
            if result.steps.count > 1 { try c.encode(result.steps, forKey: .steps) }
            try c.encodeIfPresent(result.rateSearch, forKey: .rateSearch)
            if let m = result.serverMetrics {
                try c.encode(
                    Metrics(
                        url: m.url, scrapes: m.scrapes, failedScrapes: m.failedScrapes, firstFailure: m.firstFailure,
                        samples: m.samples.count, peaks: m.peaks, growth: m.counterGrowth), forKey: .serverMetrics)
            }
        }
    }

    struct Calibrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the client's own timing error and its highest event and request rates on a mock server.")

        @Option(help: "Token interval of the timing test, ms.") var intervalMs = 1.0
        @Option(help: "Tokens per timing stream.") var tokens = 1000
        @Option(help: "Timing streams.") var streams = 3
        @Option(help: "Events per stream in the event-rate test.") var rateTokens = 20_000
        @Option(help: "Requests in the request-rate test.") var rateRequests = 2000
        @Flag(help: "Print one JSON object.") var json = false

        func run() async throws {
            try await reportingErrors {
                var options = Calibrator.Options()
                options.intervalMs = intervalMs
                options.timingTokens = tokens
                options.timingStreams = streams
                options.rateTokens = rateTokens
                options.rateRequests = rateRequests
                let report = try await Calibrator(options: options).run()
                if json {
                    try printJSON(report)
                } else {
                    let f = { (v: Double) in String(format: "%.3f", v) }
                    print(
                        "timing error vs configured \(f(report.intervalMs)) ms interval (\(report.gaps) gaps): p50 \(f(report.timingErrorMs.p50)) ms, p99 \(f(report.timingErrorMs.p99)) ms, max \(f(report.timingErrorMs.max)) ms"
                    )
                    print(
                        "client error vs server send gaps: p50 \(f(report.clientErrorMs.p50)) ms, p99 \(f(report.clientErrorMs.p99)) ms, max \(f(report.clientErrorMs.max)) ms"
                    )
                    print(
                        String(
                            format: "max events/s: %.0f   max requests/s: %.0f   failed: %d", report.maxEventsPerS,
                            report.maxRequestsPerS, report.failed))
                }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a results table as CSV or JSONL.")

        @Option(help: "Results file.") var db = BenchCommand.defaultStore
        @Option(help: "csv or jsonl.") var format = "csv"
        @Option(help: "\(RunStore.exportableTables.joined(separator: ", ")).") var table = "requests"
        @Option(help: "Only this run id.") var run: Int64?
        @Option(help: "Output file (default: standard output).") var output: String?

        func run() async throws {
            try await reportingErrors {
                guard let format = ExportFormat(rawValue: format) else {
                    throw UsageError("--format must be csv or jsonl (got '\(format)')")
                }
                guard FileManager.default.fileExists(atPath: db) else {
                    throw UsageError(
                        "no results file at \(db); run `inferlab bench` first or pass --db (an experiment's results.sqlite too)"
                    )
                }
                let store = try RunStore(path: db)
                var handle = FileHandle.standardOutput
                if let output {
                    guard FileManager.default.createFile(atPath: output, contents: nil),
                        let file = FileHandle(forWritingAtPath: output)
                    else { throw UsageError("cannot write \(output)") }
                    handle = file
                }
                let sink = handle
                try store.export(table: table, format: format, runId: run) { line in sink.write(Data(line.utf8)) }
                if output != nil { try handle.close() }
            }
        }
    }

    /// The rates a `--max-rate` search tried, and what it found.
    static func table(_ search: BenchResult.RateSearchResult) -> String {
        var lines = ["== max-rate search (goodput target \(percent(search.target)))"]
        lines.append("rate req/s   goodput   verdict")
        for trial in search.tried {
            let verdict = trial.passed ? "meets" : (trial.saturated.map { "saturated: \($0)" } ?? "misses")
            let share = percent(trial.goodputFraction)
            lines.append(
                String(format: "%10.3f   ", trial.rate) + String(repeating: " ", count: max(0, 7 - share.count)) + share
                    + "   " + verdict)
        }
        if let rate = search.rate {
            var found =
                String(format: "highest rate meeting the target: %.3f req/s", rate)
                + " (goodput \(percent(search.goodputFraction ?? 0)))"
            if let above = search.stepAbove {
                found +=
                    String(format: "; one step above, %.3f req/s", above.rate) + ": \(percent(above.goodputFraction))"
            }
            lines.append(found)
        } else {
            lines.append("no rate tried met the target")
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ metrics: ServerMetricsSeries) -> String {
        var lines = [
            "== server metrics: \(metrics.url), \(metrics.scrapes) scrapes (\(metrics.failedScrapes) failed), \(metrics.samples.count) samples"
        ]
        if let failure = metrics.firstFailure { lines.append("first failure: \(failure)") }
        func f(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.3f", v) }
        for (name, peak) in metrics.peaks.sorted(by: { $0.key < $1.key }) { lines.append("peak \(name): \(f(peak))") }
        for (name, growth) in metrics.counterGrowth.sorted(by: { $0.key < $1.key }) where growth > 0 {
            lines.append("grew \(name): \(f(growth))")
        }
        return lines.joined(separator: "\n")
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f %%", value * 100) }

    /// TTFT p99 and ITL p99 against output tokens/s, one point per window.
    static func pareto(_ result: BenchResult) -> ParetoChart {
        func label(_ step: BenchResult.Step) -> String {
            step.concurrency.map { "c=\($0)" } ?? step.rate.map { String(format: "%.3g/s", $0) } ?? "\(step.index)"
        }
        let ok = result.steps.filter { $0.summary.requests.completed > 0 }
        return ParetoChart(
            title: "Latency against throughput (\(result.steps.count) windows)",
            series: [
                .init(
                    name: "TTFT p99",
                    points: ok.map {
                        .init(
                            label: label($0), throughput: $0.summary.outputTokensPerS, latencyMs: $0.summary.ttftMs.p99)
                    }),
                .init(
                    name: "ITL p99",
                    points: ok.map {
                        .init(
                            label: label($0), throughput: $0.summary.outputTokensPerS, latencyMs: $0.summary.itlMs.p99)
                    }),
            ])
    }
}
