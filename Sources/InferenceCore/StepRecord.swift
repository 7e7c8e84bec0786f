public import InferLabCore

/// One `llama_decode` step of the engine loop, as `--step-log` records it.
public struct StepRecord: Sendable, Equatable, Codable {
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

    enum CodingKeys: String, CodingKey {
        case start = "start_ns"
        case durationMilliseconds = "duration_ms"
        case decodeTokens = "decode_tokens"
        case promptTokens = "prompt_tokens"
        case promptSequences = "prompt_sequences"
        case running, waiting
    }

    public init(
        start: MonotonicInstant, durationMilliseconds: Double, decodeTokens: Int, promptTokens: Int,
        promptSequences: Int, running: Int, waiting: Int
    ) {
        self.start = start
        self.durationMilliseconds = (durationMilliseconds * 1000).rounded() / 1000  // to the microsecond
        self.decodeTokens = decodeTokens
        self.promptTokens = promptTokens
        self.promptSequences = promptSequences
        self.running = running
        self.waiting = waiting
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
