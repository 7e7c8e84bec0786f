/// Everything that shapes one engine: how the model is loaded, the context, the scheduler.
public struct EngineConfiguration: Sendable, Codable, Equatable {
    public var model: ModelOptions = ModelOptions()
    public var context: ContextOptions = ContextOptions()
    public var scheduler: SchedulerConfiguration = SchedulerConfiguration()
    /// Keep finished sequences' KV cells to reuse shared prompt prefixes. The default is `false`.
    public var prefixCache: Bool = false
    /// Shortest shared prefix worth reusing, in tokens. The default is 16.
    public var prefixCacheMinTokens: Int = 16
    /// A JSONL file that gets one `StepRecord` per engine step (`--step-log`); `nil`: none.
    public var stepLog: String?

    enum CodingKeys: String, CodingKey {
        case model, context, scheduler
        case prefixCache = "prefix_cache"
        case prefixCacheMinTokens = "prefix_cache_min_tokens"
        case stepLog = "step_log"
    }

    public init(
        model: ModelOptions = ModelOptions(), context: ContextOptions = ContextOptions(),
        scheduler: SchedulerConfiguration = SchedulerConfiguration(), prefixCache: Bool = false
    ) {
        self.model = model
        self.context = context
        self.scheduler = scheduler
        self.prefixCache = prefixCache
    }

    /// Sequence ids the context needs: running sequences, plus as many cache entries when the
    /// prefix cache is on with a unified KV cache. With a KV stream per sequence (the default)
    /// cached prefixes stay in the streams of idle sequences (`EngineLoop`), so no ids are added
    /// and each sequence keeps its full share of the context.
    public var sequenceIds: Int { scheduler.concurrency * (prefixCache && context.unifiedKV ? 2 : 1) }

    public func validate() throws(EngineError) {
        try context.validate()
        try scheduler.validate()
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
    public var steps: UInt64 = 0
    public var stopped = false

    public init() {}
}
