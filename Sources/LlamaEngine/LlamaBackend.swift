import CLlama
import Foundation

/// Process-wide llama.cpp initialisation, done once before the first model load.
enum LlamaBackend {
    private static let initialised: Bool = {
        llama_log_set(
            { level, text, _ in
                // llama.cpp is chatty on load; keep errors, or everything with INFERLAB_LLAMA_LOG=1.
                guard let text else { return }
                LlamaLogCapture.record(text)
                if level == GGML_LOG_LEVEL_ERROR || getenv("INFERLAB_LLAMA_LOG") != nil {
                    FileHandle.standardError.write(Data(String(cString: text).utf8))
                }
            }, nil)
        llama_backend_init()
        return true
    }()

    static func ensureInitialised() {
        _ = initialised
    }
}
