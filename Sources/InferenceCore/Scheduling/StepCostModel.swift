/// What one token costs in a `llama_decode` step, learned from the steps the loop ran; it turns
/// the `continuous` policy's step-time target into a prompt-token limit.
///
/// On a GPU a 512-token step takes tens of milliseconds; on two CPU cores it takes over two
/// seconds (prefill runs at ~220 tokens/s here), and every decoding sequence waits for the whole
/// step: a long prompt arriving would freeze running streams for seconds at a time. With a target
/// of T ms, a step that carries decode tokens takes at most about T ms of prompt work, so the
/// gap between two tokens of a running stream stays near T while the prompt is prefilled over
/// several steps. Steps with nothing decoding keep the whole budget (nobody waits on them).
///
/// The estimate is an exponential moving average of seconds per token over steps of at least
/// `minimumObservedTokens` tokens (a step's fixed cost spread over its tokens, so it errs on the
/// high side: chunks come out slightly smaller than the target allows). A pure value: the loop
/// passes the measured durations in, tests pass made-up ones.
public struct StepCostModel: Sendable, Equatable {
    /// Seconds per token of a recent step, `nil` until a step large enough was observed.
    public private(set) var secondsPerToken: Double?
    /// Steps with fewer tokens are not observed: their fixed cost would dominate.
    public static let minimumObservedTokens = 16
    /// Prompt tokens a step takes at least, so prompts progress when decoding alone fills the target.
    public static let minimumChunk = 16
    /// Weight of the newest observation.
    public static let smoothing = 0.25

    public init(secondsPerToken: Double? = nil) {
        self.secondsPerToken = secondsPerToken
    }

    /// Records one step of `tokens` tokens (decode and prompt) that took `seconds`.
    public mutating func observe(tokens: Int, seconds: Double) {
        guard tokens >= Self.minimumObservedTokens, seconds > 0, seconds.isFinite else { return }
        let sample = seconds / Double(tokens)
        secondsPerToken = secondsPerToken.map { $0 + Self.smoothing * (sample - $0) } ?? sample
    }

    /// The prompt tokens a step with `decoding` decode tokens may carry to stay near
    /// `targetSeconds`; `nil` (no limit) when nothing decodes, there is no target, or no estimate yet.
    public func promptLimit(decoding: Int, targetSeconds: Double) -> Int? {
        guard decoding > 0, targetSeconds > 0, let secondsPerToken, secondsPerToken > 0 else { return nil }
        let fitting = Int((targetSeconds / secondsPerToken).rounded(.down))
        return max(fitting - decoding, Self.minimumChunk)
    }
}
