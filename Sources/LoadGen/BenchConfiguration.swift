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
        /// Open loop at `rate` requests/s with equal gaps.
        case constant
        /// The highest open-loop rate whose goodput meets `goodput_target` under `slo`: rates
        /// doubled from `rate` until one fails, then bisected (``RateSearch``).
        case maxRate = "max_rate"
    }

    /// When a request the workload hangs up on is cut (`cancel_after`): after K content
    /// events, or a time after it was sent. Written `5` (tokens), `5 tokens`, or `500ms` / `2s`.
    public enum CancelAfter: Sendable, Equatable, Codable, CustomStringConvertible {
        case tokens(Int)
        case seconds(Double)

        public static func parse(_ text: String) -> CancelAfter? {
            var t = text.trimmingCharacters(in: .whitespaces).lowercased()
            for suffix in [" tokens", "tokens", " token", "token", "tok"] where t.hasSuffix(suffix) {
                t = String(t.dropLast(suffix.count))
                guard let n = Int(t.trimmingCharacters(in: .whitespaces)), n >= 1 else { return nil }
                return .tokens(n)
            }
            if let n = Int(t) { return n >= 1 ? .tokens(n) : nil }
            guard let ms = ServiceLevelObjectives.parseMilliseconds(t), ms > 0, ms.isFinite else { return nil }
            return .seconds(ms / 1000)
        }

        public var description: String {
            switch self {
            case .tokens(let n): return "\(n) tokens"
            case .seconds(let s):
                let ms = s * 1000
                return ms == ms.rounded() ? "\(Int(ms))ms" : "\(ms)ms"
            }
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self), n >= 1 {
                self = .tokens(n)
                return
            }
            let text = try c.decode(String.self)
            guard let value = Self.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "'\(text)' is not K tokens or a duration such as 500ms")
            }
            self = value
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
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
    /// A dataset: ShareGPT JSON or JSONL of prompts (key `dataset`, see ``Dataset``). The default is nil.
    public var datasetPath: String?
    /// Synthetic prompts of this many tokens (key `input_tokens`), made with the model's
    /// tokenizer. The default is nil (the corpus or dataset's prompts).
    public var inputTokens: TokenLengthDistribution?
    /// Each request's output length (key `output_tokens`): its `max_tokens`, with `ignore_eos`
    /// so the server generates exactly that many. The default is nil (the prompts decide).
    public var outputTokens: TokenLengthDistribution?
    /// How many distinct prompts a synthetic or dataset workload makes (key `prompts`). The
    /// default is nil: one per measured request, at most 1,000 (256 for a window bounded by time).
    public var promptCount: Int?
    /// Seed of synthetic prompts, output lengths and hang-ups (key `prompt_seed`). The default is 1.
    public var promptSeed: UInt64 = 1
    /// Groups sharing a prefix (a system prompt) of `shared_prefix_tokens` tokens; request i
    /// is in group i mod N. The default is 0 (no shared prefix).
    public var sharedPrefixGroups: Int = 0
    /// Tokens of each group's shared prefix. The default is 0.
    public var sharedPrefixTokens: Int = 0
    /// Concurrent multi-turn sessions (key `sessions`); each sends `turns` requests in order,
    /// every one carrying the whole history. The default is nil (single requests).
    public var sessions: Int?
    /// Turns per session. The default is 4.
    public var turns: Int = 4
    /// Seconds between a turn's answer and the next turn (key `think_time_s`). The default is 0.
    public var thinkTimeSeconds: Double = 0
    /// A trace to replay on the clock (key `trace`, see ``RequestTrace``). The default is nil.
    public var tracePath: String?
    /// Speed of the replay: 2 sends the trace twice as fast (key `trace_speed`). The default is 1.
    public var traceSpeed: Double = 1
    /// Seconds over which an open-loop rate rises linearly from 0 to `rate` (key `ramp_up_s`),
    /// measured like the rest of the window. The default is nil (the full rate at once).
    public var rampUpSeconds: Double?
    /// The share of requests that must meet `slo` for `max_rate` to accept a rate. The default is 0.95.
    public var goodputTarget: Double = 0.95
    /// Most windows `max_rate` runs. The default is 8.
    public var maxRateSteps: Int = 8
    /// Stops an open-loop window early once requests pile up without bound (key
    /// `stop_on_saturation`, see ``SaturationDetector``). The default is true.
    public var stopOnSaturation: Bool = true
    /// The share of requests the client hangs up on mid-stream (key `cancel_fraction`). The default is 0.
    public var cancelFraction: Double = 0
    /// When a hang-up happens (key `cancel_after`). The default is nil (needed with `cancel_fraction`).
    public var cancelAfter: CancelAfter?
    /// The target's Prometheus endpoint, scraped while the bench runs (key `server_metrics`): a
    /// URL, or a path such as `/metrics` on the target's URL. The default is nil (not scraped).
    public var serverMetricsURL: String?
    /// Seconds between scrapes (key `server_metrics_interval_s`). The default is 1.
    public var serverMetricsInterval: Double = 1

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
        "system_prompt", "dataset", "input_tokens", "output_tokens", "prompts", "prompt_seed", "shared_prefix_groups",
        "shared_prefix_tokens", "sessions", "turns", "think_time_s", "trace", "trace_speed", "ramp_up_s",
        "goodput_target", "max_rate_steps", "stop_on_saturation", "cancel_fraction", "cancel_after", "server_metrics",
        "server_metrics_interval_s",
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
        datasetPath = try c.scalar("dataset")
        func distribution(_ key: String) throws -> TokenLengthDistribution? {
            guard let text = try c.scalar(key) else { return nil }
            do {
                return try TokenLengthDistribution.parse(text)
            } catch {
                throw ConfigurationError(code: .invalidValue, field: c.path(key), message: error.message)
            }
        }
        inputTokens = try distribution("input_tokens")
        outputTokens = try distribution("output_tokens")
        promptCount = try c.int("prompts")
        promptSeed = try c.int("prompt_seed").map { UInt64(max(0, $0)) } ?? promptSeed
        sharedPrefixGroups = try c.int("shared_prefix_groups") ?? sharedPrefixGroups
        sharedPrefixTokens = try c.int("shared_prefix_tokens") ?? sharedPrefixTokens
        sessions = try c.int("sessions")
        turns = try c.int("turns") ?? turns
        thinkTimeSeconds = try c.double("think_time_s") ?? thinkTimeSeconds
        tracePath = try c.scalar("trace")
        traceSpeed = try c.double("trace_speed") ?? traceSpeed
        rampUpSeconds = try c.double("ramp_up_s")
        goodputTarget = try c.double("goodput_target") ?? goodputTarget
        maxRateSteps = try c.int("max_rate_steps") ?? maxRateSteps
        stopOnSaturation = try c.bool("stop_on_saturation") ?? stopOnSaturation
        cancelFraction = try c.double("cancel_fraction") ?? cancelFraction
        if let text = try c.scalar("cancel_after") {
            guard let value = CancelAfter.parse(text) else {
                throw ConfigurationError.invalid(
                    c.path("cancel_after"), expected: "K tokens or a duration such as 500ms", got: text)
            }
            cancelAfter = value
        }
        serverMetricsURL = try c.scalar("server_metrics")
        serverMetricsInterval = try c.double("server_metrics_interval_s") ?? serverMetricsInterval
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
        try c.knob("dataset", datasetPath)
        try c.knob("input_tokens", inputTokens)
        try c.knob("output_tokens", outputTokens)
        try c.knob("prompts", promptCount)
        try c.knob("prompt_seed", promptSeed)
        try c.knob("shared_prefix_groups", sharedPrefixGroups)
        try c.knob("shared_prefix_tokens", sharedPrefixTokens)
        try c.knob("sessions", sessions)
        try c.knob("turns", turns)
        try c.knob("think_time_s", thinkTimeSeconds)
        try c.knob("trace", tracePath)
        try c.knob("trace_speed", traceSpeed)
        try c.knob("ramp_up_s", rampUpSeconds)
        try c.knob("goodput_target", goodputTarget)
        try c.knob("max_rate_steps", maxRateSteps)
        try c.knob("stop_on_saturation", stopOnSaturation)
        try c.knob("cancel_fraction", cancelFraction)
        try c.knob("cancel_after", cancelAfter)
        try c.knob("server_metrics", serverMetricsURL)
        try c.knob("server_metrics_interval_s", serverMetricsInterval)
    }

    /// The metrics URL to scrape: `server_metrics`, a path (`/metrics`) taken on the target's URL.
    public var resolvedServerMetricsURL: String? {
        guard let metrics = serverMetricsURL else { return nil }
        return metrics.hasPrefix("/") ? baseURL + metrics : metrics
    }

    /// `url` without trailing slashes: what a request path is appended to.
    public var baseURL: String {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Whether the workload replays a trace's arrival times.
    public var replaysTrace: Bool { tracePath != nil }
    /// Whether requests come from multi-turn sessions.
    public var runsSessions: Bool { sessions != nil }
    /// Whether every request asks for its exact output length (`output_tokens` or a trace).
    public var fixesOutputLength: Bool { outputTokens != nil || tracePath != nil }

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
        try validateWorkload(bad)
        switch scenario {
        case .closed: break
        case .poisson, .constant:
            guard rate != nil else {
                throw bad("rate", "the \(scenario.rawValue) scenario needs a rate (--rate R requests/s)")
            }
        case .maxRate:
            guard !slo.isEmpty else {
                throw bad("slo", "max_rate searches for the highest rate meeting an SLO; give --slo ttft=2s,tpot=100ms")
            }
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

extension BenchConfiguration {
    /// The workload's own fields: what can be combined with what.
    fileprivate func validateWorkload(_ bad: (String, String) -> ConfigurationError) throws(ConfigurationError) {
        let sources = [
            ("dataset", datasetPath != nil), ("corpus", corpusPath != nil), ("input_tokens", inputTokens != nil),
            ("trace", tracePath != nil),
        ].filter(\.1).map(\.0)
        if sources.count > 1 {
            throw bad(sources[1], "\(sources[0]) and \(sources[1]) both give the prompts; keep one")
        }
        if let promptCount, promptCount < 1 { throw bad("prompts", "must be at least 1 (got \(promptCount))") }
        guard sharedPrefixGroups >= 0 else {
            throw bad("shared_prefix_groups", "must be >= 0 (got \(sharedPrefixGroups))")
        }
        guard sharedPrefixTokens >= 0 else {
            throw bad("shared_prefix_tokens", "must be >= 0 (got \(sharedPrefixTokens))")
        }
        if (sharedPrefixGroups > 0) != (sharedPrefixTokens > 0) {
            throw bad(
                sharedPrefixGroups > 0 ? "shared_prefix_tokens" : "shared_prefix_groups",
                "a shared prefix needs both a group count and a length (--shared-prefix-groups N --shared-prefix-tokens L)"
            )
        }
        if sharedPrefixGroups > 0, systemPrompt != nil {
            throw bad("system_prompt", "a shared prefix is the system prompt; drop system_prompt or the shared prefix")
        }
        if let sessions {
            guard sessions >= 1 else { throw bad("sessions", "must be at least 1 (got \(sessions))") }
            guard scenario == .closed else {
                throw bad(
                    "scenario",
                    "sessions are their own closed loop (S users, T turns each); drop --scenario \(scenario.rawValue)")
            }
            guard tracePath == nil else { throw bad("sessions", "a trace replays its own sessions; drop --sessions") }
        }
        guard turns >= 1 else { throw bad("turns", "must be at least 1 (got \(turns))") }
        guard thinkTimeSeconds >= 0, thinkTimeSeconds.isFinite else {
            throw bad("think_time_s", "must be >= 0 (got \(thinkTimeSeconds))")
        }
        if tracePath != nil, scenario != .closed {
            throw bad("scenario", "a trace replays its own arrival times; drop --scenario \(scenario.rawValue)")
        }
        guard traceSpeed > 0, traceSpeed.isFinite else { throw bad("trace_speed", "must be > 0 (got \(traceSpeed))") }
        if let rampUpSeconds {
            guard rampUpSeconds > 0, rampUpSeconds.isFinite else {
                throw bad("ramp_up_s", "must be > 0 (got \(rampUpSeconds))")
            }
            let open = [.poisson, .constant, .maxRate].contains(scenario) || (scenario == .sweep && sweepMode == .rate)
            guard open else {
                throw bad(
                    "ramp_up_s", "ramps an open-loop rate; use it with --scenario poisson, constant or a rate sweep")
            }
        }
        guard goodputTarget > 0, goodputTarget <= 1 else {
            throw bad("goodput_target", "must be in (0, 1] (got \(goodputTarget))")
        }
        guard maxRateSteps >= 2 else { throw bad("max_rate_steps", "must be at least 2 (got \(maxRateSteps))") }
        guard cancelFraction >= 0, cancelFraction <= 1 else {
            throw bad("cancel_fraction", "must be in [0, 1] (got \(cancelFraction))")
        }
        if cancelFraction > 0 {
            guard cancelAfter != nil else {
                throw bad("cancel_after", "hang-ups need a moment: --cancel-after 5 (tokens) or 500ms")
            }
            guard stream else { throw bad("cancel_fraction", "a hang-up mid-stream needs streaming; drop --no-stream") }
        }
        if let serverMetricsURL, !serverMetricsURL.hasPrefix("/") {
            guard let parsed = URL(string: serverMetricsURL), let scheme = parsed.scheme,
                ["http", "https"].contains(scheme),
                parsed.host != nil
            else {
                throw bad(
                    "server_metrics",
                    "'\(serverMetricsURL)' is not an http(s) URL; give e.g. http://127.0.0.1:8080/metrics")
            }
        }
        guard serverMetricsInterval > 0, serverMetricsInterval.isFinite else {
            throw bad("server_metrics_interval_s", "must be > 0 (got \(serverMetricsInterval))")
        }
    }
}
