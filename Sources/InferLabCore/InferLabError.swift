/// The one shape of an InferLab error, which every module's error type takes: a code that can
/// grow (a struct over a private enum, so callers switch over its static members), a message that
/// says what happened and what to do, and the underlying error. The CLI reports any of them the
/// same way: one `error:` line, exit code 2 when the user's input caused it, else 1.
public protocol InferLabError: Error, Sendable, CustomStringConvertible {
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// What kind of failure it is.
    var code: Code { get }
    /// What happened and what to do; it does not repeat the cause.
    var message: String { get }
    /// The underlying error, when there is one.
    var cause: (any Error & Sendable)? { get }
    /// Whether the user's input caused it (a bad flag, file or value) rather than the machine.
    var isUsageError: Bool { get }
}

extension InferLabError {
    /// The message, and the cause in parentheses when there is one.
    public var description: String { cause.map { "\(message) (\($0))" } ?? message }

    public var isUsageError: Bool { false }
}
