/// How a model file is loaded.
public struct ModelOptions: Sendable, Codable, Equatable {
    /// Map the file instead of reading it into anonymous memory. The default is `true`.
    public var mmap: Bool = true
    /// Lock the model's pages in RAM (`mlock`). The default is `false`.
    public var mlock: Bool = false

    public init(mmap: Bool = true, mlock: Bool = false) {
        self.mmap = mmap
        self.mlock = mlock
    }
}

/// How an inference context is sized and threaded.
public struct ContextOptions: Sendable, Codable, Equatable {
    /// Total KV cells shared by all sequences (`n_ctx`). The default is 4096.
    public var contextLength: Int = 4096
    /// Largest number of tokens one `llama_decode` call takes (`n_batch`). The default is 2048.
    public var batchSize: Int = 2048
    /// Physical micro-batch (`n_ubatch`). The default is 512.
    public var microBatchSize: Int = 512
    /// Threads for single-token decode steps. The default is 2.
    public var threads: Int = 2
    /// Threads for prompt processing (batches of more than one token). The default is `threads`.
    public var batchThreads: Int? = nil
    /// Sequences that can live in the KV cache at once (`n_seq_max`). The default is 1.
    public var sequences: Int = 1
    /// One KV pool shared by all sequences (`kv_unified`). The default is `false`: each sequence
    /// gets its own stream of `contextLength / sequences` cells (as `llama-server -c C -np N`),
    /// which keeps every sequence's cells at the same positions whatever else runs, so greedy
    /// outputs do not depend on batching.
    public var unifiedKV: Bool = false

    enum CodingKeys: String, CodingKey {
        case contextLength = "ctx"
        case batchSize = "n_batch"
        case microBatchSize = "n_ubatch"
        case threads
        case batchThreads = "batch_threads"
        case sequences = "n_seq"
        case unifiedKV = "kv_unified"
    }

    public init(
        contextLength: Int = 4096, batchSize: Int = 2048, microBatchSize: Int = 512, threads: Int = 2,
        batchThreads: Int? = nil, sequences: Int = 1, unifiedKV: Bool = false
    ) {
        self.contextLength = contextLength
        self.batchSize = batchSize
        self.microBatchSize = microBatchSize
        self.threads = threads
        self.batchThreads = batchThreads
        self.sequences = sequences
        self.unifiedKV = unifiedKV
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
