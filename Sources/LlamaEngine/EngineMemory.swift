import CLlama
import Foundation

/// The engine's buffers as llama.cpp accounts for them when it creates a context: the model's
/// weights, the KV cache, the compute buffer and the output (logits) buffer.
///
/// Each number from the most direct public source at our llama.cpp commit:
/// - `modelBytes`: `llama_model_size`, the bytes of every tensor (the log's
///   `load_tensors: CPU_Mapped model buffer size` says the same).
/// - `kvBytes`, `computeBytes`, `outputBytes`: the lines llama.cpp logs while it creates the
///   context (`llama_kv_cache: CPU KV buffer size = ...`, `sched_reserve: CPU compute buffer
///   size = ...`, `llama_context: CPU output buffer size = ...`), read by `LlamaLogCapture`: no
///   getter in `llama.h` has them. The lines print MiB with two decimals, so each is exact to
///   ±0.005 MiB (about 5 KiB); a buffer per device is one line each, summed.
/// - `kvBytesPerCell`: from the hyper-parameters, n_layer × (row(type_k, n_embd_k_gqa) +
///   row(type_v, n_embd_v_gqa)) with n_embd_k_gqa = key length × n_head_kv. For smollm2-135m
///   that is 30 × (192 + 192) × 2 B (f16) = 23,040 B, and the log's 180.00 MiB at 8,192 cells is
///   exactly 8,192 × 23,040 B. Models with sliding-window layers (gemma3) keep fewer cells in
///   those layers, so there `kvBytes` is less than `cellsTotal × kvBytesPerCell`.
public struct EngineMemory: Sendable, Codable, Equatable {
    /// Bytes of the model's tensors (`llama_model_size`): mapped from the file unless loaded with no-mmap.
    public var modelBytes: UInt64
    /// Bytes of the KV cache buffers (llama.cpp's log); `nil` when the log did not say.
    public var kvBytes: UInt64?
    /// Bytes one KV cell takes across all layers, from the hyper-parameters and the cache types.
    public var kvBytesPerCell: UInt64
    /// Bytes of the compute (graph scratch) buffers (llama.cpp's log); `nil` when the log did not say.
    public var computeBytes: UInt64?
    /// Bytes of the output (logits) buffer (llama.cpp's log); `nil` when the log did not say.
    public var outputBytes: UInt64?
    /// KV cells in total (`llama_n_ctx`).
    public var cellsTotal: Int

    public init(
        modelBytes: UInt64, kvBytes: UInt64?, kvBytesPerCell: UInt64, computeBytes: UInt64?, outputBytes: UInt64?,
        cellsTotal: Int
    ) {
        self.modelBytes = modelBytes
        self.kvBytes = kvBytes
        self.kvBytesPerCell = kvBytesPerCell
        self.computeBytes = computeBytes
        self.outputBytes = outputBytes
        self.cellsTotal = cellsTotal
    }

    enum CodingKeys: String, CodingKey {
        case modelBytes = "model_bytes"
        case kvBytes = "kv_bytes"
        case kvBytesPerCell = "kv_bytes_per_cell"
        case computeBytes = "compute_bytes"
        case outputBytes = "output_bytes"
        case cellsTotal = "cells_total"
    }

    /// The accounting of a context of `cellsTotal` cells for `model`, from the log lines llama.cpp
    /// printed while creating it.
    init(model: LlamaModel, cellsTotal: Int, contextLog lines: [String]) {
        self.init(
            modelBytes: llama_model_size(model.pointer), kvBytes: Self.loggedBytes(lines, "KV buffer size"),
            kvBytesPerCell: Self.kvBytesPerCell(model), computeBytes: Self.loggedBytes(lines, "compute buffer size"),
            outputBytes: Self.loggedBytes(lines, "output buffer size"), cellsTotal: cellsTotal)
    }

    /// n_layer × (row(type_k, n_embd_k_gqa) + row(type_v, n_embd_v_gqa)). The head sizes are the
    /// GGUF's `<arch>.attention.key_length` / `value_length` when present, else n_embd / n_head,
    /// as llama.cpp reads them.
    static func kvBytesPerCell(_ model: LlamaModel) -> UInt64 {
        let pointer = model.pointer
        let architecture = model.metadata.architecture
        let defaultHead = Int(llama_model_n_embd(pointer) / max(1, llama_model_n_head(pointer)))
        func headLength(_ key: String) -> Int {
            model.metadata.keys["\(architecture).attention.\(key)"].flatMap { Int($0) } ?? defaultHead
        }
        let kvHeads = Int(llama_model_n_head_kv(pointer))
        let types = LlamaContext.cacheTypes
        let perLayer =
            ggml_row_size(types.key, Int64(headLength("key_length") * kvHeads))
            + ggml_row_size(types.value, Int64(headLength("value_length") * kvHeads))
        return UInt64(llama_model_n_layer(pointer)) * UInt64(perLayer)
    }

    /// The sum of the `... <label> = N MiB` lines, in bytes; `nil` when there is none.
    static func loggedBytes(_ lines: [String], _ label: String) -> UInt64? {
        var total: Double?
        for line in lines {
            guard let labelRange = line.range(of: label + " =") else { continue }
            let rest = line[labelRange.upperBound...].drop { $0 == " " }
            guard let unit = rest.range(of: " MiB"), let mebibytes = Double(rest[..<unit.lowerBound]) else { continue }
            total = (total ?? 0) + mebibytes
        }
        return total.map { UInt64(($0 * 1_048_576).rounded()) }
    }
}
