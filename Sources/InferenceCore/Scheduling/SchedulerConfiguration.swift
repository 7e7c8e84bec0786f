public import InferLabCore

/// Which batching policy the engine loop follows.
public enum SchedulerKind: String, Sendable, Codable, CaseIterable {
    /// One sequence at a time, first come first served.
    case single
    /// Waits until `maxSequences` requests are queued (or the wait window passes), runs them
    /// together to completion; nothing joins a running batch.
    case `static`
    /// Collects requests for up to the wait window or `maxSequences`, runs them to completion.
    case dynamic
    /// Iteration-level scheduling with chunked prefill: every step advances each decoding
    /// sequence by one token, then fills the rest of the token budget with prompt chunks,
    /// round-robin with a quantum of `batchTokens` prompt tokens; sequences join and leave
    /// between steps.
    case continuous
}

/// The scheduler's knobs.
public struct SchedulerConfiguration: KnobSet, Equatable {
    /// The policy (key `scheduler`). The default is `continuous`.
    public var kind: SchedulerKind = .continuous
    /// Most sequences decoding at once (and the batch size of `static`/`dynamic`). The default is 8.
    public var maxSequences: Int = 8
    /// Token budget of one step for `continuous` (decode tokens plus prompt chunks), and the
    /// prompt tokens a prompt takes per turn (`PromptQueue`). The default is 2048, llama-server's
    /// `n_batch`: with no stream mid-generation nobody waits on a step, and one large step
    /// prefills a prompt (or prompts arriving together) fastest.
    public var batchTokens: Int = 2048
    /// How long `static` and `dynamic` wait for a batch to fill, in milliseconds.
    /// The default is 50; `static` uses `max(batchWaitMilliseconds, 1000)` unless set explicitly.
    public var batchWaitMilliseconds: Int = 50
    /// For `continuous`: the longest a step should take while a stream is mid-generation (it was
    /// streaming when a prompt still prefilling arrived), in milliseconds; prompt chunks are cut
    /// to fit it (see `StepCostModel`), which bounds the gap between two tokens of a running
    /// stream while a long prompt is prefilled. Other steps take the whole budget. 0: no target,
    /// the token budget alone. The default is 2000: on two cores it keeps a stream's longest gaps
    /// at about half of llama-server's (unbounded: they reach its longest prefill step, 3-4 s on
    /// chat here), while chunks stay large (300+ prompt tokens) and long prompts' TTFT near an
    /// unbounded prefill's; 1000 gave TTFT p99 1.26x llama-server's at concurrency 8 (README).
    public var stepTargetMilliseconds: Int = 2000

    public init() {}

    /// The knobs given; `nil` keeps a knob's default.
    public init(
        kind: SchedulerKind? = nil, maxSequences: Int? = nil, batchTokens: Int? = nil,
        batchWaitMilliseconds: Int? = nil, stepTargetMilliseconds: Int? = nil
    ) {
        if let kind { self.kind = kind }
        if let maxSequences { self.maxSequences = maxSequences }
        if let batchTokens { self.batchTokens = batchTokens }
        if let batchWaitMilliseconds { self.batchWaitMilliseconds = batchWaitMilliseconds }
        if let stepTargetMilliseconds { self.stepTargetMilliseconds = stepTargetMilliseconds }
    }

    public static let keys = ["scheduler", "max_seqs", "batch_tokens", "batch_wait_ms", "step_target_ms"]

    /// Absent keys keep their defaults (configurations written before a knob existed still decode).
    public init(reading c: KeyedDecodingContainer<ConfigurationKey>) throws {
        kind = try c.choice("scheduler", SchedulerKind.self) ?? kind
        maxSequences = try c.int("max_seqs") ?? maxSequences
        batchTokens = try c.int("batch_tokens") ?? batchTokens
        batchWaitMilliseconds = try c.int("batch_wait_ms") ?? batchWaitMilliseconds
        stepTargetMilliseconds = try c.int("step_target_ms") ?? stepTargetMilliseconds
    }

    public func write(to c: inout KeyedEncodingContainer<ConfigurationKey>) throws {
        try c.knob("scheduler", kind)
        try c.knob("max_seqs", maxSequences)
        try c.knob("batch_tokens", batchTokens)
        try c.knob("batch_wait_ms", batchWaitMilliseconds)
        try c.knob("step_target_ms", stepTargetMilliseconds)
    }

    /// Sequences that may run at once under this policy.
    public var concurrency: Int { kind == .single ? 1 : maxSequences }

    public func validate() throws(EngineError) {
        if maxSequences < 1 || maxSequences > 128 {
            throw EngineError(
                .invalidParameter, "max_seqs must be in 1...128 (got \(maxSequences))", parameter: "max_seqs")
        }
        if batchTokens < maxSequences + 1 {
            throw EngineError(
                .invalidParameter,
                "batch_tokens must exceed max_seqs so prompts can progress (got \(batchTokens) for \(maxSequences) sequences)",
                parameter: "batch_tokens")
        }
        if batchWaitMilliseconds < 0 {
            throw EngineError(.invalidParameter, "batch_wait_ms must be >= 0", parameter: "batch_wait_ms")
        }
        if stepTargetMilliseconds < 0 {
            throw EngineError(
                .invalidParameter, "step_target_ms must be >= 0 (0: no target; got \(stepTargetMilliseconds))",
                parameter: "step_target_ms")
        }
    }
}
