import Foundation
public import InferLabCore

/// Everything one `inferlab bench` run needs; `Codable` so an experiment file can carry it and
/// the results file stores it whole.
public struct BenchConfiguration: KnobSet, Equatable {
    /// The HTTP API spoken by the target.
    public enum API: String, Sendable, Codable, CaseIterable {
        /// `POST /v1/chat/completions`.
        case chat
        /// `POST /v1/completions`.
        case completions
        /// `POST /generate` (the lab's own endpoint).
        case generate

        /// The request path.
        public var path: String {
            switch self {
            case .chat: "/v1/chat/completions"
            case .completions: "/v1/completions"
            case .generate: "/generate"
            }
        }
    }

    /// How requests arrive.
    public enum Scenario: String, Sendable, Codable, CaseIterable {
        /// `concurrency` users in a closed loop.
        case closed
        /// Open loop at `rate` requests/s (gamma gaps of shape `burstiness`), optional cap.
        case poisson
        /// One measured window per value of `sweep` (concurrencies or rates, see `sweep_mode`).
        case sweep
        /// All requests at once.
        case offline
    }

    /// What the values of a sweep are.
    public enum SweepMode: String, Sendable, Codable, CaseIterable {
        /// Closed-loop concurrencies.
        case concurrency
        /// Open-loop rates (requests/s).
        case rate
    }

    /// The prompt length classes of a corpus taken by a run.
    public enum PromptClass: String, Sendable, Codable, CaseIterable {
        case short, medium, long
        /// Every class, in corpus order.
        case mixed
    }

    /// How each request asks the server to pick tokens.
    public enum Sampler: String, Sendable, Codable, CaseIterable {
        /// Temperature 0: the most likely token.
        case greedy
        /// `temperature` alone.
        case temperature
        /// `temperature` with `top_k`.
        case topK = "top-k"
        /// `temperature` with `top_p`.
        case topP = "top-p"
    }

    /// The server's base URL, e.g. `http://127.0.0.1:8080`. The default is `http://127.0.0.1:8080`.
    public var url: String = "http://127.0.0.1:8080"
    /// The API. The default is `chat`.
    public var api: API = .chat
    /// The model name sent in each request. The default is `default`.
    public var model: String = "default"
    /// The scenario. The default is `closed`.
    public var scenario: Scenario = .closed
    /// Users of a closed loop (and of the warm-up). The default is 1.
    public var concurrency: Int = 1
    /// Open-loop rate in requests/s (needed by `poisson`). The default is nil.
    public var rate: Double?
    /// Gamma shape of open-loop gaps; 1 is Poisson, below 1 burstier. The default is 1.
    public var burstiness: Double = 1
    /// Cap on requests in flight for `poisson` and `offline`. The default is nil (no cap).
    public var maxConcurrency: Int?
    /// Values of a sweep. The default is empty.
    public var sweep: [Double] = []
    /// What the sweep values are. The default is `concurrency`.
    public var sweepMode: SweepMode = .concurrency
    /// Measured requests per window (key `requests`). The default is `defaultRequests` unless
    /// `duration_s` bounds the window.
    public var requests: Int?
    /// Length of each measured window in seconds (key `duration_s`). The default is nil.
    public var durationSeconds: Double?
    /// Requests sent before measuring, never counted or stored (key `warmup`). The default is 0.
    public var warmupRequests: Int = 0
    /// Seconds of closed-loop warm-up before measuring, never counted (key `warmup_s`). The default is 0.
    public var warmupSeconds: Double = 0
    /// Overrides each corpus entry's `max_tokens`. The default is nil (the corpus decides; 128 if absent).
    public var maxTokens: Int?
    /// How tokens are picked. The default is `greedy`.
    public var sampler: Sampler = .greedy
    /// Temperature of the `temperature`, `top-k` and `top-p` samplers. The default is 0.8.
    public var temperature: Double = 0.8
    /// k of `top-k`. The default is 40.
    public var topK: Int = 40
    /// p of `top-p`. The default is 0.9.
    public var topP: Double = 0.9
    /// Sampling seed sent with each request. The default is 42.
    public var seed: Int = 42
    /// Asks the server to ignore end-of-generation (llama-server's `ignore_eos`). The default is false.
    public var ignoreEOS: Bool = false
    /// Service-level objectives for goodput. The default has none.
    public var slo: ServiceLevelObjectives = ServiceLevelObjectives()
    /// A JSONL corpus (key `corpus`). The default is nil (a built-in generated corpus).
    public var corpusPath: String?
    /// The prompt length class taken from the corpus. The default is `mixed` (all classes).
    public var promptClass: PromptClass = .mixed
    /// Streams responses (SSE). The default is true.
    public var stream: Bool = true
    /// Per-request deadline in seconds (key `timeout_s`). The default is 300.
    public var timeoutSeconds: Double = 300
    /// Seed of the open-loop arrival process. The default is 1.
    public var arrivalSeed: UInt64 = 1
    /// A system prompt sent before every prompt (a `system` message for chat, a prefix of the
    /// prompt text otherwise): the shared prefix of a typical chat application, which a prefix
    /// cache can reuse. The default is `nil`.
    public var systemPrompt: String?

