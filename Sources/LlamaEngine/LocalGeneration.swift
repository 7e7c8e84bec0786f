public import InferenceCore
import Foundation
public import InferLabCore

/// The local baseline runner: one prompt, one model, one stream, every token timed.
public struct LocalGeneration: Sendable {
    /// A catalogue name or a GGUF path. The default is `smollm2-135m`.
    public var model: String = ModelCatalog.defaultModel
    public var modelOptions = ModelOptions()
    public var context = ContextOptions()
    public var prompt: String = ""
    /// Wrap the prompt as one user message with the model's chat template. The default is `false`.
    public var chat = false
    /// The default is 128.
    public var maxTokens = 128
    public var sampling = SamplingParameters.greedy
    /// Use exactly this many prompt tokens (the prompt's tokens repeated or cut). The default is `nil`.
    public var promptTokens: Int?
    /// Generate `maxTokens` even past end-of-generation tokens. The default is `false`.
    public var ignoreEndOfGeneration = false
    /// Run one unmeasured generation first (as llama-bench does), so the measured one does not
    /// pay first-decode set-up. The default is `false`: a cold first request is what users see.
    public var warmup = false

    public init() {}

    /// Loads the model, generates, and measures. `onText` receives the text as it streams.
    public func run(onText: @Sendable (String) -> Void = { _ in }) async throws -> GenerationReport {
        try sampling.validate()
        guard maxTokens >= 1 else {
            throw EngineError(
                .invalidParameter, "max-tokens must be at least 1 (got \(maxTokens))", parameter: "max_tokens")
        }
        try context.validate()
        let path = try ModelCatalog.resolve(model)
        let loaded = try LlamaModel(path: path, options: modelOptions)
        let text = chat ? try loaded.applyChatTemplate([ChatMessage(role: "user", content: prompt)]) : prompt
        var tokens = try loaded.tokenize(text)
        if let count = promptTokens {
            guard count >= 1, !tokens.isEmpty else {
                throw EngineError(.invalidParameter, "prompt-tokens must be at least 1", parameter: "prompt_tokens")
            }
            tokens = (0..<count).map { tokens[$0 % tokens.count] }
        }
        var configuration = EngineConfiguration(model: modelOptions, context: context)
        configuration.scheduler = SchedulerConfiguration(kind: .single, maxSequences: 1, batchTokens: context.batchSize)
        let engine = try InferenceEngine(model: loaded, configuration: configuration)
        defer { engine.shutdown() }
        var request = GenerationRequest(id: "generate", promptTokens: tokens, maxTokens: maxTokens, sampling: sampling)
        request.ignoreEndOfGeneration = ignoreEndOfGeneration
        try engine.validate(request)  // the one check: prompt + max_tokens within the context
        if warmup {
            for try await _ in engine.generate(GenerationRequest(id: "warmup", promptTokens: tokens, maxTokens: 1)) {}
        }
        var times: [MonotonicInstant] = []
        var output = ""
        var summary: GenerationSummary?
        for try await event in engine.generate(request) {
            switch event {
            case .admitted: break
            case .token(let token):
                times.append(token.time)
                output += token.text
                if !token.text.isEmpty { onText(token.text) }
            case .finished(let finished):
                summary = finished
                output += finished.trailingText
                if !finished.trailingText.isEmpty { onText(finished.trailingText) }
            }
        }
        guard let summary else { throw EngineError(.decodeFailed, "generation ended without a summary") }
        let gaps = zip(times.dropFirst(), times).map { ($0 - $1).milliseconds }
        return GenerationReport(
            model: loaded.metadata.name, modelPath: path, loadMilliseconds: loaded.loadMilliseconds,
            promptTokens: tokens.count, completionTokens: summary.completionTokens,
            prefillMilliseconds: summary.prefill.milliseconds,
            timeToFirstTokenMilliseconds: (summary.firstToken - summary.arrival).milliseconds,
            prefillTokensPerSecond: summary.prefill > .zero ? Double(tokens.count) / summary.prefill.seconds : 0,
            decodeTokensPerSecond: summary.decodeTokensPerSecond,
            tokenLatency: PercentileSummary.of(gaps),
            peakRSSBytes: Self.peakResidentBytes(), finishReason: summary.finishReason.rawValue, tokenTimes: times,
            text: output)
    }

    /// Peak resident set of this process (`getrusage` ru_maxrss).
    public static func peakResidentBytes() -> UInt64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return UInt64(usage.ru_maxrss) * 1024
    }
}

/// What `inferlab generate` measures.
public struct GenerationReport: Sendable, Codable {
    public var model: String
    public var modelPath: String
    public var loadMilliseconds: Double
    public var promptTokens: Int
    public var completionTokens: Int
    public var prefillMilliseconds: Double
    public var timeToFirstTokenMilliseconds: Double
    public var prefillTokensPerSecond: Double
    public var decodeTokensPerSecond: Double
    /// Per-token latency (gaps between consecutive tokens) in ms; `nil` with fewer than two tokens.
    public var tokenLatency: PercentileSummary?
    public var peakRSSBytes: UInt64
    public var finishReason: String
    /// Sampling time of each generated token (written as monotonic ns).
    public var tokenTimes: [MonotonicInstant]
    public var text: String

    enum CodingKeys: String, CodingKey {
        case model
        case modelPath = "model_path"
        case loadMilliseconds = "load_ms"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case prefillMilliseconds = "prefill_ms"
        case timeToFirstTokenMilliseconds = "ttft_ms"
        case prefillTokensPerSecond = "prefill_tokens_per_s"
        case decodeTokensPerSecond = "decode_tokens_per_s"
        case tokenLatency = "token_latency_ms"
        case peakRSSBytes = "peak_rss_bytes"
        case finishReason = "finish_reason"
        case tokenTimes = "token_times_ns"
        case text
    }
}
