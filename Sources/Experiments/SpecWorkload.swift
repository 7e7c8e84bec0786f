/// The `workload:` block: what the load generator sends.
///
/// ```yaml
/// workload: {api: chat, corpus: data/prompts.jsonl, scenario: closed, concurrency: 4,
///            requests: 48, warmup: 4, max_tokens: 64}
/// ```
public struct WorkloadSpec: Sendable, Codable, Equatable {
    /// The API spoken. The default is `chat`.
    public var api: WorkloadAPI = .chat
    /// The prompt corpus (JSONL), relative to the repository. The default is `data/prompts.jsonl`.
    public var corpus: String = "data/prompts.jsonl"
    /// The prompt length class taken from the corpus. The default is `mixed` (all classes).
    public var promptClass: PromptClass = .mixed
    /// How requests are issued. The default is `closed`.
    public var scenario: ScenarioKind = .closed
    /// Concurrent users (closed loop) or the in-flight cap (poisson). The default is 1.
    public var concurrency: Int = 1
    /// Requests per second (poisson only; required there).
    public var rate: Double?
    /// Gamma shape of inter-arrival gaps (poisson only); 1 is Poisson, below 1 burstier. The
    /// default is none (exponential gaps).
    public var burstiness: Double?
    /// Measured requests per trial. The default is 32 unless `duration_s` is given.
    public var requests: Int?
    /// Length of the measured window in seconds, instead of `requests`.
    public var durationSeconds: Double?
    /// Requests sent first and not recorded. The default is 2.
    public var warmup: Int = 2
    /// Output tokens per request. The default is 64.
    public var maxTokens: Int = 64
    /// The sampling strategy. The default is `greedy`.
    public var sampler: SamplerKind = .greedy
    /// Temperature for the `temperature`, `top-k` and `top-p` samplers. The default is 0.8.
    public var temperature: Double = 0.8
    /// k of `top-k`. The default is 40.
    public var topK: Int = 40
    /// p of `top-p`. The default is 0.9.
    public var topP: Double = 0.9
    /// Sampling seed. The default is 42.
    public var seed: Int = 42
    /// A request that takes longer fails with a timeout. The default is 120 s.
    public var timeoutSeconds: Double = 120
    /// A system prompt sent before every prompt: the shared prefix a prefix cache reuses.
    /// The default is `nil`.
    public var systemPrompt: String?

    public init() {}

    /// The measured requests per trial when neither `requests` nor `duration_s` is given.
    public static let defaultRequests = 32

    enum CodingKeys: String, CodingKey, CaseIterable {
        case api, corpus, scenario, concurrency, rate, burstiness, requests, warmup, sampler, temperature, seed
        case promptClass = "prompt_class"
        case durationSeconds = "duration_s"
        case maxTokens = "max_tokens"
        case topK = "top_k"
        case topP = "top_p"
        case timeoutSeconds = "timeout_s"
        case systemPrompt = "system_prompt"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.specContainer(allowed: CodingKeys.allCases.map(\.rawValue))
        api = try c.choice("api", WorkloadAPI.self) ?? api
        corpus = try c.scalar("corpus") ?? corpus
        promptClass = try c.choice("prompt_class", PromptClass.self) ?? promptClass
        scenario = try c.choice("scenario", ScenarioKind.self) ?? scenario
        concurrency = try c.int("concurrency") ?? concurrency
        rate = try c.double("rate")
        burstiness = try c.double("burstiness")
        requests = try c.int("requests")
        durationSeconds = try c.double("duration_s")
        warmup = try c.int("warmup") ?? warmup
        maxTokens = try c.int("max_tokens") ?? maxTokens
        sampler = try c.choice("sampler", SamplerKind.self) ?? sampler
        temperature = try c.double("temperature") ?? temperature
        topK = try c.int("top_k") ?? topK
        topP = try c.double("top_p") ?? topP
        seed = try c.int("seed") ?? seed
        timeoutSeconds = try c.double("timeout_s") ?? timeoutSeconds
        systemPrompt = try c.scalar("system_prompt")
    }

    /// Checks ranges and the fields that only some scenarios accept.
    public func validate(path: String = "workload") throws {
        if corpus.isEmpty { throw SpecError.invalid("\(path).corpus", expected: "a JSONL file path", got: corpus) }
        try SpecRange.check(concurrency, "\(path).concurrency", 1...4096, "a concurrency >= 1")
        if let rate { try SpecRange.check(rate, "\(path).rate", 1e-6...1e6, "a rate in requests/s > 0") }
        if let burstiness { try SpecRange.check(burstiness, "\(path).burstiness", 1e-3...1e3, "a gamma shape > 0") }
        if let requests { try SpecRange.check(requests, "\(path).requests", 1...10_000_000, "a request count >= 1") }
        if let durationSeconds {
            try SpecRange.check(durationSeconds, "\(path).duration_s", 0.1...86_400, "a duration in seconds > 0")
            if requests != nil {
                throw SpecError(
                    code: .conflict, field: "\(path).duration_s",
                    message: "give either requests or duration_s, not both")
            }
        }
        try SpecRange.check(warmup, "\(path).warmup", 0...100_000, "a warm-up request count >= 0")
        try SpecRange.check(maxTokens, "\(path).max_tokens", 1...131_072, "an output token count >= 1")
        try SpecRange.check(temperature, "\(path).temperature", 0...10, "a temperature >= 0")
        try SpecRange.check(topK, "\(path).top_k", 1...100_000, "k >= 1")
        try SpecRange.check(topP, "\(path).top_p", 1e-9...1, "p in (0, 1]")
        try SpecRange.check(timeoutSeconds, "\(path).timeout_s", 0.1...86_400, "a timeout in seconds > 0")
    }
}
