public import InferLabCore

/// The metric formulas of DESIGN.md ("Metric definitions"), on one request's events.
/// Times are ms; every value is nil when undefined (see docs/metrics.md).
extension RequestRecord {
    /// Content events (events carrying generated text).
    public var contentEventCount: Int { events.reduce(0) { $0 + ($1.kind == .content ? 1 : 0) } }

    /// Time of the first content event.
    public var firstContent: MonotonicInstant? { events.first { $0.kind == .content }?.time }
    /// Time of the last content event.
    public var lastContent: MonotonicInstant? { events.last { $0.kind == .content }?.time }
    /// Time of the last event of any kind (usually `[DONE]`).
    public var lastEvent: MonotonicInstant? { events.last?.time }

    /// Client lag: `t_send - t_sched`.
    public var lagMs: Double { (sent - scheduled).milliseconds }

    /// TTFT = first content event - `t_send`.
    public var ttftMs: Double? { firstContent.map { ($0 - sent).milliseconds } }

    /// E2E = last event (or `[DONE]`) - `t_send`; only for successful requests.
    public var e2eMs: Double? {
        guard succeeded, let last = lastEvent else { return nil }
        return (last - sent).milliseconds
    }

    /// E2E counted from `t_sched` (open-loop latency including client lag).
    public var e2eFromScheduledMs: Double? {
        guard succeeded, let last = lastEvent else { return nil }
        return (last - scheduled).milliseconds
    }

    /// ITL: every gap between consecutive content events.
    public var interTokenLatenciesMs: [Double] {
        var gaps: [Double] = []
        var previous: MonotonicInstant?
        for event in events where event.kind == .content {
            if let previous { gaps.append((event.time - previous).milliseconds) }
            previous = event.time
        }
        return gaps
    }

    /// Output tokens: `usage.completion_tokens` when present, else one per content event.
    public var outputTokens: Int { usageCompletionTokens ?? contentEventCount }

    /// Where ``outputTokens`` came from.
    public var outputTokenSource: TokenCountSource { usageCompletionTokens != nil ? .usage : .events }

    /// Prompt tokens from `usage` (the client does not tokenize).
    public var promptTokens: Int? { usagePromptTokens }

    /// TPOT = (E2E - TTFT) / (output_tokens - 1); undefined for fewer than 2 tokens.
    public var tpotMs: Double? {
        guard let e2e = e2eMs, let ttft = ttftMs, outputTokens > 1 else { return nil }
        return (e2e - ttft) / Double(outputTokens - 1)
    }

    /// Client-side decode rate: (content events - 1) / (last content - first content), tokens/s.
    /// The figure compared with the server's `timings.predicted_per_second`.
    public var clientDecodeTokensPerSecond: Double? {
        let n = contentEventCount
        guard succeeded, n > 1, let first = firstContent, let last = lastContent, last > first else { return nil }
        return Double(n - 1) / (last - first).seconds
    }

    /// Whether it succeeded and met every objective of `slo`.
    public func meets(_ slo: ServiceLevelObjectives) -> Bool {
        guard succeeded else { return false }
        if let bound = slo.ttftMs {
            guard let ttft = ttftMs, ttft <= bound else { return false }
        }
        if let bound = slo.tpotMs, let tpot = tpotMs, tpot > bound { return false }
        if let bound = slo.e2eMs {
            guard let e2e = e2eMs, e2e <= bound else { return false }
        }
        return true
    }
}
