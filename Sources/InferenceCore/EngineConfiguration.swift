public import InferLabCore

/// Everything that shapes one engine: how the model is loaded, the context, the scheduler.
public struct EngineConfiguration: KnobSet, Equatable {
    public var model = ModelOptions()
    public var context = ContextOptions()
    public var scheduler = SchedulerConfiguration()
    /// Keep finished sequences' KV cells to reuse shared prompt prefixes. The default is `false`.
    public var prefixCache: Bool = false
    /// Shortest shared prefix worth reusing, in tokens. The default is 16.
    public var prefixCacheMinTokens: Int = 16
    /// Host memory, in MiB, for the KV states of cached prefixes evicted from their streams
    /// (`llama_state_seq_get_data`), least recently used forgotten first, so sessions may
    /// outnumber the sequences and still come back to their history: llama-server's
    /// `--cache-ram`. With the prefix cache on and a stream per sequence; 0 turns it off. The
    /// default is 4096.
    public var prefixCacheHostMiB: Int = 4096
    /// A JSONL file that gets one `StepRecord` per engine step (`--step-log`). The default is none.
    public var stepLog: String?

    public init() {}

    /// The parts given; `nil` keeps a part's default.
    public init(
        model: ModelOptions? = nil, context: ContextOptions? = nil, scheduler: SchedulerConfiguration? = nil,
        prefixCache: Bool? = nil
    ) {
        if let model { self.model = model }
        if let context { self.context = context }
        if let scheduler { self.scheduler = scheduler }
        if let prefixCache { self.prefixCache = prefixCache }
    }

    public static let keys =
        ["prefix_cache", "prefix_cache_min_tokens", "prefix_cache_host_mib", "step_log"] + ModelOptions.keys
        + ContextOptions.keys
        + SchedulerConfiguration.keys

    public init(reading c: KeyedDecodingContainer<ConfigurationKey>) throws {
        model = try ModelOptions(reading: c)
        context = try ContextOptions(reading: c)
        scheduler = try SchedulerConfiguration(reading: c)
        prefixCache = try c.bool("prefix_cache") ?? prefixCache
        prefixCacheMinTokens = try c.int("prefix_cache_min_tokens") ?? prefixCacheMinTokens
        prefixCacheHostMiB = try c.int("prefix_cache_host_mib") ?? prefixCacheHostMiB
        stepLog = try c.scalar("step_log")
    }

    public func write(to c: inout KeyedEncodingContainer<ConfigurationKey>) throws {
        try model.write(to: &c)
        try context.write(to: &c)
        try scheduler.write(to: &c)
        try c.knob("prefix_cache", prefixCache)
        try c.knob("prefix_cache_min_tokens", prefixCacheMinTokens)
        try c.knob("prefix_cache_host_mib", prefixCacheHostMiB)
        try c.knob("step_log", stepLog)
    }

    /// The tokens one `llama_decode` takes: `n_batch`, raised to the step budget when that is larger.
    public var effectiveBatchSize: Int { max(context.batchSize, scheduler.batchTokens) }

    /// Sequence ids the context needs: running sequences, plus as many cache entries when the
    /// prefix cache is on with a unified KV cache. With a KV stream per sequence (the default)
    /// cached prefixes stay in the streams of idle sequences (`EngineLoop`), so no ids are added
    /// and each sequence keeps its full share of the context.
    public var sequenceIds: Int { scheduler.concurrency * (prefixCache && context.unifiedKV ? 2 : 1) }

    public func validate() throws(EngineError) {
        try context.validate()
        try scheduler.validate()
        if prefixCacheMinTokens < 1 {
            throw EngineError(
                .invalidParameter, "prefix_cache_min_tokens must be at least 1 (got \(prefixCacheMinTokens))",
                parameter: "prefix_cache_min_tokens")
        }
        if prefixCacheHostMiB < 0 {
            throw EngineError(
                .invalidParameter, "prefix_cache_host_mib must be >= 0 (0: off; got \(prefixCacheHostMiB))",
                parameter: "prefix_cache_host_mib")
        }
    }
}

/// What the engine loop publishes after every step, for health checks and metrics that must
/// never wait for the loop.
public struct EngineSnapshot: Sendable, Equatable {
    public var waiting = 0
    public var queuedPromptTokens = 0
    public var running = 0
    public var prefilling = 0
    /// KV cells holding data (running sequences and prefix-cache entries).
    public var cellsUsed = 0
    public var cellsTotal = 0
    public var cachedPrefixes = 0
    /// Host-memory prefix-cache entries and the bytes they take.
    public var hostCachedPrefixes = 0
    public var hostCacheBytes = 0
    public var steps: UInt64 = 0
    public var stopped = false

    public init() {}
}
