import Foundation

/// Everything one `inferlab bench` run needs; `Codable` so an experiment file can carry it and
/// the results file stores it whole.
public struct BenchConfiguration: Sendable, Codable, Equatable {
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
    /// Measured requests per window. The default is nil (then `duration_seconds` bounds it).
    public var requests: Int?
    /// Length of each measured window in seconds. The default is nil.
    public var durationSeconds: Double?
    /// Requests sent before measuring, never counted or stored. The default is 0.
    public var warmupRequests: Int = 0
    /// Seconds of closed-loop warm-up before measuring, never counted. The default is 0.
    public var warmupSeconds: Double = 0
    /// Overrides each corpus entry's `max_tokens`. The default is nil (the corpus decides; 128 if absent).
    public var maxTokens: Int?
    /// Sampling temperature; 0 is greedy. The default is 0.
    public var temperature: Double = 0
    /// Sampling seed sent with each request. The default is 42.
    public var seed: Int = 42
    /// Asks the server to ignore end-of-generation (llama-server's `ignore_eos`). The default is false.
    public var ignoreEOS: Bool = false
    /// Service-level objectives for goodput. The default has none.
    public var slo: ServiceLevelObjectives = ServiceLevelObjectives()
    /// A JSONL corpus. The default is nil (a built-in generated corpus).
    public var corpusPath: String?
    /// Streams responses (SSE). The default is true.
    public var stream: Bool = true
    /// Per-request deadline in seconds. The default is 300.
    public var timeoutSeconds: Double = 300
    /// Seed of the open-loop arrival process. The default is 1.
    public var arrivalSeed: UInt64 = 1
    /// A system prompt sent before every prompt (a `system` message for chat, a prefix of the
    /// prompt text otherwise): the shared prefix of a typical chat application, which a prefix
    /// cache can reuse. The default is `nil`.
    public var systemPrompt: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case url, api, model, scenario, concurrency, rate, burstiness
        case maxConcurrency = "max_concurrency"
        case sweep
        case sweepMode = "sweep_mode"
        case requests
        case durationSeconds = "duration_seconds"
        case warmupRequests = "warmup_requests"
        case warmupSeconds = "warmup_seconds"
        case maxTokens = "max_tokens"
        case temperature, seed
        case ignoreEOS = "ignore_eos"
        case slo
        case corpusPath = "corpus_path"
        case stream
        case timeoutSeconds = "timeout_seconds"
        case arrivalSeed = "arrival_seed"
        case systemPrompt = "system_prompt"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BenchConfiguration()
        url = try c.decodeIfPresent(String.self, forKey: .url) ?? d.url
        api = try c.decodeIfPresent(API.self, forKey: .api) ?? d.api
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? d.model
        scenario = try c.decodeIfPresent(Scenario.self, forKey: .scenario) ?? d.scenario
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? d.concurrency
        rate = try c.decodeIfPresent(Double.self, forKey: .rate)
        burstiness = try c.decodeIfPresent(Double.self, forKey: .burstiness) ?? d.burstiness
        maxConcurrency = try c.decodeIfPresent(Int.self, forKey: .maxConcurrency)
        sweep = try c.decodeIfPresent([Double].self, forKey: .sweep) ?? d.sweep
        sweepMode = try c.decodeIfPresent(SweepMode.self, forKey: .sweepMode) ?? d.sweepMode
        requests = try c.decodeIfPresent(Int.self, forKey: .requests)
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds)
        warmupRequests = try c.decodeIfPresent(Int.self, forKey: .warmupRequests) ?? d.warmupRequests
        warmupSeconds = try c.decodeIfPresent(Double.self, forKey: .warmupSeconds) ?? d.warmupSeconds
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature) ?? d.temperature
        seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? d.seed
        ignoreEOS = try c.decodeIfPresent(Bool.self, forKey: .ignoreEOS) ?? d.ignoreEOS
        slo = try c.decodeIfPresent(ServiceLevelObjectives.self, forKey: .slo) ?? d.slo
        corpusPath = try c.decodeIfPresent(String.self, forKey: .corpusPath)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream) ?? d.stream
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? d.timeoutSeconds
        arrivalSeed = try c.decodeIfPresent(UInt64.self, forKey: .arrivalSeed) ?? d.arrivalSeed
        systemPrompt = try c.decodeIfPresent(String.self, forKey: .systemPrompt)
    }

    /// Checks every field; the error names the first bad one.
    public func validate() throws(LoadGenError) {
        func bad(_ field: String, _ why: String) -> LoadGenError {
            LoadGenError(.configuration, "\(field): \(why)")
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
            throw bad("duration_seconds", "must be > 0 (got \(durationSeconds))")
        }
        guard requests != nil || durationSeconds != nil else {
            throw bad("requests", "give a request count (--requests) or a duration (--duration)")
        }
        guard warmupRequests >= 0 else { throw bad("warmup_requests", "must be >= 0 (got \(warmupRequests))") }
        guard warmupSeconds >= 0, warmupSeconds.isFinite else {
            throw bad("warmup_seconds", "must be >= 0 (got \(warmupSeconds))")
        }
        if let maxTokens, maxTokens < 1 { throw bad("max_tokens", "must be at least 1 (got \(maxTokens))") }
        guard temperature >= 0, temperature.isFinite else {
            throw bad("temperature", "must be >= 0 (got \(temperature))")
        }
        guard timeoutSeconds > 0, timeoutSeconds.isFinite else {
            throw bad("timeout_seconds", "must be > 0 (got \(timeoutSeconds))")
        }
        try slo.validate()
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
