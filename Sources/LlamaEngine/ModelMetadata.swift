import CLlama
import Foundation

/// What a GGUF file says about itself, read through llama.cpp's metadata API.
public struct ModelMetadata: Sendable, Codable, Equatable {
    /// `general.architecture`, e.g. `llama`.
    public var architecture: String
    /// `general.name`, or the file name.
    public var name: String
    /// llama.cpp's one-line description, e.g. `llama ?B Q4_1`.
    public var description: String
    /// Parameter count.
    public var parameters: UInt64
    /// Bytes of tensor data.
    public var tensorBytes: UInt64
    /// Size of the file on disk.
    public var fileBytes: UInt64
    /// Quantization as llama.cpp names it (`Q4_1`, `Q4_K - Medium`, ...).
    public var quantization: String
    /// Context length the model was trained with.
    public var trainedContextLength: Int
    /// Tokens in the vocabulary.
    public var vocabularySize: Int
    /// The Jinja chat template stored in the file, if any.
    public var chatTemplate: String?
    /// Every metadata key and value (arrays summarised by llama.cpp).
    public var keys: [String: String]

    enum CodingKeys: String, CodingKey {
        case architecture, name, description, parameters
        case tensorBytes = "tensor_bytes"
        case fileBytes = "file_bytes"
        case quantization
        case trainedContextLength = "trained_context_length"
        case vocabularySize = "vocabulary_size"
        case chatTemplate = "chat_template"
        case keys
    }

    init(model: OpaquePointer, path: String) {
        var keys: [String: String] = [:]
        var buffer = [CChar](repeating: 0, count: 512)
        for index in 0..<llama_model_meta_count(model) {
            guard llama_model_meta_key_by_index(model, index, &buffer, buffer.count) >= 0 else { continue }
            let key = Self.string(buffer)
            var valueBuffer = [CChar](repeating: 0, count: 512)
            let length = llama_model_meta_val_str_by_index(model, index, &valueBuffer, valueBuffer.count)
            guard length >= 0 else { continue }
            if Int(length) >= valueBuffer.count {
                valueBuffer = [CChar](repeating: 0, count: Int(length) + 1)
                _ = llama_model_meta_val_str_by_index(model, index, &valueBuffer, valueBuffer.count)
            }
            keys[key] = Self.string(valueBuffer)
        }
        llama_model_desc(model, &buffer, buffer.count)
        description = Self.string(buffer)
        architecture = keys["general.architecture"] ?? "unknown"
        name = keys["general.name"] ?? URL(fileURLWithPath: path).lastPathComponent
        parameters = llama_model_n_params(model)
        tensorBytes = llama_model_size(model)
        fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        // The description ends with the file type, e.g. "llama ?B Q4_1" or "gemma3 270M Q4_K - Medium".
        let parts = description.split(separator: " ", maxSplits: 2)
        quantization = parts.count == 3 ? String(parts[2]) : (keys["general.file_type"] ?? "unknown")
        trainedContextLength = Int(llama_model_n_ctx_train(model))
        vocabularySize = Int(llama_vocab_n_tokens(llama_model_get_vocab(model)))
        chatTemplate = llama_model_chat_template(model, nil).map { String(cString: $0) }
        keys["tokenizer.chat_template"] = nil
        self.keys = keys.filter { !$0.key.hasPrefix("tokenizer.ggml.") || $0.value.count < 200 }
    }

    /// The text of a NUL-terminated C buffer filled by llama.cpp.
    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
