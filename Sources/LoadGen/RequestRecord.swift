public import InferLabCore

/// Why a request failed. Every failed request keeps its row with one of these.
public enum ErrorClass: String, Sendable, Codable, CaseIterable, Comparable {
    /// The connection could not be made.
    case connect
    /// The server answered with a non-2xx status.
    case httpStatus = "http_status"
    /// The per-request deadline passed.
    case timeout
    /// The response was not a valid stream: not SSE, bad JSON in an event, cut short before `[DONE]`.
    case malformedStream = "malformed_stream"
    /// The server sent an `error` object in the stream.
    case serverError = "server_error"
    /// The run was cancelled while the request was in flight (Ctrl-C, or a window stopped
    /// early because the server was over-saturated).
    case cancelled
    /// The workload hung up on it on purpose (`cancel_fraction`): counted in
    /// `requests.cancelled`, not a failure.
    case hungUp = "hung_up"
    /// Anything else.
    case other

    public static func < (a: ErrorClass, b: ErrorClass) -> Bool { a.rawValue < b.rawValue }
}

/// Where a token count came from.
public enum TokenCountSource: String, Sendable, Codable {
    /// The server's `usage` object.
    case usage
    /// One per content event, counted by the client.
    case events
    /// The client's tokenizer-independent guess was not possible (no count).
    case none
}

/// One received SSE event: its receipt time on the client's monotonic clock and what it was.
public struct StreamEvent: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case content, usage, done, error, other
    }

    /// When the event was complete in the client.
    public var time: MonotonicInstant
    public var kind: Kind
    /// Bytes of the event's data.
    public var bytes: Int

    public init(time: MonotonicInstant, kind: Kind, bytes: Int = 0) {
        self.time = time
        self.kind = kind
        self.bytes = bytes
    }
}

/// Everything measured about one request, successful or not.
public struct RequestRecord: Sendable, Codable, Equatable {
    /// Window (sweep step) index, 0 when there is one window.
    public var step: Int
    /// 0-based position within the window.
    public var seq: Int
    /// The corpus entry's id and length class.
    public var corpusId: String
    public var lengthClass: String
    /// `t_sched`: when the scenario meant to send it.
    public var scheduled: MonotonicInstant
    /// `t_send`: when the client started sending it.
    public var sent: MonotonicInstant
    /// When the client finished with it (last byte, or the error).
    public var finished: MonotonicInstant
    /// Every event, in arrival order.
    public var events: [StreamEvent] = []
    /// HTTP status, when a response head arrived.
    public var status: Int?
    /// Why it failed; nil when it succeeded.
    public var errorClass: ErrorClass?
    public var errorMessage: String?
    public var finishReason: String?
    /// `usage.prompt_tokens`, when the server sent it.
    public var usagePromptTokens: Int?
    /// `usage.completion_tokens`, when the server sent it.
    public var usageCompletionTokens: Int?
    /// `timings`, when the server sent it.
    public var timings: ServerTimings?
    /// The multi-turn session it belongs to, and its 0-based turn in it.
    public var session: String?
    public var turn: Int?
    /// The generated text, kept only when a later turn needs it (sessions).
    public var responseText: String?

    public init(
        step: Int, seq: Int, corpusId: String, lengthClass: String, scheduled: MonotonicInstant, sent: MonotonicInstant
    ) {
        self.step = step
        self.seq = seq
        self.corpusId = corpusId
        self.lengthClass = lengthClass
        self.scheduled = scheduled
        self.sent = sent
        finished = sent
    }

    /// Whether it completed without error.
    public var succeeded: Bool { errorClass == nil }
    /// Whether the workload hung up on it on purpose.
    public var hungUp: Bool { errorClass == .hungUp }
    /// Whether it failed (a hang-up is not a failure).
    public var failed: Bool { errorClass != nil && errorClass != .hungUp }
}
