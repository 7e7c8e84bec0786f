import InferenceCore

/// The engine loop's step log (`inferlab serve --step-log`): one record per `llama_decode` step.
extension Metric {
    public static let engineStepDuration = Metric(
        name: "engine.step_duration", label: "step duration", unit: .milliseconds, kind: .distribution,
        source: .engine, reading: .step { $0.durationMilliseconds },
        help: "One llama_decode step, from building the batch to the last token sampled.")
    public static let engineStepDecodeTokens = Metric(
        name: "engine.step_decode_tokens", label: "decode tokens per step", unit: .count, kind: .distribution,
        source: .engine, reading: .step { Double($0.decodeTokens) },
        help: "Sequences decoding in the step, one token each.")
    public static let engineStepPromptTokens = Metric(
        name: "engine.step_prompt_tokens", label: "prompt tokens per step", unit: .count, kind: .distribution,
        source: .engine, reading: .step { Double($0.promptTokens) }, help: "Prompt tokens the step carried.")
    public static let engineStepPromptSequences = Metric(
        name: "engine.step_prompt_sequences", label: "prompt sequences per step", unit: .count,
        kind: .distribution, source: .engine, reading: .step { Double($0.promptSequences) },
        help: "Sequences whose prompt tokens the step carried.")
    public static let engineRunning = Metric(
        name: "engine.running", label: "running", unit: .count, kind: .gauge, source: .engine,
        reading: .step { Double($0.running) }, help: "Sequences admitted and not finished when the step started.")
    public static let engineWaiting = Metric(
        name: "engine.waiting", label: "waiting", unit: .count, kind: .gauge, source: .engine,
        reading: .step { Double($0.waiting) }, help: "Requests queued when the step started.")

    static let engineMetrics: [Metric] = [
        engineStepDuration, engineStepDecodeTokens, engineStepPromptTokens, engineStepPromptSequences, engineRunning,
        engineWaiting,
    ]
}
