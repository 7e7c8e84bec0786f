import InferenceCore
import CLlama

/// An inference context: the KV cache and compute buffers of one model.
///
/// Not thread-safe and not `Sendable`: exactly one engine thread creates and uses it.
final class LlamaContext {
    let pointer: OpaquePointer
    let model: LlamaModel
    let options: ContextOptions
    private let memory: llama_memory_t
    /// Persistent worker threads for generation and for batches (prompt processing), as
    /// llama-server attaches: without them ggml starts and joins its threads for every graph.
    private let threadpool: OpaquePointer?
    private let batchThreadpool: OpaquePointer?

    init(model: LlamaModel, options: ContextOptions) throws(EngineError) {
        try options.validate()
        var params = llama_context_default_params()
        params.n_ctx = UInt32(options.contextLength)
        params.n_batch = UInt32(options.batchSize)
        params.n_ubatch = UInt32(options.microBatchSize)
        params.n_seq_max = UInt32(options.sequences)
        params.n_threads = Int32(options.threads)
        params.n_threads_batch = Int32(options.batchThreads ?? options.threads)
        params.kv_unified = options.unifiedKV
        // `auto` is resolved by measurement before a context is made (`FlashAttentionCalibration`);
        // one that reaches here is llama.cpp's own auto.
        params.flash_attn_type =
            switch options.flashAttention {
            case .on: LLAMA_FLASH_ATTN_TYPE_ENABLED
            case .off: LLAMA_FLASH_ATTN_TYPE_DISABLED
            case .auto: LLAMA_FLASH_ATTN_TYPE_AUTO
            }
        params.no_perf = true
        guard let context = llama_init_from_model(model.pointer, params) else {
            throw EngineError(
                .contextCreationFailed,
                "llama.cpp could not create a context of \(options.contextLength) cells for \(options.sequences) "
                    + "sequences; try a smaller --ctx")
        }
        pointer = context
        self.model = model
        self.options = options
        memory = llama_get_memory(context)
        // Each pool has exactly its n_threads. A separate batch pool when the counts differ; the
        // generation pool then starts paused (llama.cpp resumes the pool a graph runs on).
        let batchThreads = options.batchThreads ?? options.threads
        var generation = ggml_threadpool_params_default(Int32(options.threads))
        if batchThreads != options.threads {
            var batch = ggml_threadpool_params_default(Int32(batchThreads))
            batchThreadpool = ggml_threadpool_new(&batch)
            generation.paused = true
        } else {
            batchThreadpool = nil
        }
        threadpool = ggml_threadpool_new(&generation)
        if let threadpool {
            llama_attach_threadpool(context, threadpool, batchThreadpool ?? threadpool)
        }
    }

    deinit {
        llama_detach_threadpool(pointer)
        llama_free(pointer)
        if let threadpool { ggml_threadpool_free(threadpool) }
        if let batchThreadpool { ggml_threadpool_free(batchThreadpool) }
    }

    /// Decodes so far, up to 4: ggml starts its worker threads during the first ones.
    private var decodes = 0

    /// KV cells in total (`n_ctx`).
    var contextLength: Int { Int(llama_n_ctx(pointer)) }

    /// Cells one sequence may use (`n_ctx_seq`).
    var sequenceContextLength: Int { Int(llama_n_ctx_seq(pointer)) }

    func decode(_ batch: Batch) throws(EngineError) {
        let before = decodes < 4 ? ComputeThreadNames.threads() : nil
        let status = llama_decode(pointer, batch.raw)
        if let before {
            decodes += 1
            ComputeThreadNames.nameWorkers(started: ComputeThreadNames.threads().subtracting(before))
        }
        guard status == 0 else {
            let reason =
                switch status {
                case 1: "no free KV slot for the batch (the context is full)"
                case 2: "aborted"
                case -1: "invalid batch"
                default: "fatal error \(status)"
                }
            throw EngineError(.decodeFailed, "llama_decode failed: \(reason)")
        }
    }

    // MARK: KV cache

    /// Frees every cell of a sequence.
    func removeSequence(_ sequence: Int32) {
        _ = llama_memory_seq_rm(memory, sequence, -1, -1)
    }

    /// Frees the cells of a sequence from `position` on.
    func truncateSequence(_ sequence: Int32, from position: Int32) {
        _ = llama_memory_seq_rm(memory, sequence, position, -1)
    }

    /// Gives `target` the cells of positions `0..<length` of `source`. In a unified cache the
    /// cells are shared (no copy); with a stream per sequence llama.cpp copies whole streams only,
    /// so the stream is copied and the copy truncated at `length`.
    func copySequence(_ source: Int32, to target: Int32, length: Int32) {
        if options.unifiedKV {
            llama_memory_seq_cp(memory, source, target, 0, length)
        } else {
            llama_memory_seq_cp(memory, source, target, -1, -1)
            _ = llama_memory_seq_rm(memory, target, length, -1)
        }
    }

    /// Frees all cells.
    func clear() {
        llama_memory_clear(memory, true)
    }

    /// The largest position stored for a sequence, or -1 when it is empty.
    func maxPosition(_ sequence: Int32) -> Int32 {
        llama_memory_seq_pos_max(memory, sequence)
    }

    /// The smallest position stored for a sequence, or -1 when it is empty.
    func minPosition(_ sequence: Int32) -> Int32 {
        llama_memory_seq_pos_min(memory, sequence)
    }

    /// Bytes of a sequence's saved state (`llama_state_seq_get_size`): its cells' K and V rows
    /// plus a few bytes per cell and per layer of header, counted without copying anything.
    func stateSize(_ sequence: Int32) -> Int {
        llama_state_seq_get_size(pointer, sequence)
    }

    /// A copy of a sequence's state (its cells' positions, K and V) in host memory
    /// (`llama_state_seq_get_data`); `nil` when it holds nothing or the copy failed.
    func saveSequence(_ sequence: Int32) -> [UInt8]? {
        let size = llama_state_seq_get_size(pointer, sequence)
        guard size > 0 else { return nil }
        var written = 0
        let state = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            written = llama_state_seq_get_data(pointer, buffer.baseAddress, size, sequence)
            count = min(written, size)
        }
        return written > 0 ? state : nil
    }

    /// Loads a saved state into an empty sequence (`llama_state_seq_set_data`); `false` when
    /// llama.cpp refused it (no room in the stream, or a state of another layout).
    func restoreSequence(_ state: [UInt8], to sequence: Int32) -> Bool {
        state.withUnsafeBufferPointer { llama_state_seq_set_data(pointer, $0.baseAddress, $0.count, sequence) } > 0
    }

    /// The K and V cache types: `init` leaves llama.cpp's defaults (f16).
    static var cacheTypes: (key: ggml_type, value: ggml_type) {
        let defaults = llama_context_default_params()
        return (defaults.type_k, defaults.type_v)
    }

}
