/// What the load generator measures, per request and per trial (docs/metrics.md, "Per request").
extension Metric {
    public static let ttft = Metric(
        name: "ttft", label: "TTFT", unit: .milliseconds, kind: .distribution, source: .client,
        reading: .request(.ttft), help: "Time to first token: the first SSE event carrying generated text - t_send.")
    public static let itl = Metric(
        name: "itl", label: "ITL", unit: .milliseconds, kind: .distribution, source: .client, reading: .tokenGaps,
        help: "Inter-token latency: every gap between consecutive content events of a request, all pooled.")
    public static let tpot = Metric(
        name: "tpot", label: "TPOT", unit: .milliseconds, kind: .distribution, source: .client,
        reading: .request(.tpot), help: "(E2E - TTFT) / (output tokens - 1); undefined for fewer than 2 output tokens.")
    public static let e2e = Metric(
        name: "e2e", label: "E2E", unit: .milliseconds, kind: .distribution, source: .client, reading: .request(.e2e),
        help: "End to end: the last event (normally [DONE]) - t_send.")
    public static let clientLag = Metric(
        name: "lag", label: "client lag", unit: .milliseconds, kind: .distribution, source: .client,
        reading: .request(.lag), help: "t_send - t_sched: how late the client sent the request (every request).")
    public static let e2eFromScheduled = Metric(
        name: "e2e_from_scheduled", label: "E2E from t_sched", unit: .milliseconds, kind: .distribution,
        source: .client, reading: .request(.e2eFromScheduled),
        help: "The last event - t_sched = E2E + client lag: what an open-loop user waits (coordinated omission shows).")
    public static let outputTokens = Metric(
        name: "output_tokens", label: "output tokens", unit: .count, kind: .distribution, source: .client,
        reading: .request(.outputTokens),
        help:
            "Output tokens of a request: usage.completion_tokens when the server sends it, else one per content event.")
    public static let clientDecodeRate = Metric(
        name: "decode_tokens_per_s", label: "client decode rate", unit: .perSecond, kind: .distribution,
        source: .client, reading: .request(.clientDecodeRate),
        help: "(content events - 1) / (last content - first content) of a request, tokens/s.")
    public static let tokensPerSecond = Metric(
        name: "tokens_per_s", label: "tokens/s", unit: .perSecond, kind: .rate, source: .client,
        reading: .trial(.outputTokensPerSecond),
        help: "Throughput: output tokens of completed requests / wall time of the measured window.")
    public static let requestsPerSecond = Metric(
        name: "requests_per_s", label: "requests/s", unit: .perSecond, kind: .rate, source: .client,
        reading: .trial(.requestsPerSecond), help: "Completed requests / wall time of the measured window.")
    public static let goodput = Metric(
        name: "goodput_requests_per_s", label: "goodput", unit: .perSecond, kind: .rate, source: .client,
        reading: .trial(.goodputRequestsPerSecond),
        help: "Requests that completed and met every objective of the SLO / wall time of the measured window.")
    public static let errors = Metric(
        name: "errors", label: "errors", unit: .count, kind: .counter, source: .client, reading: .trial(.errors),
        help: "Failed requests of the measured window (any error class).")

    static let clientMetrics: [Metric] = [
        ttft, itl, tpot, e2e, clientLag, e2eFromScheduled, outputTokens, clientDecodeRate, tokensPerSecond,
        requestsPerSecond, goodput, errors,
    ]
}
