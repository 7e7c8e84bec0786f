/// Compares the client's view of each request with the server's own `timings`: decode rate
/// (client: (content events - 1) / (last content - first content); server:
/// `timings.predicted_per_second`) and completion tokens (client events and `usage` vs
/// `timings.predicted_n`).
public struct CrossCheck: Sendable, Codable, Equatable {
    /// One request compared.
    public struct Row: Sendable, Codable, Equatable {
        public var corpusId: String
        public var clientTokensPerS: Double
        public var serverTokensPerS: Double
        /// (client - server) / server.
        public var relativeDifference: Double
        public var contentEvents: Int
        public var usageCompletionTokens: Int?
        public var serverPredictedN: Int?

        enum CodingKeys: String, CodingKey {
            case corpusId = "corpus_id"
            case clientTokensPerS = "client_tokens_per_s"
            case serverTokensPerS = "server_tokens_per_s"
            case relativeDifference = "relative_difference"
            case contentEvents = "content_events"
            case usageCompletionTokens = "usage_completion_tokens"
            case serverPredictedN = "server_predicted_n"
        }
    }

    public var rows: [Row]
    /// Requests that could not be compared (failed, fewer than 2 tokens, or no `timings`).
    public var skipped: Int
    /// The largest |relative difference|.
    public var maxRelativeDifference: Double
    /// Whether `usage.completion_tokens` equals `timings.predicted_n` on every row.
    public var usageMatchesServer: Bool
    /// Whether the client's content-event count equals `usage.completion_tokens` on every row.
    public var eventsMatchUsage: Bool

    enum CodingKeys: String, CodingKey {
        case rows, skipped
        case maxRelativeDifference = "max_relative_difference"
        case usageMatchesServer = "usage_matches_server"
        case eventsMatchUsage = "events_match_usage"
    }

    /// Builds the comparison from bench records.
    public init(records: [RequestRecord]) {
        var rows: [Row] = []
        for r in records {
            guard let client = r.clientDecodeTokensPerSecond, let server = r.timings?.predictedPerSecond, server > 0
            else {
                continue
            }
            rows.append(
                Row(
                    corpusId: r.corpusId, clientTokensPerS: client, serverTokensPerS: server,
                    relativeDifference: (client - server) / server, contentEvents: r.contentEventCount,
                    usageCompletionTokens: r.usageCompletionTokens, serverPredictedN: r.timings?.predictedN))
        }
        self.rows = rows
        skipped = records.count - rows.count
        maxRelativeDifference = rows.map { abs($0.relativeDifference) }.max() ?? 0
        usageMatchesServer =
            !rows.isEmpty
            && rows.allSatisfy { $0.usageCompletionTokens != nil && $0.usageCompletionTokens == $0.serverPredictedN }
        eventsMatchUsage = !rows.isEmpty && rows.allSatisfy { $0.usageCompletionTokens == $0.contentEvents }
    }

    /// Whether every row agrees within `tolerance` (0.10 is 10 %) and the token counts match.
    public func passes(tolerance: Double = 0.10) -> Bool {
        !rows.isEmpty && maxRelativeDifference <= tolerance && usageMatchesServer
    }
}
