public import InferenceCore
import CLlama
import Foundation
import InferLabCore

/// A loaded GGUF model: weights, vocabulary, metadata and chat template.
///
/// Immutable after loading. llama.cpp's tokenizer and metadata calls are thread-safe, so one
/// model is shared by HTTP handlers (tokenizing) and the engine thread (decoding).
public final class LlamaModel: @unchecked Sendable {
    let pointer: OpaquePointer
    let vocab: OpaquePointer
    /// Where the model was loaded from.
    public let path: String
    public let options: ModelOptions
    /// Wall time of `llama_model_load_from_file`, in milliseconds.
    public let loadMilliseconds: Double
    public let metadata: ModelMetadata

    /// Loads a GGUF file. Throws `modelNotFound` or `notGGUF` before touching llama.cpp.
    public init(path: String, options: ModelOptions = ModelOptions()) throws(EngineError) {
        try Self.checkFile(path)
        LlamaBackend.ensureInitialised()
        var params = llama_model_default_params()
        params.n_gpu_layers = 0
        switch options.loadMode {
        case .mmap: params.load_mode = LLAMA_LOAD_MODE_MMAP
        case .mlock: params.load_mode = LLAMA_LOAD_MODE_MMAP_MLOCK
        case .noMmap: params.load_mode = LLAMA_LOAD_MODE_NONE
        }
        let start = MonotonicInstant.now()
        guard let model = llama_model_load_from_file(path, params) else {
            throw EngineError(
                .modelLoadFailed,
                "llama.cpp could not load \(path); the file may be truncated or of an unsupported "
                    + "architecture (run with INFERLAB_LLAMA_LOG=1 to see why)")
        }
        loadMilliseconds = start.elapsed.milliseconds
        pointer = model
        vocab = llama_model_get_vocab(model)
        self.path = path
        self.options = options
        metadata = ModelMetadata(model: model, path: path)
    }

    deinit {
        llama_model_free(pointer)
    }

    /// Fails with a clear message for a missing file or a file that is not GGUF.
    static func checkFile(_ path: String) throws(EngineError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw EngineError(
                .modelNotFound,
                "model file \(path) does not exist; pass a GGUF path or a catalogue name "
                    + "(inferlab models list), and run scripts/bootstrap to fetch the default model")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EngineError(.modelNotFound, "model file \(path) cannot be opened (permissions?)")
        }
        defer { try? handle.close() }
        let magic = (try? handle.read(upToCount: 4)) ?? Data()
        guard magic == Data("GGUF".utf8) else {
            throw EngineError(
                .notGGUF, "\(path) is not a GGUF model file (it does not start with the GGUF magic bytes)")
        }
    }

    // MARK: Vocabulary

    /// Number of tokens in the vocabulary.
    public var vocabularySize: Int { Int(llama_vocab_n_tokens(vocab)) }

    /// Whether `token` ends generation (EOS, EOT and the like).
    public func isEndOfGeneration(_ token: Int32) -> Bool {
        llama_vocab_is_eog(vocab, token)
    }

    /// Tokenizes text. `addSpecial` adds BOS when the model wants it; `parseSpecial` turns
    /// control-token text (such as `<|im_start|>` from a chat template) into control tokens.
    public func tokenize(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = true) throws(EngineError)
        -> [Int32]
    {
        let utf8 = Array(text.utf8)
        var tokens = [Int32](repeating: 0, count: utf8.count + 8)
        var count = utf8.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                llama_tokenize(
                    vocab, chars.baseAddress, Int32(chars.count), &tokens, Int32(tokens.count), addSpecial,
                    parseSpecial)
            }
        }
        if count < 0 {
            guard count != Int32.min else {
                throw EngineError(.tokenizationFailed, "the text is too long to tokenize")
            }
            tokens = [Int32](repeating: 0, count: Int(-count))
            count = utf8.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    llama_tokenize(
                        vocab, chars.baseAddress, Int32(chars.count), &tokens, Int32(tokens.count), addSpecial,
                        parseSpecial)
                }
            }
        }
        guard count >= 0 else { throw EngineError(.tokenizationFailed, "llama_tokenize failed (\(count))") }
        return Array(tokens.prefix(Int(count)))
    }

    /// Calls `body` with the token's bytes in a buffer on the stack: no allocation for a piece of
    /// up to 64 bytes (every one in practice), where `pieceBytes` allocates its array. The engine
    /// decodes each generated token this way.
    public func withPieceBytes<Result>(
        _ token: Int32, special: Bool = false, _ body: (UnsafeRawBufferPointer) -> Result
    ) -> Result {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let count = llama_token_to_piece(vocab, token, buffer.baseAddress, Int32(buffer.count), 0, special)
            guard count >= 0 else { return pieceBytes(token, special: special).withUnsafeBytes(body) }
            return body(UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(count)))
        }
    }

    /// The raw bytes of one token's text (may be part of a multi-byte UTF-8 character).
    public func pieceBytes(_ token: Int32, special: Bool = false) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 64)
        var count = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, special)
        if count < 0 {
            buffer = [CChar](repeating: 0, count: Int(-count))
            count = llama_token_to_piece(vocab, token, &buffer, Int32(buffer.count), 0, special)
        }
        return buffer.prefix(max(0, Int(count))).map { UInt8(bitPattern: $0) }
    }

    /// The text of a token sequence (special tokens not rendered).
    public func detokenize(_ tokens: [Int32]) -> String {
        var decoder = TokenTextDecoder()
        var text = ""
        for token in tokens { text += decoder.append(pieceBytes(token)) }
        return text + decoder.flush()
    }

    // MARK: Chat

    /// Renders messages with the model's own chat template (`llama_chat_apply_template`),
    /// ending with the assistant turn's opening. A model without a template (a base model) gets
    /// ChatML, as llama-server does.
    public func applyChatTemplate(_ messages: [ChatMessage], addAssistant: Bool = true) throws(EngineError) -> String {
        let template = metadata.chatTemplate ?? "chatml"
        let roles = messages.map { strdup($0.role) }
        let contents = messages.map { strdup($0.content) }
        defer {
            roles.forEach { free($0) }
            contents.forEach { free($0) }
        }
        var chat = (0..<messages.count).map { llama_chat_message(role: roles[$0], content: contents[$0]) }
        let totalLength = messages.reduce(0) { $0 + $1.role.utf8.count + $1.content.utf8.count }
        var buffer = [CChar](repeating: 0, count: max(256, 2 * totalLength + 256))
        var length = llama_chat_apply_template(template, &chat, chat.count, addAssistant, &buffer, Int32(buffer.count))
        if length > Int32(buffer.count) {
            buffer = [CChar](repeating: 0, count: Int(length) + 1)
            length = llama_chat_apply_template(template, &chat, chat.count, addAssistant, &buffer, Int32(buffer.count))
        }
        guard length >= 0 else {
            throw EngineError(.templateFailed, "llama.cpp does not support this model's chat template")
        }
        let bytes = buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
