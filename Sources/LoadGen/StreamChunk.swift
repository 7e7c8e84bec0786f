import Foundation
public import InferLabCore

/// What one SSE event of an OpenAI-style completion stream (or a non-streamed body) says.
///
/// Content is read from wherever the known servers put it: `choices[0].delta.content` (chat),
/// `choices[0].text` (completions), top-level `text` or `content` (`/generate`, llama-server's
/// native endpoint). Usage, `timings` and an `error` object are read from any event.
public struct StreamChunk: Sendable, Equatable {
    /// The generated text this event carries (empty when none).
    public var content: String = ""
    /// `choices[0].finish_reason`.
    public var finishReason: String?
    /// `usage`, when present.
    public var usage: Usage?
    /// `timings`, when present.
    public var timings: ServerTimings?
    /// The message of an `error` object, when present.
    public var errorMessage: String?

    public init() {}

    /// Whether the event carries generated text.
    public var isContent: Bool { !content.isEmpty }

    /// Token counts from the server.
    public struct Usage: Sendable, Codable, Equatable {
        public var promptTokens: Int?
        public var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }

    /// Decodes one event's JSON data; `nil` when it is not a JSON object.
    public static func decode(_ data: [UInt8]) -> StreamChunk? {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(data)) else { return nil }
        var chunk = StreamChunk()
        if let choice = wire.choices?.first {
            chunk.content =
                choice.delta?.content ?? choice.delta?.reasoningContent ?? choice.text
                ?? choice.message?.content ?? ""
            chunk.finishReason = choice.finishReason
        }
        if chunk.content.isEmpty { chunk.content = wire.text ?? wire.content ?? "" }
        chunk.usage = wire.usage
        chunk.timings = wire.timings
        if let error = wire.error {
            chunk.errorMessage = error.message ?? "server reported an error"
        }
        return chunk
    }

    private struct Wire: Decodable {
        var choices: [Choice]?
        var usage: Usage?
        var timings: ServerTimings?
        var error: WireError?
        var text: String?
        var content: String?
    }

    private struct Choice: Decodable {
        var delta: Delta?
        var message: Delta?
        var text: String?
        var finishReason: String?
        enum CodingKeys: String, CodingKey {
            case delta, message, text
            case finishReason = "finish_reason"
        }
    }

    private struct Delta: Decodable {
        var content: String?
        var reasoningContent: String?
        enum CodingKeys: String, CodingKey {
            case content
            case reasoningContent = "reasoning_content"
        }
    }

    private struct WireError: Decodable {
        var message: String?
        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                message = text
                return
            }
            enum Keys: String, CodingKey { case message }
            message = try? decoder.container(keyedBy: Keys.self).decodeIfPresent(String.self, forKey: .message)
        }
    }
}

/// The `timings` object llama-server (and InferLab's server) sends in the final chunk.
public struct ServerTimings: Sendable, Codable, Equatable {
    public var queueMs: Double?
    public var promptN: Int?
    public var cacheN: Int?
    public var promptMs: Double?
    public var promptPerSecond: Double?
    public var predictedN: Int?
    public var predictedMs: Double?
    public var predictedPerTokenMs: Double?
    public var predictedPerSecond: Double?
    /// InferLab's server only: the request's id (the one it logs, and the step log's
    /// `requests[].id`), and the engine's instants of the request on the monotonic clock.
    public var id: String?
    public var arrival: MonotonicInstant?
    public var admitted: MonotonicInstant?
    public var prefillStart: MonotonicInstant?
    public var firstToken: MonotonicInstant?
    public var lastToken: MonotonicInstant?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case queueMs = "queue_ms"
        case promptN = "prompt_n"
        case cacheN = "cache_n"
        case promptMs = "prompt_ms"
        case promptPerSecond = "prompt_per_second"
        case predictedN = "predicted_n"
        case predictedMs = "predicted_ms"
        case predictedPerTokenMs = "predicted_per_token_ms"
        case predictedPerSecond = "predicted_per_second"
        case id
        case arrival = "arrival_ns"
        case admitted = "admitted_ns"
        case prefillStart = "prefill_start_ns"
        case firstToken = "first_token_ns"
        case lastToken = "last_token_ns"
    }
}
