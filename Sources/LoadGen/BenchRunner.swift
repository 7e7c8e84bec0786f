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
    /// Reported ~10 times a second while requests finish. The default is nil (silent).
    public var progress: (@Sendable (BenchProgress) -> Void)?
    public var logger: Logger

    public init(
        _ configuration: BenchConfiguration, corpus: Corpus? = nil,
        progress: (@Sendable (BenchProgress) -> Void)? = nil, logger: Logger = Logger(label: "inferlab.bench")
    ) {
        self.configuration = configuration
        self.corpus = corpus
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
        var corpus: Corpus
        if let given = self.corpus {
            corpus = given
        } else if let path = configuration.corpusPath {
            corpus = try Corpus.load(path: path)
        } else {
            corpus = Self.builtInCorpus()
        }
        if configuration.promptClass != .mixed {
            corpus.entries = corpus.entries.filter { $0.class == configuration.promptClass.rawValue }
            guard !corpus.entries.isEmpty else {
                throw LoadGenError(.corpus, "the corpus has no prompts of class \(configuration.promptClass.rawValue)")
            }
        }
        guard !corpus.entries.isEmpty else { throw LoadGenError(.corpus, "the corpus has no prompts") }
        let bodies = corpus.entries.map { WireRequest(entry: $0, configuration: configuration).body() }

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
            result = .success(try await measure(http: http, corpus: corpus, bodies: bodies, store: store))
        } catch {
            result = .failure(error)
        }
        try? await http.shutdown()
        try? await group.shutdownGracefully()
        return try result.get()
    }

    private func measure(
        http: HTTPClient, corpus: Corpus, bodies: [Data], store: (any BenchRecording)?
    ) async throws(LoadGenError) -> BenchResult {
        let client = StreamingClient(http: http, configuration: configuration)
        let serverInfo = await client.serverInfo()
        let recorder = try store.map { store throws(LoadGenError) in
            try Recorder(store: store, run: recording { try store.started(configuration, serverInfo: serverInfo) })
        }
        let tracker = ProgressTracker(report: progress)
        var driver = WindowDriver(client: client, corpus: corpus, bodies: bodies, tracker: tracker)

        let warmup = configuration.warmupRequests > 0 || configuration.warmupSeconds > 0
        if warmup {
            let users =
                configuration.scenario == .closed
                ? configuration.concurrency
                : (configuration.maxConcurrency ?? configuration.concurrency)
            _ = await driver.run(
                step: -1, pattern: .closed(concurrency: users),
                requests: configuration.warmupRequests > 0 ? configuration.warmupRequests : nil,
                duration: configuration.warmupSeconds > 0 ? .seconds(clamping: configuration.warmupSeconds) : nil)
            logger.debug("warm-up done")
        }

        var steps: [BenchResult.Step] = []
        var all: [RequestRecord] = []
        var firstStart: MonotonicInstant?
        var lastEnd = MonotonicInstant.zero
        for (index, plan) in stepPlans().enumerated() {
            let window = await driver.run(
                step: index, pattern: plan.pattern, requests: configuration.effectiveRequests,
                duration: configuration.durationSeconds.map { .seconds(clamping: $0) })
            let summary = BenchSummary(
                records: window.records, windowStart: window.start, windowEnd: window.end, slo: configuration.slo,
                peakInFlight: window.peakInFlight)
            steps.append(
                BenchResult.Step(index: index, concurrency: plan.concurrency, rate: plan.rate, summary: summary))
            all += window.records
            firstStart = firstStart ?? window.start
            lastEnd = window.end
            if let recorder {
                try recording { try recorder.store.recorded(window.records, step: index, run: recorder.run) }
            }
            if Task.isCancelled { break }
        }
        let overall =
            steps.count == 1
            ? steps[0].summary
            : BenchSummary(
                records: all, windowStart: firstStart ?? lastEnd, windowEnd: lastEnd, slo: configuration.slo,
                peakInFlight: steps.map(\.summary.peakInFlight).max() ?? 0)
        if let recorder {
            try recording { try recorder.store.finished(overall, run: recorder.run) }
        }
        return BenchResult(
            runId: recorder?.run, configuration: configuration, serverInfo: serverInfo, steps: steps,
            summary: overall,
            records: all)
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
    }

    func stepPlans() -> [StepPlan] {
        let c = configuration
        func open(_ rate: Double, _ salt: UInt64) -> StepPlan {
            StepPlan(
                pattern: .open(
                    ArrivalProcess(rate: rate, burstiness: c.burstiness, seed: c.arrivalSeed &+ salt),
                    maxConcurrency: c.maxConcurrency), rate: rate)
        }
        switch c.scenario {
        case .closed: return [StepPlan(pattern: .closed(concurrency: c.concurrency), concurrency: c.concurrency)]
        case .offline:
            return [StepPlan(pattern: .offline(maxConcurrency: c.maxConcurrency), concurrency: c.maxConcurrency)]
        case .poisson: return [open(c.rate ?? 1, 0)]
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
