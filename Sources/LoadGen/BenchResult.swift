/// What a bench run measured: every request (failed ones included) and the summaries.
public struct BenchResult: Sendable, Codable {
    /// One measured window.
    public struct Step: Sendable, Codable, Equatable {
        /// 0-based window index.
        public var index: Int
        /// The closed-loop concurrency of the window, if closed.
        public var concurrency: Int?
        /// The open-loop rate of the window, if open.
        public var rate: Double?
        public var summary: BenchSummary
        /// Why the window stopped early (its backlog grew without bound), if it did.
        public var saturated: String?

        public init(index: Int, concurrency: Int?, rate: Double?, summary: BenchSummary, saturated: String? = nil) {
            self.index = index
            self.concurrency = concurrency
            self.rate = rate
            self.summary = summary
            self.saturated = saturated
        }

        /// `concurrency 4`, `rate 2.5 req/s`, or empty.
        public var label: String {
            concurrency.map { "concurrency \($0)" } ?? rate.map { "rate \(Self.format($0)) req/s" } ?? ""
        }

        static func format(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(format: "%.3g", value)
        }
    }

    /// The outcome of a `max_rate` search.
    public struct RateSearchResult: Sendable, Codable, Equatable {
        /// The highest rate whose goodput met the target; nil when none did.
        public var rate: Double?
        /// The goodput share there, and at the lowest failing rate above it.
        public var goodputFraction: Double?
        public var stepAbove: RateSearch.Trial?
        public var target: Double
        /// Every rate tried, in order.
        public var tried: [RateSearch.Trial]

        enum CodingKeys: String, CodingKey {
            case rate, target, tried
            case goodputFraction = "goodput_fraction"
            case stepAbove = "step_above"
        }
    }

    /// The `runs.id` in the results file (nil when not stored).
    public var runId: Int64?
    public var configuration: BenchConfiguration
    /// What `/v1/models` answered.
    public var serverInfo: String?
    /// Where the prompts came from.
    public var workload: String
    /// The windows, in order (one unless the scenario is `sweep` or `max_rate`).
    public var steps: [Step]
    /// The summary over every window.
    public var summary: BenchSummary
    /// Every measured request, in completion order within each window.
    public var records: [RequestRecord]
    /// The `max_rate` search, when the scenario was one.
    public var rateSearch: RateSearchResult?
    /// The target's metrics scraped during the run (`server_metrics`).
    public var serverMetrics: ServerMetricsSeries?

    enum CodingKeys: String, CodingKey {
        case runId = "run_id"
        case configuration
        case serverInfo = "server_info"
        case workload, steps, summary, records
        case rateSearch = "rate_search"
        case serverMetrics = "server_metrics"
    }
}
