import Foundation
import InferenceCore

/// Sampling and length fields shared by the OpenAI endpoints and `/generate`.
struct WireSampling: Decodable {
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var repetitionPenalty: Double?
    var seed: Int64?
    var stop: StopList?
    var n: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    /// Generate `max_tokens` tokens whatever the model says (llama-server's and vLLM's extension,
    /// for benchmarks that need equal work per request).
    var ignoreEOS: Bool?

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    /// `stop` is a string or a list of strings.
    struct StopList: Decodable {
        var values: [String]
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                values = []
            } else if let one = try? container.decode(String.self) {
                values = [one]
            } else {
                values = try container.decode([String].self)
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case temperature
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case repetitionPenalty = "repeat_penalty"
        case seed, stop, n, stream
        case streamOptions = "stream_options"
        case ignoreEOS = "ignore_eos"
    }

    /// Checks the fields and converts them; names the offending field in the error.
    func parameters() throws -> (SamplingParameters, requestedMaxTokens: Int?, stop: [String]) {
        if let n, n != 1 { throw APIError.invalid("only n = 1 is supported (got \(n))", param: "n") }
        let requested = maxCompletionTokens ?? maxTokens
        if let requested, requested < 1 {
            throw APIError.invalid(
                "max_tokens must be at least 1 (got \(requested))",
                param: maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens")
        }
        let stops = stop?.values ?? []
        if stops.count > 4 { throw APIError.invalid("at most 4 stop sequences are supported", param: "stop") }
        var sampling = SamplingParameters(
            temperature: temperature ?? 0, topK: topK ?? 0, topP: topP ?? 1, minP: minP ?? 0,
            repetitionPenalty: repetitionPenalty ?? 1)
        if let seed { sampling.seed = UInt32(truncatingIfNeeded: seed) }
        try sampling.validate()
        return (sampling, requested, stops)
    }
}

/// A request of any of the three endpoints, decoded and checked field by field, before
/// tokenization. Whether it fits in the context is the engine's check (`GenerationBackend.validate`).
struct WireRequest {
    enum Prompt {
        case chat([ChatMessage])
        case text(String)
    }

    var prompt: Prompt
    var sampling: SamplingParameters
    /// `max_completion_tokens` or `max_tokens`; the server picks a default when absent.
    var requestedMaxTokens: Int?
    var stop: [String]
    var ignoreEOS: Bool
    var stream: Bool
    var includeUsage: Bool

    /// Decodes `body` as `flavor` says. `model`, when sent to an OpenAI endpoint, must be `servedModel`.
    init(_ flavor: WireFlavor, body: Data, servedModel: String) throws {
        let model: String?
        let wire: WireSampling
        switch flavor {
        case .chat:
            let request = try decodeBody(ChatCompletionRequest.self, from: body)
            prompt = .chat(try request.validatedMessages())
            (model, wire) = (request.model, request.sampling)
        case .completion, .generate:
            let request = try decodeBody(CompletionRequest.self, from: body)
            guard !request.prompt.isEmpty else { throw APIError.invalid("prompt must not be empty", param: "prompt") }
            prompt = .text(request.prompt)
            (model, wire) = (request.model, request.sampling)
        }
        if let model, flavor != .generate, model != servedModel {
            throw APIError(
                .notFound, "the model '\(model)' does not exist; this server serves '\(servedModel)'", param: "model",
                code: "model_not_found")
        }
        (sampling, requestedMaxTokens, stop) = try wire.parameters()
        ignoreEOS = wire.ignoreEOS ?? false
        stream = wire.stream ?? false
        includeUsage = wire.streamOptions?.includeUsage ?? false
    }
}

/// `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable {
    var model: String?
    var messages: [Message]
    var sampling: WireSampling

    struct Message: Decodable {
        var role: String
        var content: String

        enum CodingKeys: String, CodingKey { case role, content }

        /// `content` is a string, null (assistant turns), or a list of `{"type":"text","text":...}` parts.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            role = try container.decode(String.self, forKey: .role)
            if try container.decodeNil(forKey: .content) {
                content = ""
            } else if let text = try? container.decode(String.self, forKey: .content) {
                content = text
            } else {
                let parts = try container.decode([Part].self, forKey: .content)
                guard parts.allSatisfy({ $0.type == "text" }) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .content, in: container, debugDescription: "only text content parts are supported")
                }
                content = parts.compactMap(\.text).joined()
            }
        }

        struct Part: Decodable {
            var type: String
            var text: String?
        }
    }

    enum CodingKeys: String, CodingKey { case model, messages }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        messages = try container.decode([Message].self, forKey: .messages)
        sampling = try WireSampling(from: decoder)
    }

    static let roles: Set<String> = ["system", "user", "assistant", "developer", "tool"]

    func validatedMessages() throws(APIError) -> [ChatMessage] {
        guard !messages.isEmpty else { throw .invalid("messages must not be empty", param: "messages") }
        for (index, message) in messages.enumerated() where !Self.roles.contains(message.role) {
            throw .invalid(
                "unknown role '\(message.role)' in messages[\(index)]; use system, user, assistant, developer or tool",
                param: "messages[\(index)].role")
        }
        return messages.map { ChatMessage(role: $0.role == "developer" ? "system" : $0.role, content: $0.content) }
    }
}

/// `POST /v1/completions` and `POST /generate`.
struct CompletionRequest: Decodable {
    var model: String?
    var prompt: String
    var sampling: WireSampling

    enum CodingKeys: String, CodingKey { case model, prompt }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decodeIfPresent(String.self, forKey: .model)
        if let text = try? container.decode(String.self, forKey: .prompt) {
            prompt = text
        } else {
            let list = try container.decode([String].self, forKey: .prompt)
            guard list.count == 1 else {
                throw DecodingError.dataCorruptedError(
                    forKey: .prompt, in: container,
                    debugDescription: "exactly one prompt is supported (got \(list.count))")
            }
            prompt = list[0]
        }
        sampling = try WireSampling(from: decoder)
    }
}

/// Decodes a body, turning decoder errors into 400s that name the field.
func decodeBody<T: Decodable>(_ type: T.Type, from data: Data) throws(APIError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        func path(_ codingPath: [any CodingKey]) -> String? {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let trimmed = text.hasPrefix(".") ? String(text.dropFirst()) : text
            return trimmed.isEmpty ? nil : trimmed.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            throw .init(.badRequest, "invalid JSON body: \(context.debugDescription)", param: nil, code: "invalid_json")
        case .dataCorrupted(let context):
            throw .invalid(context.debugDescription, param: path(context.codingPath))
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key]) ?? key.stringValue
            throw .init(.badRequest, "missing required field '\(field)'", param: field, code: "missing_field")
        case .typeMismatch(let expected, let context), .valueNotFound(let expected, let context):
            let field = path(context.codingPath) ?? "body"
            throw .init(.badRequest, "field '\(field)' must be of type \(expected)", param: field, code: "invalid_type")
        @unknown default:
            throw .init(.badRequest, "invalid request body")
        }
    } catch {
        throw .init(.badRequest, "invalid JSON body", code: "invalid_json")
    }
}
