import Foundation
import Hummingbird
import InferLabCore
import InferenceCore

/// The `timings` object on every final chunk and non-streamed response, so a client can split
/// its TTFT into network, queue and prefill. It carries the request's id (the one the server
/// logs, the engine's `GenerationRequest.id` and the step log's `requests[].id`) and the engine's
/// instants of the request on the monotonic clock, so a client record joins the engine's steps.
struct WireTimings: Encodable {
    var queueMs: Double
    var promptN: Int
    var cacheN: Int
    var promptMs: Double
    var predictedN: Int
    var predictedMs: Double
    var predictedPerSecond: Double
    var id: String
    var arrival: MonotonicInstant
    var admitted: MonotonicInstant
    var prefillStart: MonotonicInstant
    var firstToken: MonotonicInstant
    var lastToken: MonotonicInstant

    enum CodingKeys: String, CodingKey {
        case queueMs = "queue_ms"
        case promptN = "prompt_n"
        case cacheN = "cache_n"
        case promptMs = "prompt_ms"
        case predictedN = "predicted_n"
        case predictedMs = "predicted_ms"
        case predictedPerSecond = "predicted_per_second"
        case id
        case arrival = "arrival_ns"
        case admitted = "admitted_ns"
        case prefillStart = "prefill_start_ns"
        case firstToken = "first_token_ns"
        case lastToken = "last_token_ns"
    }

    init(_ summary: GenerationSummary, id: String) {
        queueMs = summary.queue.milliseconds
        promptN = summary.promptTokens - summary.cachedTokens
        cacheN = summary.cachedTokens
        promptMs = summary.prefill.milliseconds
        predictedN = summary.completionTokens
        predictedMs = summary.decode.milliseconds
        predictedPerSecond = summary.decodeTokensPerSecond
        self.id = id
        arrival = summary.arrival
        admitted = summary.admitted
        prefillStart = summary.prefillStart
        firstToken = summary.firstToken
        lastToken = summary.lastToken
    }
}

struct WireUsage: Encodable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int
    var promptTokensDetails: Details

    struct Details: Encodable {
        var cachedTokens: Int
        enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
        case promptTokensDetails = "prompt_tokens_details"
    }

    init(_ summary: GenerationSummary) {
        promptTokens = summary.promptTokens
        completionTokens = summary.completionTokens
        totalTokens = summary.promptTokens + summary.completionTokens
        promptTokensDetails = Details(cachedTokens: summary.cachedTokens)
    }
}

/// Which OpenAI shape a response takes.
enum WireFlavor: Sendable {
    case chat, completion, generate

    var chunkObject: String { self == .chat ? "chat.completion.chunk" : "text_completion" }
    var object: String { self == .chat ? "chat.completion" : "text_completion" }
}

/// One choice of a streamed chunk or a full response. `finish_reason` is always present (null
/// until the end), as OpenAI clients expect.
struct WireChoice: Encodable {
    var flavor: WireFlavor
    var text: String?
    var role: Bool
    var finishReason: String?
    var complete: Bool

    enum Keys: String, CodingKey { case index, delta, message, text, finish_reason, logprobs }
    enum MessageKeys: String, CodingKey { case role, content }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(0, forKey: .index)
        switch flavor {
        case .chat:
            var message = container.nestedContainer(keyedBy: MessageKeys.self, forKey: complete ? .message : .delta)
            if role || complete { try message.encode("assistant", forKey: .role) }
            if let text { try message.encode(text, forKey: .content) }
        case .completion, .generate:
            try container.encode(text ?? "", forKey: .text)
            try container.encodeNil(forKey: .logprobs)
        }
        try container.encode(finishReason, forKey: .finish_reason)
    }
}

/// A chunk or a full response of the OpenAI endpoints.
struct WireCompletion: ResponseEncodable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [WireChoice]
    var usage: WireUsage?
    var timings: WireTimings?
}

/// `/generate` bodies: streamed `{"text": piece}` events, then one with the totals.
struct WireGenerate: ResponseEncodable {
    var text: String
    var finishReason: String?
    var usage: WireUsage?
    var timings: WireTimings?

    enum CodingKeys: String, CodingKey {
        case text
        case finishReason = "finish_reason"
        case usage, timings
    }
}

extension FinishReason {
    /// On the wire the context limit is reported as `length`, as OpenAI does.
    var wire: String { self == .stop ? "stop" : "length" }
}

/// `GET /health`: `{"status": "ok"}` (or `loading`, `draining`, `failed` with a 503).
/// `POST /tokenize` (llama-server's shape): `{"content", "add_special"}` -> `{"tokens"}`; vLLM's
/// `prompt` is read too.
struct WireTokenize: Decodable {
    var content: String?
    var prompt: String?
    var addSpecial: Bool?
    enum CodingKeys: String, CodingKey {
        case content, prompt
        case addSpecial = "add_special"
    }
}

struct WireTokens: ResponseEncodable {
    var tokens: [Int32]
}

struct WireHealth: ResponseEncodable {
    var status: String
    /// `on` or `off` once the engine runs, and why (`flash_attn: auto` is measured).
    var flashAttn: String?
    var flashAttnDetail: String?

    enum CodingKeys: String, CodingKey {
        case status
        case flashAttn = "flash_attn"
        case flashAttnDetail = "flash_attn_detail"
    }
}

/// `GET /v1/models`: the one served model.
struct WireModelList: ResponseEncodable {
    struct Model: Encodable {
        var id: String
        var object = "model"
        var ownedBy = "inferlab"
        var created: Int

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }

    var object = "list"
    var data: [Model]
}
