public import InferLabCore

/// An error from the engine: a stable code, a message that says what to do, and an optional cause.
///
/// The code wraps a private enum so new cases can be added without breaking callers that switch
/// over the public static members.
public struct EngineError: InferLabError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case modelNotFound = "model_not_found"
            case notGGUF = "not_gguf"
            case modelLoadFailed = "model_load_failed"
            case contextCreationFailed = "context_creation_failed"
            case promptTooLong = "prompt_too_long"
            case invalidParameter = "invalid_parameter"
            case decodeFailed = "decode_failed"
            case templateFailed = "template_failed"
            case tokenizationFailed = "tokenization_failed"
            case shuttingDown = "shutting_down"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        public static let modelNotFound = Code(.modelNotFound)
        public static let notGGUF = Code(.notGGUF)
        public static let modelLoadFailed = Code(.modelLoadFailed)
        public static let contextCreationFailed = Code(.contextCreationFailed)
        public static let promptTooLong = Code(.promptTooLong)
        public static let invalidParameter = Code(.invalidParameter)
        public static let decodeFailed = Code(.decodeFailed)
        public static let templateFailed = Code(.templateFailed)
        public static let tokenizationFailed = Code(.tokenizationFailed)
        public static let shuttingDown = Code(.shuttingDown)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// For `invalidParameter`: the name of the offending field (e.g. `top_p`).
    public var parameter: String?
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, parameter: String? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.parameter = parameter
        self.cause = cause
    }

    /// Bad input (a model that is not there, a prompt too long, a bad parameter) rather than the machine.
    public var isUsageError: Bool {
        [.modelNotFound, .notGGUF, .promptTooLong, .invalidParameter, .templateFailed].contains(code)
    }
}