    public init() {}

    /// Measured requests per window when neither `requests` nor `duration_s` is given.
    public static let defaultRequests = 32

    /// The measured requests per window: `requests`, else `defaultRequests` unless the window is
    /// bounded by time.
    public var effectiveRequests: Int? { requests ?? (durationSeconds == nil ? Self.defaultRequests : nil) }

    /// The temperature each request carries: 0 for `greedy`.
    public var requestTemperature: Double { sampler == .greedy ? 0 : temperature }

    public static let keys = [
        "url", "api", "model", "scenario", "concurrency", "rate", "burstiness", "max_concurrency", "sweep",
        "sweep_mode", "requests", "duration_s", "warmup", "warmup_s", "max_tokens", "sampler", "temperature", "top_k",
        "top_p", "seed", "ignore_eos", "slo", "corpus", "prompt_class", "stream", "timeout_s", "arrival_seed",
        "system_prompt",
    ]

    public init(reading c: KeyedDecodingContainer<ConfigurationKey>) throws {
        url = try c.scalar("url") ?? url
        api = try c.choice("api", API.self) ?? api
        model = try c.scalar("model") ?? model
        scenario = try c.choice("scenario", Scenario.self) ?? scenario
        concurrency = try c.int("concurrency") ?? concurrency
        rate = try c.double("rate")
        burstiness = try c.double("burstiness") ?? burstiness
        maxConcurrency = try c.int("max_concurrency")
        sweep =
            try c.scalarList("sweep").map { texts in
                try texts.enumerated().map { index, text in
                    guard let value = ScalarText.double(text) else {
                        throw ConfigurationError.invalid(
                            "\(c.path("sweep"))[\(index)]", expected: "a number", got: text)
                    }
                    return value
                }
            } ?? sweep
        sweepMode = try c.choice("sweep_mode", SweepMode.self) ?? sweepMode
        requests = try c.int("requests")
        durationSeconds = try c.double("duration_s")
        warmupRequests = try c.int("warmup") ?? warmupRequests
        warmupSeconds = try c.double("warmup_s") ?? warmupSeconds
        maxTokens = try c.int("max_tokens")
        sampler = try c.choice("sampler", Sampler.self) ?? sampler
        temperature = try c.double("temperature") ?? temperature
        topK = try c.int("top_k") ?? topK
        topP = try c.double("top_p") ?? topP
        seed = try c.int("seed") ?? seed
        ignoreEOS = try c.bool("ignore_eos") ?? ignoreEOS
        slo = try c.section("slo", ServiceLevelObjectives.self) ?? slo
        corpusPath = try c.scalar("corpus")
        promptClass = try c.choice("prompt_class", PromptClass.self) ?? promptClass
        stream = try c.bool("stream") ?? stream
        timeoutSeconds = try c.double("timeout_s") ?? timeoutSeconds
        arrivalSeed = try c.int("arrival_seed").map { UInt64(max(0, $0)) } ?? arrivalSeed
        systemPrompt = try c.scalar("system_prompt")
    }

