public import InferLabCore

/// One generation job: immutable, handed to the engine thread.
public struct GenerationRequest: Sendable {
    /// Caller's id, echoed in logs and events.
    public var id: String
    /// The prompt, already tokenized (chat template applied by the caller when wanted).
    public var promptTokens: [Int32]
    /// Most tokens to generate (>= 1).
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation ends before any of these strings; they are not part of the output.
    public var stop: [String]
    /// When the request arrived; queue time counts from here. Defaults to submission.
    public var arrival: MonotonicInstant?
    /// Keep generating past end-of-generation tokens (for benchmarks with a fixed length).
    public var ignoreEndOfGeneration = false

    public init(
        id: String, promptTokens: [Int32], maxTokens: Int, sampling: SamplingParameters = .greedy, stop: [String] = [],
        arrival: MonotonicInstant? = nil
    ) {
        self.id = id
        self.promptTokens = promptTokens
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.arrival = arrival
    }
}

extension GenerationRequest {
    /// The one check of a request against the engine (`InferenceEngine.validate`), for a sequence of `sequenceContextLength` cells
    /// (a pure function, so fakes of the engine apply the same rule).
    public func validate(sequenceContextLength: Int) throws(EngineError) {
        try sampling.validate()
        guard maxTokens >= 1 else {
            throw EngineError(
                .invalidParameter, "max_tokens must be at least 1 (got \(maxTokens))", parameter: "max_tokens")
        }
        guard !promptTokens.isEmpty else {
            throw EngineError(.invalidParameter, "the prompt is empty", parameter: "prompt")
        }
        guard promptTokens.count + maxTokens <= sequenceContextLength else {
            throw EngineError(
                .promptTooLong,
                "this request needs \(promptTokens.count + maxTokens) tokens of context (n_prompt_tokens "
                    + "\(promptTokens.count) + max_tokens \(maxTokens)) but n_ctx is \(sequenceContextLength) per "
                    + "sequence; shorten the prompt or lower max_tokens", parameter: "prompt")
        }
    }
}

/// Why generation ended.
public enum FinishReason: String, Sendable, Codable {
    /// End-of-generation token or a stop string.
    case stop
    /// `maxTokens` reached.
    case length
    /// The sequence reached the per-sequence context limit (reported as `length` on the wire).
    case contextLimit = "context_limit"
}

/// One sampled token.
public struct GeneratedToken: Sendable {
    public var token: Int32
    /// Text that became complete with this token (may be empty: a partial UTF-8 character, or
    /// text held back while it might be the start of a stop string).
    public var text: String
    /// 0 for the first generated token.
    public var index: Int
    /// When it was sampled.
    public var time: MonotonicInstant

    public init(token: Int32, text: String, index: Int, time: MonotonicInstant) {
        self.token = token
        self.text = text
        self.index = index
        self.time = time
    }
}

/// Timestamps and counts of a finished (or cancelled) generation.
public struct GenerationSummary: Sendable {
    public var finishReason: FinishReason
    public var promptTokens: Int
    /// Prompt tokens whose KV cells came from the prefix cache.
    public var cachedTokens: Int
    public var completionTokens: Int
    /// Held-back text released at the end (after the last token event).
    public var trailingText: String
    public var arrival: MonotonicInstant
    public var admitted: MonotonicInstant
    /// When the first batch holding this prompt started decoding.
    public var prefillStart: MonotonicInstant
    public var firstToken: MonotonicInstant
    public var lastToken: MonotonicInstant

    public init(
        finishReason: FinishReason, promptTokens: Int, cachedTokens: Int, completionTokens: Int, trailingText: String,
        arrival: MonotonicInstant, admitted: MonotonicInstant, prefillStart: MonotonicInstant,
        firstToken: MonotonicInstant, lastToken: MonotonicInstant
    ) {
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.cachedTokens = cachedTokens
        self.completionTokens = completionTokens
        self.trailingText = trailingText
        self.arrival = arrival
        self.admitted = admitted
        self.prefillStart = prefillStart
        self.firstToken = firstToken
        self.lastToken = lastToken
    }

    public var queue: Duration { admitted - arrival }
    public var prefill: Duration { firstToken - prefillStart }
    /// From the first to the last generated token.
    public var decode: Duration { lastToken - firstToken }
    /// Tokens after the first, per second of decode (0 for a single token).
    public var decodeTokensPerSecond: Double {
        completionTokens > 1 && lastToken > firstToken ? Double(completionTokens - 1) / decode.seconds : 0
    }
}

/// What the engine streams back for one request.
public enum GenerationEvent: Sendable {
    /// Admitted from the queue; `cachedTokens` prompt tokens reused from the prefix cache.
    case admitted(queue: Duration, cachedTokens: Int)
    case token(GeneratedToken)
    case finished(GenerationSummary)
}
