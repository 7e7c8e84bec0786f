public import InferLabCore

/// One `llama_decode` step of the engine loop, as `--step-log` records it.
public struct StepRecord: Sendable, Equatable, Codable {
    /// The step's number since the engine started (1 for the first). A step whose decode failed
    /// is counted but not recorded, so the record after it skips a number.
    public var index: Int
    /// When the step started (the clock of `inferlab bench` and `inferlab probe`).
    public var start: MonotonicInstant
    /// From building the batch to the last token sampled.
    public var durationMilliseconds: Double
    /// Decoding sequences (one token each).
    public var decodeTokens: Int
    /// Prompt tokens the step carried, and from how many sequences.
    public var promptTokens: Int
    public var promptSequences: Int
    /// Sequences admitted and not finished, and requests queued, when the step started.
    public var running: Int
    public var waiting: Int
    /// What each sequence in the step contributed, in batch order (sequence-id order). The shares
    /// add up to `decodeTokens` and `promptTokens`.
    public var requests: [StepShare]

    enum CodingKeys: String, CodingKey {
        case index
        case start = "start_ns"
        case durationMilliseconds = "duration_ms"
        case decodeTokens = "decode_tokens"
        case promptTokens = "prompt_tokens"
        case promptSequences = "prompt_sequences"
        case running, waiting, requests
    }

    public init(
        index: Int = 0, start: MonotonicInstant, durationMilliseconds: Double, decodeTokens: Int, promptTokens: Int,
        promptSequences: Int, running: Int, waiting: Int, requests: [StepShare] = []
    ) {
        self.index = index
        self.start = start
        self.durationMilliseconds = (durationMilliseconds * 1000).rounded() / 1000  // to the microsecond
        self.decodeTokens = decodeTokens
        self.promptTokens = promptTokens
        self.promptSequences = promptSequences
        self.running = running
        self.waiting = waiting
        self.requests = requests
    }

    /// Reads step logs written before `index` and `requests` existed too (as index 0, no shares).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decodeIfPresent(Int.self, forKey: .index) ?? 0
        start = try container.decode(MonotonicInstant.self, forKey: .start)
        durationMilliseconds = try container.decode(Double.self, forKey: .durationMilliseconds)
        decodeTokens = try container.decode(Int.self, forKey: .decodeTokens)
        promptTokens = try container.decode(Int.self, forKey: .promptTokens)
        promptSequences = try container.decode(Int.self, forKey: .promptSequences)
        running = try container.decode(Int.self, forKey: .running)
        waiting = try container.decode(Int.self, forKey: .waiting)
        requests = try container.decodeIfPresent([StepShare].self, forKey: .requests) ?? []
    }

    /// The record as one JSON line. Through the encoder: a step takes 7 ms or more, and the
    /// encoder's few microseconds are nothing beside it.
    public var jsonLine: [UInt8] {
        // Cannot throw: the one floating-point field is a difference of two clock readings.
        var line = (try? CompactJSONEncoder().encode(self)) ?? []
        line.append(UInt8(ascii: "\n"))
        return line
    }
}

/// One sequence's part in one step: the join between a request and the engine steps it was in.
public struct StepShare: Sendable, Equatable, Codable {
    /// The request's id (`GenerationRequest.id`: the id the server logs and sends in `timings.id`).
    public var id: String
    /// 1 when the step carried the sequence's next decode token, else 0.
    public var decode: Int
    /// The sequence's prompt tokens in the step (0 when decoding).
    public var prompt: Int

    public init(id: String, decode: Int, prompt: Int) {
        self.id = id
        self.decode = decode
        self.prompt = prompt
    }
}
