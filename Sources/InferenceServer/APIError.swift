import HTTPTypes
import Hummingbird
import InferenceCore

/// An error as the OpenAI API reports it: an HTTP status and `{"error":{"message","type","param","code"}}`.
///
/// Handlers and middleware throw it; Hummingbird's router turns it into the response
/// (`HTTPResponseError`), with `Retry-After: 1` on a 429.
struct APIError: Error, Sendable, HTTPResponseError {
    var status: HTTPResponse.Status
    var message: String
    var type: String
    var param: String?
    var code: String?

    init(
        _ status: HTTPResponse.Status, _ message: String, type: String? = nil, param: String? = nil, code: String? = nil
    ) {
        self.status = status
        self.message = message
        self.type = type ?? (status.code >= 500 ? "server_error" : "invalid_request_error")
        self.param = param
        self.code = code
    }

    static func invalid(_ message: String, param: String? = nil) -> APIError {
        APIError(.badRequest, message, param: param, code: "invalid_value")
    }

    /// What a client sees for any error of a generation request: the one place an `EngineError`
    /// becomes an HTTP status. `promptParameter` is the field that holds the prompt (`messages`
    /// or `prompt`), named when the prompt does not fit in the context.
    init(_ error: any Error, promptParameter: String) {
        switch error {
        case let error as APIError:
            self = error
        case let error as EngineError:
            switch error.code {
            case .invalidParameter:
                self.init(.badRequest, error.message, param: error.parameter, code: "invalid_value")
            case .promptTooLong:
                self.init(.badRequest, error.message, param: promptParameter, code: "context_length_exceeded")
            case .templateFailed, .tokenizationFailed:
                self.init(.badRequest, error.message, code: "invalid_prompt")
            case .shuttingDown:
                self.init(.serviceUnavailable, error.message, type: "server_error", code: "shutting_down")
            default:
                self.init(.internalServerError, error.message, code: error.code.description)
            }
        default:
            self.init(.internalServerError, "generation failed: \(error)")
        }
    }

    /// The JSON body.
    var body: WireError { WireError(error: .init(message: message, type: type, param: param, code: code)) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(body, from: request, context: context)
        response.status = status
        if status == .tooManyRequests { response.headers[.retryAfter] = "1" }
        return response
    }
}

/// `{"error": {...}}` on the wire; `param` and `code` are always present (null when unknown).
struct WireError: Encodable {
    struct Detail: Encodable {
        var message: String
        var type: String
        var param: String?
        var code: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }

        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }

    var error: Detail
}
