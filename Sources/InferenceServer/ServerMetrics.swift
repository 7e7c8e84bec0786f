import InferLabCore
import InferenceCore
import MetricCatalog
import Prometheus

/// The server's Prometheus metrics, in a registry of its own (the library never bootstraps a
/// global metrics backend). Gauges of engine state are refreshed from the published snapshot
/// at scrape time, so a scrape never waits for the decode loop.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let queueDepth: Gauge
    private let running: Gauge
    private let cellsUsed: Gauge
    private let cellsTotal: Gauge
    private let cachedPrefixes: Gauge
    private let hostCachedPrefixes: Gauge
    private let hostCacheBytes: Gauge
    private let promptTokens: Counter
    private let completionTokens: Counter
    private let cancellations: Counter
    private let prefixHits: Counter
    private let prefixCachedTokens: Counter
    private let ttft: DurationHistogram
    private let itl: DurationHistogram
    private let e2e: DurationHistogram
    private let queueTime: DurationHistogram

    private static let latencyBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30),
    ]
    private static let tokenBuckets: [Duration] = [
        .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(15), .milliseconds(20), .milliseconds(30),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    private static var requestsByStatus: MetricNameDescriptor { descriptor(.serverRequests) }
    private static var rejectionsByReason: MetricNameDescriptor { descriptor(.serverRejections) }

    /// The descriptor of a catalogue metric's exposition series: its whole name (the registry
    /// joins a descriptor's non-empty parts with `_`) and its help text, from the catalogue.
    private static func descriptor(_ metric: Metric) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: metric.reading.exposition ?? metric.name, unitName: "", helpText: metric.help)
    }

    init() {
        queueDepth = registry.makeGauge(
            descriptor: Self.descriptor(.serverQueueDepth))
        running = registry.makeGauge(
            descriptor: Self.descriptor(.serverRunningSequences))
        cellsUsed = registry.makeGauge(descriptor: Self.descriptor(.serverKVCellsUsed))
        cellsTotal = registry.makeGauge(
            descriptor: Self.descriptor(.serverKVCellsTotal))
        cachedPrefixes = registry.makeGauge(
            descriptor: Self.descriptor(.serverPrefixCacheEntries))
        hostCachedPrefixes = registry.makeGauge(descriptor: Self.descriptor(.serverHostCacheEntries))
        hostCacheBytes = registry.makeGauge(descriptor: Self.descriptor(.serverHostCacheBytes))
        promptTokens = registry.makeCounter(
            descriptor: Self.descriptor(.serverPromptTokens))
        completionTokens = registry.makeCounter(
            descriptor: Self.descriptor(.serverCompletionTokens))
        cancellations = registry.makeCounter(
            descriptor: Self.descriptor(.serverCancellations))
        prefixHits = registry.makeCounter(
            descriptor: Self.descriptor(.serverPrefixCacheHits))
        prefixCachedTokens = registry.makeCounter(
            descriptor: Self.descriptor(.serverPrefixCacheTokens))
        ttft = registry.makeDurationHistogram(
            descriptor: Self.descriptor(.serverTTFT),
            buckets: Self.latencyBuckets)
        itl = registry.makeDurationHistogram(
            descriptor: Self.descriptor(.serverITL),
            buckets: Self.tokenBuckets)
        e2e = registry.makeDurationHistogram(
            descriptor: Self.descriptor(.serverE2E), buckets: Self.latencyBuckets)
        queueTime = registry.makeDurationHistogram(
            descriptor: Self.descriptor(.serverQueueTime), buckets: Self.latencyBuckets
        )
    }

    func request(status: Int) {
        registry.makeCounter(descriptor: Self.requestsByStatus, labels: [("status", String(status))]).increment()
    }

    func rejection(reason: String) {
        registry.makeCounter(descriptor: Self.rejectionsByReason, labels: [("reason", reason)]).increment()
    }

    func cancellation() { cancellations.increment() }

    func tokenGap(_ gap: Duration) { itl.record(gap) }

    func finished(_ summary: GenerationSummary) {
        promptTokens.increment(by: Int64(summary.promptTokens))
        completionTokens.increment(by: Int64(summary.completionTokens))
        if summary.cachedTokens > 0 {
            prefixHits.increment()
            prefixCachedTokens.increment(by: Int64(summary.cachedTokens))
        }
        queueTime.record(summary.queue)
        if summary.completionTokens > 0 {
            ttft.record(summary.firstToken - summary.arrival)
            e2e.record(summary.lastToken - summary.arrival)
        }
    }

    /// The exposition text, with engine gauges refreshed from `snapshot`.
    func render(snapshot: EngineSnapshot, admissionWaiting: Int) -> String {
        queueDepth.set(Double(max(snapshot.waiting, admissionWaiting)))
        running.set(Double(snapshot.running))
        cellsUsed.set(Double(snapshot.cellsUsed))
        cellsTotal.set(Double(snapshot.cellsTotal))
        cachedPrefixes.set(Double(snapshot.cachedPrefixes))
        hostCachedPrefixes.set(Double(snapshot.hostCachedPrefixes))
        hostCacheBytes.set(Double(snapshot.hostCacheBytes))
        return registry.emitToString()
    }
}
