import Histogram
public import InferLabCore

extension PercentileSummary {
    /// Percentiles of latencies in ms from an HdrHistogram at microsecond resolution with three
    /// significant digits (values within 0.1 %), the bench's choice for samples of every token
    /// gap of a run; `empty` for no values (negative values count as 0).
    public init(histogramOfMilliseconds values: [Double]) {
        guard !values.isEmpty else {
            self = .empty
            return
        }
        var histogram = Histogram<UInt64>(highestTrackableValue: 86_400_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        for value in values {
            _ = histogram.record(UInt64(Swift.max(0, (value * 1000).rounded())))
        }
        func ms(_ us: UInt64) -> Double { Double(us) / 1000 }
        self.init(
            count: values.count, min: ms(histogram.min), p50: ms(histogram.valueAtPercentile(50)),
            p90: ms(histogram.valueAtPercentile(90)), p95: ms(histogram.valueAtPercentile(95)),
            p99: ms(histogram.valueAtPercentile(99)), max: ms(histogram.max),
            mean: values.reduce(0, +) / Double(values.count))
    }
}

/// The summary of one measured window (or of the whole run), with the `--json` keys of issue 3.
public struct BenchSummary: Sendable, Codable, Equatable {
    public struct RequestCounts: Sendable, Codable, Equatable {
        public var completed: Int
        /// Requests that ended in an error (`errors` says which).
        public var failed: Int
        /// Requests the workload hung up on mid-stream on purpose (`cancel_fraction`).
        public var cancelled: Int
        public var total: Int

        public init(completed: Int, failed: Int, cancelled: Int = 0, total: Int) {
            self.completed = completed
            self.failed = failed
            self.cancelled = cancelled
            self.total = total
        }

        public init(from decoder: any Decoder) throws {
            enum Keys: String, CodingKey { case completed, failed, cancelled, total }
            let c = try decoder.container(keyedBy: Keys.self)
            completed = try c.decode(Int.self, forKey: .completed)
            failed = try c.decode(Int.self, forKey: .failed)
            cancelled = try c.decodeIfPresent(Int.self, forKey: .cancelled) ?? 0
            total = try c.decode(Int.self, forKey: .total)
        }
    }

    public var requests: RequestCounts
    public var ttftMs: PercentileSummary
    public var itlMs: PercentileSummary
    public var tpotMs: PercentileSummary
    public var e2eMs: PercentileSummary
    /// Client lag `t_send - t_sched`.
    public var lagMs: PercentileSummary
    /// E2E from `t_sched` (what an open-loop user waits, coordinated omission included).
    public var e2eFromScheduledMs: PercentileSummary
    public var outputTokens: Int
    /// Tokens the hung-up requests received before leaving (content events); nil in older files.
    public var cancelledOutputTokens: Int?
    public var outputTokensPerS: Double
    public var requestsPerS: Double
    public var goodputRequestsPerS: Double
    /// The share of requests (hang-ups aside) that succeeded and met every objective: what
    /// `max_rate` holds to its target. 0 for no requests; nil in files written before it existed.
    public var goodputFraction: Double?
    /// Error class -> count (only classes seen).
    public var errors: [String: Int]
    /// `usage`, `events`, or `mixed` when requests differ.
    public var tokenCountSource: String
    /// Wall time of the measured window in seconds.
    public var durationS: Double
    /// Requests in flight at most.
    public var peakInFlight: Int
    public var slo: ServiceLevelObjectives

    enum CodingKeys: String, CodingKey {
        case requests
        case ttftMs = "ttft_ms"
        case itlMs = "itl_ms"
        case tpotMs = "tpot_ms"
        case e2eMs = "e2e_ms"
        case lagMs = "lag_ms"
        case e2eFromScheduledMs = "e2e_from_scheduled_ms"
        case outputTokens = "output_tokens"
        case cancelledOutputTokens = "cancelled_output_tokens"
        case outputTokensPerS = "output_tokens_per_s"
        case requestsPerS = "requests_per_s"
        case goodputRequestsPerS = "goodput_requests_per_s"
        case goodputFraction = "goodput_fraction"
        case errors
        case tokenCountSource = "token_count_source"
        case durationS = "duration_s"
        case peakInFlight = "peak_in_flight"
        case slo
    }

    /// Summarises `records` measured over the window `[windowStart, windowEnd]` (ns).
    /// Throughput and goodput divide by that wall time; failed requests count in `failed` and
    /// `errors` and in nothing else.
    public init(
        records: [RequestRecord], windowStart: MonotonicInstant, windowEnd: MonotonicInstant,
        slo: ServiceLevelObjectives,
        peakInFlight: Int = 0
    ) {
        let ok = records.filter(\.succeeded)
        let hungUp = records.filter(\.hungUp).count
        requests = RequestCounts(
            completed: ok.count, failed: records.count - ok.count - hungUp, cancelled: hungUp, total: records.count)
        ttftMs = PercentileSummary(histogramOfMilliseconds: ok.compactMap(\.ttftMs))
        itlMs = PercentileSummary(histogramOfMilliseconds: ok.flatMap(\.interTokenLatenciesMs))
        tpotMs = PercentileSummary(histogramOfMilliseconds: ok.compactMap(\.tpotMs))
        e2eMs = PercentileSummary(histogramOfMilliseconds: ok.compactMap(\.e2eMs))
        lagMs = PercentileSummary(histogramOfMilliseconds: records.map(\.lagMs))
        e2eFromScheduledMs = PercentileSummary(histogramOfMilliseconds: ok.compactMap(\.e2eFromScheduledMs))
        outputTokens = ok.reduce(0) { $0 + $1.outputTokens }
        cancelledOutputTokens = records.filter(\.hungUp).reduce(0) { $0 + $1.contentEventCount }
        let seconds = max(0, (windowEnd - windowStart).seconds)
        durationS = seconds
        outputTokensPerS = seconds > 0 ? Double(outputTokens) / seconds : 0
        requestsPerS = seconds > 0 ? Double(ok.count) / seconds : 0
        let met = ok.filter { $0.meets(slo) }.count
        goodputRequestsPerS = seconds > 0 ? Double(met) / seconds : 0
        let counted = records.count - hungUp
        goodputFraction = counted > 0 ? Double(met) / Double(counted) : 0
        var errors: [String: Int] = [:]
        for record in records where record.failed {
            if let c = record.errorClass { errors[c.rawValue, default: 0] += 1 }
        }
        self.errors = errors
        let sources = Set(ok.map(\.outputTokenSource))
        tokenCountSource = sources.count > 1 ? "mixed" : (sources.first ?? .events).rawValue
        self.peakInFlight = peakInFlight
        self.slo = slo
    }
}
