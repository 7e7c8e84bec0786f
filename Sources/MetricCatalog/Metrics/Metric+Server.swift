/// `inferlab serve`'s view: the `timings` of each final chunk (per request, read by the client),
/// and the Prometheus series of `/metrics`, whose names and help texts the server takes from here.
extension Metric {
    // MARK: Per request, from the final chunk's timings

    public static let serverQueue = Metric(
        name: "timings.queue", label: "server queue", unit: .milliseconds, kind: .distribution, source: .server,
        reading: .request(.serverQueue), help: "timings.queue_ms of a request: arrival to admission in the server.")
    public static let serverPrefill = Metric(
        name: "timings.prefill", label: "server prefill", unit: .milliseconds, kind: .distribution, source: .server,
        reading: .request(.serverPrefill), help: "timings.prompt_ms of a request: the server's prefill time.")
    public static let serverCachedTokens = Metric(
        name: "timings.cached_tokens", label: "cached prompt tokens", unit: .count, kind: .distribution,
        source: .server, reading: .request(.serverCachedTokens),
        help: "timings.cache_n of a request: prompt tokens taken from the prefix cache.")
    public static let serverDecodeRate = Metric(
        name: "timings.decode_tokens_per_s", label: "server decode rate", unit: .perSecond, kind: .distribution,
        source: .server, reading: .request(.serverDecodeRate),
        help: "timings.predicted_per_second of a request: the server's decode rate, tokens/s.")

    // MARK: The /metrics exposition

    public static let serverQueueDepth = Metric(
        name: "server.queue_depth", label: "queue depth", unit: .count, kind: .gauge, source: .server,
        reading: .exposition("inferlab_queue_depth"), help: "Requests waiting for admission")
    public static let serverRunningSequences = Metric(
        name: "server.running_sequences", label: "running sequences", unit: .count, kind: .gauge, source: .server,
        reading: .exposition("inferlab_running_sequences"), help: "Sequences prefilling or decoding")
    public static let serverKVCellsUsed = Metric(
        name: "server.kv_cells_used", label: "KV cells used", unit: .count, kind: .gauge, source: .server,
        reading: .exposition("inferlab_kv_cells_used"), help: "KV cells holding data")
    public static let serverKVCellsTotal = Metric(
        name: "server.kv_cells_total", label: "KV cells", unit: .count, kind: .gauge, source: .server,
        reading: .exposition("inferlab_kv_cells_total"), help: "KV cells in the context")
    public static let serverPrefixCacheEntries = Metric(
        name: "server.prefix_cache_entries", label: "prefix-cache entries", unit: .count, kind: .gauge,
        source: .server, reading: .exposition("inferlab_prefix_cache_entries"), help: "Prefix-cache entries")
    public static let serverHostCacheEntries = Metric(
        name: "server.prefix_cache_host_entries", label: "host-cache entries", unit: .count, kind: .gauge,
        source: .server, reading: .exposition("inferlab_prefix_cache_host_entries"),
        help: "Cached prefixes kept in host memory after leaving their KV stream")
    public static let serverHostCacheBytes = Metric(
        name: "server.prefix_cache_host_bytes", label: "host-cache bytes", unit: .bytes, kind: .gauge,
        source: .server, reading: .exposition("inferlab_prefix_cache_host_bytes"),
        help: "Bytes of the KV states kept in host memory")
    public static let serverPromptTokens = Metric(
        name: "server.prompt_tokens", label: "prompt tokens", unit: .count, kind: .counter, source: .server,
        reading: .exposition("inferlab_prompt_tokens_total"), help: "Prompt tokens of admitted requests")
    public static let serverCompletionTokens = Metric(
        name: "server.completion_tokens", label: "generated tokens", unit: .count, kind: .counter, source: .server,
        reading: .exposition("inferlab_completion_tokens_total"), help: "Generated tokens")
    public static let serverCancellations = Metric(
        name: "server.cancellations", label: "cancellations", unit: .count, kind: .counter, source: .server,
        reading: .exposition("inferlab_cancellations_total"), help: "Requests dropped because the client went away")
    public static let serverPrefixCacheHits = Metric(
        name: "server.prefix_cache_hits", label: "prefix-cache hits", unit: .count, kind: .counter, source: .server,
        reading: .exposition("inferlab_prefix_cache_hits_total"), help: "Requests reusing a cached prefix")
    public static let serverPrefixCacheTokens = Metric(
        name: "server.prefix_cache_tokens", label: "prefix-cache tokens", unit: .count, kind: .counter,
        source: .server, reading: .exposition("inferlab_prefix_cache_tokens_total"),
        help: "Prompt tokens served from the prefix cache")
    public static let serverRequests = Metric(
        name: "server.requests", label: "requests", unit: .count, kind: .counter, source: .server,
        reading: .exposition("inferlab_requests_total"), help: "Finished requests by HTTP status")
    public static let serverRejections = Metric(
        name: "server.rejections", label: "rejections", unit: .count, kind: .counter, source: .server,
        reading: .exposition("inferlab_rejections_total"), help: "Requests refused at admission")
    public static let serverTTFT = Metric(
        name: "server.ttft", label: "server TTFT", unit: .seconds, kind: .distribution, source: .server,
        reading: .exposition("inferlab_ttft_seconds"), help: "Arrival to first token")
    public static let serverITL = Metric(
        name: "server.itl", label: "server ITL", unit: .seconds, kind: .distribution, source: .server,
        reading: .exposition("inferlab_itl_seconds"), help: "Gap between consecutive tokens")
    public static let serverE2E = Metric(
        name: "server.e2e", label: "server E2E", unit: .seconds, kind: .distribution, source: .server,
        reading: .exposition("inferlab_e2e_seconds"), help: "Arrival to last token")
    public static let serverQueueTime = Metric(
        name: "server.queue_time", label: "server queue time", unit: .seconds, kind: .distribution, source: .server,
        reading: .exposition("inferlab_queue_seconds"), help: "Arrival to admission")

    static let serverMetrics: [Metric] = [
        serverQueue, serverPrefill, serverCachedTokens, serverDecodeRate, serverQueueDepth, serverRunningSequences,
        serverKVCellsUsed, serverKVCellsTotal, serverPrefixCacheEntries, serverHostCacheEntries, serverHostCacheBytes,
        serverPromptTokens, serverCompletionTokens,
        serverCancellations, serverPrefixCacheHits, serverPrefixCacheTokens, serverRequests, serverRejections,
        serverTTFT, serverITL, serverE2E, serverQueueTime,
    ]
}
