import InferenceCore
import LlamaEngine
import Testing
import TestSupport

/// One loaded copy of the default model for all engine tests (loading is cheap with mmap, but
/// sharing keeps the suite quick).
enum SharedModel {
    static let model: LlamaModel? = try? LlamaModel(path: TestPaths.defaultModel)

    static func require() throws -> LlamaModel {
        guard let model else {
            throw SkipReason("the default model is missing; run scripts/bootstrap")
        }
        return model
    }
}

struct SkipReason: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs one request to completion and returns its tokens, text and summary.
func collect(_ engine: InferenceEngine, _ request: GenerationRequest) async throws -> (
    tokens: [Int32], text: String, summary: GenerationSummary
) {
    var tokens: [Int32] = []
    var text = ""
    var summary: GenerationSummary?
    for try await event in engine.generate(request) {
        switch event {
        case .admitted: break
        case .token(let token):
            tokens.append(token.token)
            text += token.text
        case .finished(let finished):
            text += finished.trailingText
            summary = finished
        }
    }
    return (tokens, text, try #require(summary))
}
