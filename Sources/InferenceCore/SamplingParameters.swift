/// How the next token is chosen. The default is greedy (temperature 0) with seed 42.
public struct SamplingParameters: Sendable, Codable, Equatable, Hashable {
    /// 0 picks the most likely token (greedy). Must be >= 0. The default is 0.
    public var temperature: Double = 0
    /// Keep the k most likely tokens; 0 disables. The default is 0.
    public var topK: Int = 0
    /// Nucleus sampling: keep the smallest set with this total probability, in (0, 1]. The default is 1.
    public var topP: Double = 1
    /// Drop tokens less likely than min-p times the top token's probability, in [0, 1]. The default is 0.
    public var minP: Double = 0
    /// Penalty for repeating any of the last 64 tokens; 1 disables. The default is 1.
    public var repetitionPenalty: Double = 1
    /// Random seed of the distribution sampler. The default is 42.
    public var seed: UInt32 = 42

    enum CodingKeys: String, CodingKey {
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
        case seed
    }

    public init() {}

    /// The parameters given; `nil` keeps a parameter's default.
    public init(
        temperature: Double? = nil, topK: Int? = nil, topP: Double? = nil, minP: Double? = nil,
        repetitionPenalty: Double? = nil, seed: UInt32? = nil
    ) {
        if let temperature { self.temperature = temperature }
        if let topK { self.topK = topK }
        if let topP { self.topP = topP }
        if let minP { self.minP = minP }
        if let repetitionPenalty { self.repetitionPenalty = repetitionPenalty }
        if let seed { self.seed = seed }
    }

    public static let greedy = SamplingParameters()

    /// Whether this picks the arg-max token every time.
    public var isGreedy: Bool { temperature == 0 }

    /// Throws `invalidParameter` naming the first bad field.
    public func validate() throws(EngineError) {
        func bad(_ field: String, _ why: String) -> EngineError {
            EngineError(.invalidParameter, "\(field) \(why)", parameter: field)
        }
        guard temperature.isFinite, temperature >= 0 else {
            throw bad("temperature", "must be >= 0 (got \(temperature)); 0 means greedy")
        }
        guard topK >= 0 else { throw bad("top_k", "must be >= 0 (got \(topK)); 0 disables it") }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw bad("top_p", "must be in (0, 1] (got \(topP))") }
        guard minP.isFinite, minP >= 0, minP <= 1 else { throw bad("min_p", "must be in [0, 1] (got \(minP))") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw bad("repetition_penalty", "must be > 0 (got \(repetitionPenalty)); 1 disables it")
        }
    }
}
