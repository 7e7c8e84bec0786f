import AsyncHTTPClient
import Foundation
import InferLabCore
public import Logging
import NIOCore
import NIOPosix

/// Runs one bench: warm-up (never counted), then one measured window per step, each request a
/// ``RequestRecord`` (failed ones included), stored when a ``ResultStore`` is given.
///
/// ```swift
/// let result = try await BenchRunner(configuration).run(store: store)
/// print(result.summary.ttftMs.p99)
/// ```
public struct BenchRunner: Sendable {
    public var configuration: BenchConfiguration
    /// The prompts; nil loads `configuration.corpus_path` or generates the built-in corpus.
    public var corpus: Corpus?
    /// The model's tokenizer for synthetic prompts; nil uses the target's `/tokenize`.
    public var countTokens: TokenCounter?
    /// Reported ~10 times a second while requests finish. The default is nil (silent).
    public var progress: (@Sendable (BenchProgress) -> Void)?
    public var logger: Logger

    public init(
        _ configuration: BenchConfiguration, corpus: Corpus? = nil, countTokens: TokenCounter? = nil,
        progress: (@Sendable (BenchProgress) -> Void)? = nil, logger: Logger = Logger(label: "inferlab.bench")
    ) {
        self.configuration = configuration
        self.corpus = corpus
        self.countTokens = countTokens
        self.progress = progress
        self.logger = logger
    }

    /// The corpus used when none is given: 100 generated prompts with approximate token counts.
    public static func builtInCorpus() -> Corpus {
        // The approximate counter cannot throw.
        (try? CorpusGenerator(count: 100, seed: 42).generate(countTokens: CorpusGenerator.approximateTokenCount))
            ?? Corpus(entries: [])
    }

    /// Runs the bench, recording it in `store` as it goes when one is given (`RunStore`, a results
    /// file). Throws only for bad configuration, corpus or results file; request failures are records.
    public func run(store: (any BenchRecording)? = nil) async throws(LoadGenError) -> BenchResult {
        do {
            try configuration.validate()
        } catch {
            throw LoadGenError(.configuration, error.description)
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(5))
        httpConfiguration.connectionPool = .init(
            idleTimeout: .seconds(3), concurrentHTTP1ConnectionsPerHostSoftLimit: 4096)
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.decompression = .disabled
        let http = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: httpConfiguration)
        let result: Result<BenchResult, LoadGenError>
        do throws(LoadGenError) {
            let workload = try await WorkloadBuilder(
                configuration, corpus: corpus, countTokens: try await tokenCounter(http: http)
            ).build()
            logger.debug("workload: \(workload.source), \(workload.entries.count) prompts")
            result = .success(try await measure(http: http, workload: workload, store: store))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        try? await group.shutdownGracefully()
        return try result.get()
    }

    /// Whether the workload needs the model's tokenizer.
    private var needsTokenizer: Bool {
        let c = configuration
        return c.inputTokens != nil || c.tracePath != nil || c.sharedPrefixGroups > 0
            || (c.datasetPath != nil && c.outputTokens == nil && c.maxTokens == nil)
    }

    /// The given tokenizer, else the target's `/tokenize` when it answers (nil when the
    /// workload needs none, or the server has none: the workload then says what to pass).
    private func tokenCounter(http: HTTPClient) async throws(LoadGenError) -> TokenCounter? {
        if let countTokens { return countTokens }
        guard needsTokenizer else { return nil }
        let remote = RemoteTokenCounter(baseURL: configuration.baseURL, model: configuration.model).counter(http: http)
        do {
            _ = try await remote("hello")
            return remote
        } catch {
            logger.debug("the server's /tokenize did not answer: \(error)")
            return nil
        }
    }

