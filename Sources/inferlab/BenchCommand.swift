public import ArgumentParser
import Foundation
import LoadGen

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
        abstract: "Load-test an OpenAI-compatible endpoint (closed loop, Poisson, sweep, offline).",
        subcommands: [Run.self, Calibrate.self, Export.self],
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
            try c.validate()
            return c
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
                    c, progress: ProgressLine.terminalReporter())
                let result = try await runner.run(store: store)
                ProgressLine.finish()
                if json {
                    if result.steps.count > 1 {
                        try printJSON(SweepOutput(summary: result.summary, steps: result.steps))
                    } else {
                        try printJSON(result.summary)
                    }
                } else {
                    for step in result.steps where result.steps.count > 1 {
                        let label =
                            step.concurrency.map { "concurrency \($0)" } ?? step.rate.map { "rate \($0) req/s" } ?? ""
                        print(step.summary.table(title: "== step \(step.index): \(label)") + "\n")
                    }
                    print(result.summary.table(title: result.steps.count > 1 ? "== all steps" : nil))
                }
                if let id = result.runId { FileHandle.standardError.write(Data("results: \(out) (run \(id))\n".utf8)) }
                let s = result.summary
                if s.requests.completed == 0 && s.requests.total > 0 {
                    let first = result.records.first?.errorMessage ?? "unknown"
                    throw LoadGenError(.io, "all \(s.requests.total) requests failed; first error: \(first)")
                }
            }
        }
    }

    /// The `--json` shape of a sweep: the overall summary's keys plus `steps`.
    struct SweepOutput: Encodable {
        var summary: BenchSummary
        var steps: [BenchResult.Step]
        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            enum Keys: String, CodingKey { case steps }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(steps, forKey: .steps)
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
}
