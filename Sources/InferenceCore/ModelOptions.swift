public import InferLabCore

/// How the model file is brought into memory.
public enum LoadMode: String, Sendable, Codable, CaseIterable {
    /// Memory-mapped, pages faulted in on demand (llama.cpp's default).
    case mmap
    /// Read into anonymous memory.
    case noMmap = "no-mmap"
    /// Memory-mapped and locked (`mlock`).
    case mlock
}

extension LoadMode {
    /// The mode of the `--no-mmap` and `--mlock` flags: `nil` when neither is given (the default),
    /// and a usage error when both are.
    public static func flags(noMmap: Bool, mlock: Bool) throws(EngineError) -> LoadMode? {
        switch (noMmap, mlock) {
        case (false, false): return nil
        case (true, false): return .noMmap
        case (false, true): return .mlock
        case (true, true):
            throw EngineError(
                .invalidParameter, "--no-mmap and --mlock are two load modes; give one (or --load-mode)",
                parameter: "load_mode")
        }
    }
}

/// How a model file is loaded.
public struct ModelOptions: KnobSet, Equatable {
    /// `mmap`, `no-mmap` or `mlock` (key `load_mode`, flags `--load-mode`, `--no-mmap`, `--mlock`).
    /// The default is `mmap`.
    public var loadMode: LoadMode = .mmap

    public init() {}

    /// The options of `loadMode`; `nil` keeps the default.
    public init(loadMode: LoadMode? = nil) {
        if let loadMode { self.loadMode = loadMode }
    }

    /// Map the file instead of reading it into anonymous memory.
    public var mmap: Bool { loadMode != .noMmap }
    /// Lock the model's pages in RAM (`mlock`).
    public var mlock: Bool { loadMode == .mlock }

    public static let keys = ["load_mode"]

    public init(reading c: KeyedDecodingContainer<ConfigurationKey>) throws {
        loadMode = try c.choice("load_mode", LoadMode.self) ?? loadMode
    }

    public func write(to c: inout KeyedEncodingContainer<ConfigurationKey>) throws {
        try c.knob("load_mode", loadMode)
    }

}

/// Whether llama.cpp's flash-attention kernel computes attention (key `flash_attn`).
public enum FlashAttention: String, Sendable, Codable, CaseIterable {
    /// Measured: a short calibration per model, machine and threads, cached, picks the faster
    /// of `on` and `off` for the expected depth and prefill share (`FlashAttentionDecision`).
    case auto
    case on
    case off
}

/// How an inference context is sized and threaded.
public struct ContextOptions: KnobSet, Equatable {
    /// Total KV cells shared by all sequences (`n_ctx`, key `ctx`); with a KV stream per sequence
    /// each of N sequences gets `ctx / N`, as `llama-server -c C -np N`. The default is 8192.
    public var contextLength: Int = 8192
    /// Largest number of tokens one `llama_decode` call takes (`n_batch`). The default is 2048.
    public var batchSize: Int = 2048
    /// Physical micro-batch (`n_ubatch`). The default is 512.
    public var microBatchSize: Int = 512
    /// Threads for single-token decode steps. The default is 2.
    public var threads: Int = 2
    /// Threads for prompt processing (batches of more than one token). The default is `threads`.
    public var batchThreads: Int? = nil
    /// Sequences that can live in the KV cache at once (`n_seq_max`): not a knob, the engine sets
    /// it from its scheduler and prefix cache (`EngineConfiguration.sequenceIds`). The default is 1.
    public var sequences: Int = 1
    /// One KV pool shared by all sequences (`kv_unified`). The default is `false`: each sequence
    /// gets its own stream of `contextLength / sequences` cells (as `llama-server -c C -np N`),
    /// which keeps every sequence's cells at the same positions whatever else runs, so greedy
    /// outputs do not depend on batching.
    public var unifiedKV: Bool = false
    /// Flash attention: `auto` (measured, see `FlashAttention.auto`), `on` or `off`. The default is
    /// `auto`. On two CPU cores llama.cpp's kernel prefills slightly faster but decodes much
    /// slower at depth (NOTES.md), which is why `auto` measures rather than assumes.
    public var flashAttention: FlashAttention = .auto

    public init() {}

    /// The options given; `nil` keeps a knob's default.
    public init(
        contextLength: Int? = nil, batchSize: Int? = nil, microBatchSize: Int? = nil, threads: Int? = nil,
        batchThreads: Int? = nil, sequences: Int? = nil, unifiedKV: Bool? = nil, flashAttention: FlashAttention? = nil
    ) {
        if let contextLength { self.contextLength = contextLength }
        if let batchSize { self.batchSize = batchSize }
        if let microBatchSize { self.microBatchSize = microBatchSize }
        if let threads { self.threads = threads }
        self.batchThreads = batchThreads
        if let sequences { self.sequences = sequences }
        if let unifiedKV { self.unifiedKV = unifiedKV }
        if let flashAttention { self.flashAttention = flashAttention }
    }

    public static let keys = ["ctx", "n_batch", "n_ubatch", "threads", "batch_threads", "kv_unified", "flash_attn"]

    public init(reading c: KeyedDecodingContainer<ConfigurationKey>) throws {
        contextLength = try c.int("ctx") ?? contextLength
        batchSize = try c.int("n_batch") ?? batchSize
        microBatchSize = try c.int("n_ubatch") ?? microBatchSize
        threads = try c.int("threads") ?? threads
        batchThreads = try c.int("batch_threads")
        unifiedKV = try c.bool("kv_unified") ?? unifiedKV
        // `on`/`off`, or a boolean (JSON `true`; YAML 1.1 reads an unquoted `on` as one).
        if let text = try c.scalar("flash_attn") {
            if let value = ScalarText.choice(text, FlashAttention.self) {
                flashAttention = value
            } else if let value = ScalarText.bool(text) {
                flashAttention = value ? .on : .off
            } else {
                throw ConfigurationError.invalid(
                    c.path("flash_attn"), expected: ScalarText.oneOf(FlashAttention.self), got: text)
            }
        }
    }

    public func write(to c: inout KeyedEncodingContainer<ConfigurationKey>) throws {
        try c.knob("ctx", contextLength)
        try c.knob("n_batch", batchSize)
        try c.knob("n_ubatch", microBatchSize)
        try c.knob("threads", threads)
        try c.knob("batch_threads", batchThreads)
        try c.knob("kv_unified", unifiedKV)
        try c.knob("flash_attn", flashAttention)
    }

    /// Throws `invalidParameter` naming the first bad field.
    public func validate() throws(EngineError) {
        func bad(_ field: String, _ why: String) -> EngineError {
            EngineError(.invalidParameter, "\(field) \(why)", parameter: field)
        }
        if contextLength < 16 { throw bad("ctx", "must be at least 16 (got \(contextLength))") }
        if batchSize < 1 { throw bad("n_batch", "must be at least 1 (got \(batchSize))") }
        if microBatchSize < 1 || microBatchSize > batchSize {
            throw bad("n_ubatch", "must be in 1...n_batch (got \(microBatchSize))")
        }
        if threads < 1 { throw bad("threads", "must be at least 1 (got \(threads))") }
        if let batchThreads, batchThreads < 1 { throw bad("batch_threads", "must be at least 1") }
        if sequences < 1 || sequences > 256 { throw bad("n_seq", "must be in 1...256 (got \(sequences))") }
    }
}