    private func measure(
        http: HTTPClient, workload: Workload, store: (any BenchRecording)?
    ) async throws(LoadGenError) -> BenchResult {
        let client = StreamingClient(http: http, configuration: configuration)
        let serverInfo = await client.serverInfo()
        let recorder = try store.map { store throws(LoadGenError) in
            try Recorder(store: store, run: recording { try store.started(configuration, serverInfo: serverInfo) })
        }
        let tracker = ProgressTracker(report: progress)
        let scraper = configuration.resolvedServerMetricsURL.map {
            ServerMetricsScraper(url: $0, interval: configuration.serverMetricsInterval)
        }
        let scraping = scraper.map { scraper in Task { await scraper.run(http: http) } }
        var serverQueue: (@Sendable () -> Double?)?
        if let scraper { serverQueue = { scraper.queueDepth } }
        var driver = WindowDriver(
            client: client, configuration: configuration, workload: workload, tracker: tracker,
            serverQueue: serverQueue)

        let warmup = configuration.warmupRequests > 0 || configuration.warmupSeconds > 0
        if warmup {
            let users =
                configuration.runsSessions
                ? (configuration.sessions ?? 1)
                : configuration.scenario == .closed
                    ? configuration.concurrency
                    : (configuration.maxConcurrency ?? configuration.concurrency)
            _ = await driver.run(
                step: -1, pattern: .closed(concurrency: users),
                requests: configuration.warmupRequests > 0 ? configuration.warmupRequests : nil,
                duration: configuration.warmupSeconds > 0 ? .seconds(clamping: configuration.warmupSeconds) : nil)
            logger.debug("warm-up done")
        }

        await scraper?.markMeasured(http: http)
        var steps: [BenchResult.Step] = []
        var all: [RequestRecord] = []
        var firstStart: MonotonicInstant?
        var lastEnd = MonotonicInstant.zero
        var search =
            configuration.scenario == .maxRate
            ? RateSearch(
                start: configuration.rate ?? 1, target: configuration.goodputTarget,
                maxSteps: configuration.maxRateSteps) : nil
        var plans = search == nil ? stepPlans(workload: workload) : []
        var index = 0
        while true {
            let plan: StepPlan
            if let current = search {
                guard let rate = current.next() else { break }
                plan = open(rate, UInt64(index))
            } else {
                guard !plans.isEmpty else { break }
                plan = plans.removeFirst()
            }
            let window: WindowDriver.Window
            if configuration.runsSessions {
                window = await driver.runSessions(
                    step: index, requests: configuration.effectiveRequests,
                    duration: configuration.durationSeconds.map { .seconds(clamping: $0) })
            } else {
                window = await driver.run(
                    step: index, pattern: plan.pattern,
                    requests: plan.requests
                        ?? (search == nil ? configuration.effectiveRequests : configuration.requests),
                    duration: windowDuration(search != nil ? plan.rate : nil), rate: plan.rate)
            }
            let summary = BenchSummary(
                records: window.records, windowStart: window.start, windowEnd: window.end, slo: configuration.slo,
                peakInFlight: window.peakInFlight)
            steps.append(
                BenchResult.Step(
                    index: index, concurrency: plan.concurrency, rate: plan.rate, summary: summary,
                    saturated: window.saturated))
            if let why = window.saturated { logger.info("step \(index) stopped early: \(why)") }
            search?.record(rate: plan.rate ?? 0, fraction: summary.goodputFraction ?? 0, saturated: window.saturated)
            all += window.records
            firstStart = firstStart ?? window.start
            lastEnd = window.end
            if let recorder {
                try recording { try recorder.store.recorded(window.records, step: index, run: recorder.run) }
            }
            index += 1
            if Task.isCancelled { break }
        }
        scraping?.cancel()
        _ = await scraping?.value
        // The last scrape after the last request, so counters cover every measured window.
        await scraper?.scrape(http: http)
        let overall =
            steps.count == 1
            ? steps[0].summary
            : BenchSummary(
                records: all, windowStart: firstStart ?? lastEnd, windowEnd: lastEnd, slo: configuration.slo,
                peakInFlight: steps.map(\.summary.peakInFlight).max() ?? 0)
        let metrics = scraper?.series
        if let recorder {
            if let metrics {
                try recording { try recorder.store.recorded(serverMetrics: metrics.samples, run: recorder.run) }
            }
            try recording { try recorder.store.finished(overall, run: recorder.run) }
        }
        let rateSearch = search.map { search in
            BenchResult.RateSearchResult(
                rate: search.best?.rate, goodputFraction: search.best?.goodputFraction, stepAbove: search.above,
                target: search.target, tried: search.trials)
        }
        return BenchResult(
            runId: recorder?.run, configuration: configuration, serverInfo: serverInfo, workload: workload.source,
            steps: steps, summary: overall, records: all, rateSearch: rateSearch, serverMetrics: metrics)
    }

    /// A window's time bound: `duration_s`. A `max_rate` window at `searchRate` runs
    /// `duration_s` (30 s by default) but long enough for 10 arrivals, unless `requests` bounds it.
    private func windowDuration(_ searchRate: Double?) -> Duration? {
        guard let rate = searchRate else { return configuration.durationSeconds.map { .seconds(clamping: $0) } }
        if configuration.requests != nil && configuration.durationSeconds == nil { return nil }
        return .seconds(clamping: max(configuration.durationSeconds ?? 30, 10 / rate))
    }

    /// The recording of this run and its id.
    private struct Recorder {
        let store: any BenchRecording
        let run: Int64
    }

    /// A recording failure as the bench's error.
    private func recording<T>(_ body: () throws -> T) throws(LoadGenError) -> T {
        do {
            return try body()
        } catch let error as LoadGenError {
            throw error
        } catch {
            throw LoadGenError(.store, "the run could not be recorded", cause: error)
        }
    }

    struct StepPlan {
        var pattern: LoadScheduler.Pattern
        var concurrency: Int?
        var rate: Double?
        /// The window's request bound when the workload sets it (a trace's arrivals).
        var requests: Int?
    }

    func open(_ rate: Double, _ salt: UInt64) -> StepPlan {
        let c = configuration
        return StepPlan(
            pattern: .open(
                ArrivalProcess(
                    rate: rate, burstiness: c.burstiness, regular: c.scenario == .constant, seed: c.arrivalSeed &+ salt),
                maxConcurrency: c.maxConcurrency, rampUp: c.rampUpSeconds.map { .seconds(clamping: $0) }), rate: rate)
    }

    func stepPlans(workload: Workload? = nil) -> [StepPlan] {
        let c = configuration
        if let arrivals = workload?.arrivals {
            return [
                StepPlan(
                    pattern: .scheduled(arrivals.map { .seconds(clamping: $0) }), concurrency: nil, rate: nil,
                    requests: arrivals.count)
            ]
        }
        if c.runsSessions { return [StepPlan(pattern: .closed(concurrency: c.sessions ?? 1), concurrency: c.sessions)] }
        switch c.scenario {
        case .closed: return [StepPlan(pattern: .closed(concurrency: c.concurrency), concurrency: c.concurrency)]
        case .offline:
            return [StepPlan(pattern: .offline(maxConcurrency: c.maxConcurrency), concurrency: c.maxConcurrency)]
        case .poisson, .constant: return [open(c.rate ?? 1, 0)]
        case .maxRate: return []
        case .sweep:
            return c.sweep.enumerated().map { index, value in
                switch c.sweepMode {
                case .concurrency: StepPlan(pattern: .closed(concurrency: Int(value)), concurrency: Int(value))
                case .rate: open(value, UInt64(index))
                }
            }
        }
    }
}
