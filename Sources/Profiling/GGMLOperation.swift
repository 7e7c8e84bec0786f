/// Which ggml operation a leaf function belongs to, so a profile reads as "mul_mat on q4_1
/// weights 47 %, attention 24 %" rather than as kernel names.
public enum GGMLOperation {
    /// The operation of `function` (a leaf frame's name).
    public static func of(_ function: String) -> String {
        let name = function.lowercased()
        // The quantized dot products and the matrix multiplications that call them.
        if name.hasPrefix("ggml_vec_dot_") {
            let types = name.dropFirst("ggml_vec_dot_".count).split(separator: "_")
            // ggml_vec_dot_q4_1_q8_1: the weights' type is the first one (q4_1).
            if types.count >= 2, types[0].first == "q" || types[0].first == "i" {
                return "mul_mat \(types[0])_\(types[1])"
            }
            return "mul_mat \(types.first.map(String.init) ?? "")"
        }
        let table: [(String, String)] = [
            ("flash_attn", "attention"), ("soft_max", "softmax"), ("rms_norm", "norm"), ("_norm", "norm"),
            ("rope", "rope"), ("mul_mat", "mul_mat"), ("gemm", "mul_mat"), ("gemv", "mul_mat"),
            ("quantize_row", "quantize activations"), ("get_rows", "get_rows"), ("silu", "activation"),
            ("gelu", "activation"), ("expf", "exp (softmax, attention, activation)"), ("_add", "add"), ("_mul", "mul"),
            ("cpy", "copy"), ("dup", "copy"),
            ("gomp", "OpenMP (spin and barriers)"), ("ggml_barrier", "barrier"),
            ("graph_compute", "graph scheduling"),
        ]
        for (pattern, operation) in table where name.contains(pattern) { return operation }
        if name.hasPrefix("[") && name.contains("libgomp") { return "OpenMP (spin and barriers)" }
        if name.hasPrefix("[") && name.contains("kernel") || name.hasPrefix("entry_syscall") { return "kernel" }
        if name.hasPrefix("$s") || name.contains("swift") { return "Swift (server, HTTP)" }
        return "other"
    }
}