    public func write(to c: inout KeyedEncodingContainer<ConfigurationKey>) throws {
        try c.knob("url", url)
        try c.knob("api", api)
        try c.knob("model", model)
        try c.knob("scenario", scenario)
        try c.knob("concurrency", concurrency)
        try c.knob("rate", rate)
        try c.knob("burstiness", burstiness)
        try c.knob("max_concurrency", maxConcurrency)
        if !sweep.isEmpty { try c.knob("sweep", sweep) }
        try c.knob("sweep_mode", sweepMode)
        try c.knob("requests", requests)
        try c.knob("duration_s", durationSeconds)
        try c.knob("warmup", warmupRequests)
        try c.knob("warmup_s", warmupSeconds)
        try c.knob("max_tokens", maxTokens)
        try c.knob("sampler", sampler)
        try c.knob("temperature", temperature)
        try c.knob("top_k", topK)
        try c.knob("top_p", topP)
        try c.knob("seed", seed)
        try c.knob("ignore_eos", ignoreEOS)
        if slo != ServiceLevelObjectives() { try c.knob("slo", slo) }
        try c.knob("corpus", corpusPath)
        try c.knob("prompt_class", promptClass)
        try c.knob("stream", stream)
        try c.knob("timeout_s", timeoutSeconds)
        try c.knob("arrival_seed", arrivalSeed)
        try c.knob("system_prompt", systemPrompt)
    }

    /// Checks every field; the error names the first bad one by its key.
    public func validate() throws(ConfigurationError) {
        func bad(_ field: String, _ why: String) -> ConfigurationError {
            ConfigurationError(code: .invalidValue, field: field, message: why)
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
            parsed.host != nil
        else { throw bad("url", "'\(url)' is not an http(s) URL; give e.g. http://127.0.0.1:8080") }
        guard concurrency >= 1 else { throw bad("concurrency", "must be at least 1 (got \(concurrency))") }
        if let rate, !(rate > 0 && rate.isFinite) {
            throw bad("rate", "must be a positive number of requests/s (got \(rate))")
        }
        guard burstiness > 0, burstiness.isFinite else { throw bad("burstiness", "must be > 0 (got \(burstiness))") }
        if let maxConcurrency, maxConcurrency < 1 {
            throw bad("max_concurrency", "must be at least 1 (got \(maxConcurrency))")
        }
        if let requests, requests < 1 { throw bad("requests", "must be at least 1 (got \(requests))") }
        if let durationSeconds, !(durationSeconds > 0 && durationSeconds.isFinite) {
            throw bad("duration_s", "must be > 0 (got \(durationSeconds))")
        }
        guard warmupRequests >= 0 else { throw bad("warmup", "must be >= 0 (got \(warmupRequests))") }
        guard warmupSeconds >= 0, warmupSeconds.isFinite else {
            throw bad("warmup_s", "must be >= 0 (got \(warmupSeconds))")
        }
        if let maxTokens, maxTokens < 1 { throw bad("max_tokens", "must be at least 1 (got \(maxTokens))") }
        guard temperature >= 0, temperature.isFinite else {
            throw bad("temperature", "must be >= 0 (got \(temperature))")
        }
        guard topK >= 1 else { throw bad("top_k", "must be at least 1 (got \(topK))") }
        guard topP > 0, topP <= 1 else { throw bad("top_p", "must be in (0, 1] (got \(topP))") }
        guard timeoutSeconds > 0, timeoutSeconds.isFinite else {
            throw bad("timeout_s", "must be > 0 (got \(timeoutSeconds))")
        }
        do {
            try slo.validate()
        } catch {
            throw ConfigurationError(code: .invalidValue, field: "", message: error.message)
        }
        switch scenario {
        case .closed: break
        case .poisson:
            guard rate != nil else { throw bad("rate", "the poisson scenario needs a rate (--rate R requests/s)") }
        case .offline:
            guard requests != nil else {
                throw bad("requests", "the offline scenario needs a request count (--requests)")
            }
        case .sweep:
            guard !sweep.isEmpty else { throw bad("sweep", "the sweep scenario needs values (--sweep 1,2,4)") }
            for value in sweep {
                switch sweepMode {
                case .concurrency:
                    guard value >= 1, value == value.rounded() else {
                        throw bad("sweep", "concurrencies must be whole numbers >= 1 (got \(value))")
                    }
                case .rate:
                    guard value > 0, value.isFinite else { throw bad("sweep", "rates must be > 0 (got \(value))") }
                }
            }
        }
    }
}
