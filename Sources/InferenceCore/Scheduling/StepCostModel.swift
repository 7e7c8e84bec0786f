/// What a `llama_decode` step costs, learned from the steps the loop ran; it turns the
/// `continuous` policy's step-time target into a prompt-token limit.
///
/// On a GPU a 512-token step takes tens of milliseconds; on two CPU cores it takes two to three
/// seconds, and every decoding sequence waits for the whole step: a long prompt arriving would
/// freeze running streams for seconds at a time. With a target of T ms, a step that carries
/// decode tokens takes about T ms, so the gap between two tokens of a running stream stays near
/// T while the prompt is prefilled over several steps. Steps with nothing decoding keep the whole
/// budget (nobody waits on them).
///
/// A step costs a fixed part (reading the weights once, the decode tokens riding along) plus a
/// part per prompt token (their matrix rows and their attention). The model keeps both as
/// exponential moving averages: the fixed part from steps without prompt tokens, the per-token
/// part from steps with enough of them, their fixed part taken off. A chunk then fills the
/// target: `(T - fixed) / perToken` prompt tokens. (Spreading a step's time over all its tokens
/// instead made chunks come out at 60 % of the target here: steps of ~300 ms for a 500 ms target.)
/// A pure value: the loop passes the measured durations in, tests pass made-up ones.
public struct StepCostModel: Sendable, Equatable {
    /// Seconds of a recent step without prompt tokens, `nil` until one was observed.
    public private(set) var decodeStepSeconds: Double?
    /// Seconds per prompt token beyond a step's fixed part, `nil` until a step with
    /// `minimumObservedTokens` prompt tokens was observed.
    public private(set) var secondsPerPromptToken: Double?
    /// Steps with fewer prompt tokens do not teach the per-token cost: their fixed part dominates.
    public static let minimumObservedTokens = 16
    /// Prompt tokens a step takes at least, so prompts progress when decoding alone fills the target.
    public static let minimumChunk = 16
    /// Weight of the newest observation.
    public static let smoothing = 0.25

    public init(decodeStepSeconds: Double? = nil, secondsPerPromptToken: Double? = nil) {
        self.decodeStepSeconds = decodeStepSeconds
        self.secondsPerPromptToken = secondsPerPromptToken
    }

    private static func average(_ old: Double?, _ sample: Double) -> Double {
        old.map { $0 + smoothing * (sample - $0) } ?? sample
    }

    /// Records one step of `decodeTokens` decode tokens and `promptTokens` prompt tokens that took `seconds`.
    public mutating func observe(decodeTokens: Int, promptTokens: Int, seconds: Double) {
        guard seconds > 0, seconds.isFinite else { return }
        if promptTokens == 0 {
            guard decodeTokens > 0 else { return }
            decodeStepSeconds = Self.average(decodeStepSeconds, seconds)
            return
        }
        guard promptTokens >= Self.minimumObservedTokens else { return }
        let fixed = decodeTokens > 0 ? (decodeStepSeconds ?? 0) : 0
        secondsPerPromptToken = Self.average(secondsPerPromptToken, max(seconds - fixed, 0) / Double(promptTokens))
    }

    /// The prompt tokens a step with `decoding` decode tokens may carry to stay near
    /// `targetSeconds`; `nil` (no limit) when nothing decodes, there is no target, or no estimate yet.
    public func promptLimit(decoding: Int, targetSeconds: Double) -> Int? {
        guard decoding > 0, targetSeconds > 0, let secondsPerPromptToken, secondsPerPromptToken > 0 else { return nil }
        let left = targetSeconds - (decodeStepSeconds ?? 0)
        let fitting = left > 0 ? Int((left / secondsPerPromptToken).rounded(.down)) : 0
        return max(fitting, Self.minimumChunk)
    }
}
