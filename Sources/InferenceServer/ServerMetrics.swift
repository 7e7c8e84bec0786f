import InferenceCore
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

    private static var requestsByStatus: MetricNameDescriptor {
        named("inferlab_requests_total", help: "Finished requests by HTTP status")
    }
    private static var rejectionsByReason: MetricNameDescriptor {
        named("inferlab_rejections_total", help: "Requests refused at admission")
    }

    /// A descriptor for the whole metric name (the registry joins its non-empty parts with `_`).
    private static func named(_ name: String, help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    init() {
        queueDepth = registry.makeGauge(
            descriptor: Self.named("inferlab_queue_depth", help: "Requests waiting for admission"))
        running = registry.makeGauge(
            descriptor: Self.named("inferlab_running_sequences", help: "Sequences prefilling or decoding"))
        cellsUsed = registry.makeGauge(descriptor: Self.named("inferlab_kv_cells_used", help: "KV cells holding data"))
        cellsTotal = registry.makeGauge(
            descriptor: Self.named("inferlab_kv_cells_total", help: "KV cells in the context"))
        cachedPrefixes = registry.makeGauge(
            descriptor: Self.named("inferlab_prefix_cache_entries", help: "Prefix-cache entries"))
        promptTokens = registry.makeCounter(
            descriptor: Self.named("inferlab_prompt_tokens_total", help: "Prompt tokens of admitted requests"))
        completionTokens = registry.makeCounter(
            descriptor: Self.named("inferlab_completion_tokens_total", help: "Generated tokens"))
        cancellations = registry.makeCounter(
            descriptor: Self.named(
                "inferlab_cancellations_total", help: "Requests dropped because the client went away"))
        prefixHits = registry.makeCounter(
            descriptor: Self.named("inferlab_prefix_cache_hits_total", help: "Requests reusing a cached prefix"))
        prefixCachedTokens = registry.makeCounter(
            descriptor: Self.named(
                "inferlab_prefix_cache_tokens_total", help: "Prompt tokens served from the prefix cache"))
        ttft = registry.makeDurationHistogram(
            descriptor: Self.named("inferlab_ttft_seconds", help: "Arrival to first token"),
            buckets: Self.latencyBuckets)
        itl = registry.makeDurationHistogram(
            descriptor: Self.named("inferlab_itl_seconds", help: "Gap between consecutive tokens"),
            buckets: Self.tokenBuckets)
        e2e = registry.makeDurationHistogram(
            descriptor: Self.named("inferlab_e2e_seconds", help: "Arrival to last token"), buckets: Self.latencyBuckets)
        queueTime = registry.makeDurationHistogram(
            descriptor: Self.named("inferlab_queue_seconds", help: "Arrival to admission"), buckets: Self.latencyBuckets
        )
    }

    func request(status: Int) {
        registry.makeCounter(descriptor: Self.requestsByStatus, labels: [("status", String(status))]).increment()
    }

    func rejection(reason: String) {
        registry.makeCounter(descriptor: Self.rejectionsByReason, labels: [("reason", reason)]).increment()
    }

    func cancellation() { cancellations.increment() }

    func tokenGap(nanoseconds: UInt64) { itl.recordNanoseconds(Int64(nanoseconds)) }

    func finished(_ summary: GenerationSummary) {
        promptTokens.increment(by: Int64(summary.promptTokens))
        completionTokens.increment(by: Int64(summary.completionTokens))
        if summary.cachedTokens > 0 {
            prefixHits.increment()
            prefixCachedTokens.increment(by: Int64(summary.cachedTokens))
        }
        queueTime.recordNanoseconds(Int64(summary.admitted &- summary.arrival))
        if summary.completionTokens > 0 {
            ttft.recordNanoseconds(Int64(summary.firstToken &- summary.arrival))
            e2e.recordNanoseconds(Int64(summary.lastToken &- summary.arrival))
        }
    }

    /// The exposition text, with engine gauges refreshed from `snapshot`.
    func render(snapshot: EngineSnapshot, admissionWaiting: Int) -> String {
        queueDepth.set(Double(max(snapshot.waiting, admissionWaiting)))
        running.set(Double(snapshot.running))
        cellsUsed.set(Double(snapshot.cellsUsed))
        cellsTotal.set(Double(snapshot.cellsTotal))
        cachedPrefixes.set(Double(snapshot.cachedPrefixes))
        return registry.emitToString()
    }
}
