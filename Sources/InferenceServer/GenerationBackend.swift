public import InferenceCore
public import LlamaEngine

/// What the HTTP layer needs from an engine. The real one wraps `InferenceEngine`; router tests
/// use a fake that streams canned tokens.
public protocol GenerationBackend: Sendable {
    /// Cells one sequence may use (prompt plus completion).
    var sequenceContextLength: Int { get }
    /// The loop's latest published state; must never block.
    var snapshot: EngineSnapshot { get }
    func tokenize(_ text: String) throws -> [Int32]
    /// The tokens of `text`, with the model's special tokens (BOS) when `addSpecial` (`POST /tokenize`).
    func tokenize(_ text: String, addSpecial: Bool) throws -> [Int32]
    func applyChatTemplate(_ messages: [ChatMessage]) throws -> String
    /// Whether the engine can run `request`: the one check that prompt plus `max_tokens` fits in a
    /// sequence's context. The server calls it before answering, so the error is a status, not an
    /// event in a stream already begun.
    func validate(_ request: GenerationRequest) throws(EngineError)
    func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error>
    func shutdown()
    /// The flash-attention setting the engine runs with (`GET /health` shows it).
    var flashAttention: FlashAttentionDecision? { get }
}

extension GenerationBackend {
    public func tokenize(_ text: String, addSpecial: Bool) throws -> [Int32] { try tokenize(text) }
    public var flashAttention: FlashAttentionDecision? { nil }
}

/// The real backend: a loaded model and its engine.
public struct LlamaGenerationBackend: GenerationBackend {
    public let model: LlamaModel
    public let engine: InferenceEngine

    public init(model: LlamaModel, engine: InferenceEngine) {
        self.model = model
        self.engine = engine
    }

    public var sequenceContextLength: Int { engine.sequenceContextLength }
    public var snapshot: EngineSnapshot { engine.snapshot }
    public func tokenize(_ text: String) throws -> [Int32] { try model.tokenize(text) }
    public func tokenize(_ text: String, addSpecial: Bool) throws -> [Int32] {
        try model.tokenize(text, addSpecial: addSpecial)
    }
    public func applyChatTemplate(_ messages: [ChatMessage]) throws -> String { try model.applyChatTemplate(messages) }
    public func validate(_ request: GenerationRequest) throws(EngineError) { try engine.validate(request) }
    public func generate(_ request: GenerationRequest) -> AsyncThrowingStream<GenerationEvent, any Error> {
        engine.generate(request)
    }
    public func shutdown() { engine.shutdown() }
    public var flashAttention: FlashAttentionDecision? { engine.flashAttention }
}
