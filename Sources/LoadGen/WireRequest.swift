import Foundation

/// Builds the JSON body of one request for the configured API.
///
/// `chat` and `completions` send the OpenAI fields (`stream_options.include_usage` when
/// streaming; greedy with a fixed seed by default); `generate` sends `prompt`, `max_tokens`,
/// `stream` plus the sampling fields.
struct WireRequest: Encodable {
    var model: String?
    var messages: [CorpusEntry.Message]?
    var prompt: String?
    var maxTokens: Int
    var temperature: Double?
    var topK: Int?
    var topP: Double?
    var seed: Int?
    var stream: Bool
    var streamOptions: StreamOptions?
    var ignoreEOS: Bool?

    struct StreamOptions: Encodable {
        var includeUsage = true
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, prompt
        case maxTokens = "max_tokens"
        case temperature, seed, stream
        case topK = "top_k"
        case topP = "top_p"
        case streamOptions = "stream_options"
        case ignoreEOS = "ignore_eos"
    }

    /// The default output length when neither the configuration nor the corpus entry sets one.
    static let defaultMaxTokens = 128

    init(entry: CorpusEntry, configuration c: BenchConfiguration) {
        maxTokens = c.maxTokens ?? entry.maxTokens ?? Self.defaultMaxTokens
        stream = c.stream
        temperature = c.requestTemperature
        topK = c.sampler == .topK ? c.topK : nil
        topP = c.sampler == .topP ? c.topP : nil
        seed = c.seed
        ignoreEOS = c.ignoreEOS || c.fixesOutputLength ? true : nil
        switch c.api {
        case .chat:
            model = c.model
            messages = entry.chatMessages
            if let system = c.systemPrompt {
                messages?.insert(CorpusEntry.Message(role: "system", content: system), at: 0)
            }
        case .completions, .generate:
            // `/generate` takes no model name.
            model = c.api == .completions ? c.model : nil
            prompt = (c.systemPrompt.map { $0 + "\n\n" } ?? "") + entry.promptText
        }
        if c.stream, c.api != .generate { streamOptions = StreamOptions() }
    }

    func body() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and numbers cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }
}
