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
    /// Read the process's RSS for the memory timeline every this many tokens, and at the first and
    /// the last. The default is 32: a read of `/proc/self/status` costs tens of microseconds, too
    /// much for every token.
    public var memorySampleInterval = 32

    public init() {}

    /// Loads the model, generates, and measures. `onText` receives the text as it streams.
    public func run(onText: @Sendable (String) -> Void = { _ in }) async throws -> GenerationReport {
        try sampling.validate()
        guard maxTokens >= 1 else {
            throw EngineError(
                .invalidParameter, "max-tokens must be at least 1 (got \(maxTokens))", parameter: "max_tokens")
        }
        try context.validate()
        guard memorySampleInterval >= 1 else {
            throw EngineError(
                .invalidParameter, "the memory sample interval must be at least 1 (got \(memorySampleInterval))")
        }
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
        // One reading per decode: the prompt's chunks and the tokens, twice with the warm-up.
        let chunks = (tokens.count + context.batchSize - 1) / context.batchSize
        let recorder = KVRecorder(capacity: maxTokens + 2 * chunks + 2)
        let (engine, contextLog) = try LlamaLogCapture.capturing { () throws(EngineError) in
            try InferenceEngine(model: loaded, configuration: configuration, afterDecode: { recorder.record($0) })
        }
        defer { engine.shutdown() }
        let memory = EngineMemory(model: loaded, cellsTotal: engine.contextLength, contextLog: contextLog)
        var request = GenerationRequest(id: "generate", promptTokens: tokens, maxTokens: maxTokens, sampling: sampling)
        request.ignoreEndOfGeneration = ignoreEndOfGeneration
        try engine.validate(request)  // the one check: prompt + max_tokens within the context
        if warmup {
            for try await _ in engine.generate(GenerationRequest(id: "warmup", promptTokens: tokens, maxTokens: 1)) {}
        }
        var times: [MonotonicInstant] = []
        var resident: [(token: Int, memory: ResidentMemory)] = []
        var output = ""
        var summary: GenerationSummary?
        for try await event in engine.generate(request) {
            switch event {
            case .admitted: break
            case .token(let token):
                times.append(token.time)
                if (times.count - 1) % memorySampleInterval == 0, let now = ResidentMemory.current() {
                    resident.append((times.count - 1, now))
                }
                output += token.text
                if !token.text.isEmpty { onText(token.text) }
            case .finished(let finished):
                if let last = times.indices.last, resident.last?.token != last, let now = ResidentMemory.current() {
                    resident.append((last, now))
                }
                summary = finished
                output += finished.trailingText
                if !finished.trailingText.isEmpty { onText(finished.trailingText) }
            }
        }
        guard let summary else { throw EngineError(.decodeFailed, "generation ended without a summary") }
        let gaps = zip(times.dropFirst(), times).map { ($0 - $1).milliseconds }
        let readings = recorder.all
        let timeline = resident.map { sample in
            MemoryTimelinePoint(
                token: sample.token, depth: KVRecorder.reading(at: times[sample.token], in: readings)?.cells ?? 0,
                resident: sample.memory)
        }
        return GenerationReport(
            model: loaded.metadata.name, modelPath: path, loadMilliseconds: loaded.loadMilliseconds,
            promptTokens: tokens.count, completionTokens: summary.completionTokens,
            prefillMilliseconds: summary.prefill.milliseconds,
            timeToFirstTokenMilliseconds: (summary.firstToken - summary.arrival).milliseconds,
            prefillTokensPerSecond: summary.prefill > .zero ? Double(tokens.count) / summary.prefill.seconds : 0,
            decodeTokensPerSecond: summary.decodeTokensPerSecond,
            tokenLatency: PercentileSummary.of(gaps),
            peakRSSBytes: Self.peakResidentBytes(), finishReason: summary.finishReason.rawValue, tokenTimes: times,
            text: output, memory: memory, timeline: timeline, flashAttention: engine.flashAttention)
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
    /// The engine's buffers as llama.cpp accounts for them.
    public var memory: EngineMemory
    /// The KV depth and the process's RSS at the first token, every `memorySampleInterval`-th and the last.
    public var timeline: [MemoryTimelinePoint]
    /// The flash-attention setting the context ran with, and for `auto` the measurement behind it.
    public var flashAttention: FlashAttentionDecision?

    /// Each decode step's cost against the KV depth it ran at. The gap from token i to token i+1
    /// is the decode of token i at position `promptTokens + i`: its attention reads the
    /// `promptTokens + i` cells before it (the timeline's depths are llama.cpp's count of them).
    /// A gap also holds the sampling and the hop to the caller, the same for every token.
    public var decodeCostsByDepth: (depths: [Int], milliseconds: [Double]) {
        let milliseconds = zip(tokenTimes.dropFirst(), tokenTimes).map { ($0 - $1).milliseconds }
        return (milliseconds.indices.map { promptTokens + $0 }, milliseconds)
    }

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
        case memory
        case timeline
        case flashAttention = "flash_attn"
    }
}

/// The KV cache and the process's resident memory when one token was sampled.
public struct MemoryTimelinePoint: Sendable, Codable, Equatable {
    /// The token's index in the completion (0 is the first).
    public var token: Int
    /// KV cells the sequence held when the token was sampled (llama.cpp's `pos_max - pos_min + 1`
    /// for sequence 0): the prompt and the tokens before this one.
    public var depth: Int
    /// `RssAnon`: the KV cache, compute and output buffers, and the heap.
    public var rssAnonBytes: UInt64
    /// `RssFile`: the mapped model weights (with mmap) and the binaries.
    public var rssFileBytes: UInt64
    /// `RssShmem`.
    public var rssShmemBytes: UInt64

    public init(token: Int, depth: Int, resident: ResidentMemory) {
        self.token = token
        self.depth = depth
        rssAnonBytes = resident.anonymous
        rssFileBytes = resident.file
        rssShmemBytes = resident.shared
    }

    enum CodingKeys: String, CodingKey {
        case token, depth
        case rssAnonBytes = "rss_anon_bytes"
        case rssFileBytes = "rss_file_bytes"
        case rssShmemBytes = "rss_shmem_bytes"
    }
}
