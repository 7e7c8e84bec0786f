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
    }

    /// The `runs.id` in the results file (nil when not stored).
    public var runId: Int64?
    public var configuration: BenchConfiguration
    /// What `/v1/models` answered.
    public var serverInfo: String?
    /// The windows, in order (one unless the scenario is `sweep`).
    public var steps: [Step]
    /// The summary over every window.
    public var summary: BenchSummary
    /// Every measured request, in completion order within each window.
    public var records: [RequestRecord]

    enum CodingKeys: String, CodingKey {
        case runId = "run_id"
        case configuration
        case serverInfo = "server_info"
        case steps, summary, records
    }
}
