public import InferLabCore

/// An error of `inferlab system`: a code, a message saying what to do, and an optional cause.
public struct SystemSetupError: InferLabError {
    /// What kind of failure this is; cases can grow without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Kind: String {
            case unknownProfile = "unknown_profile"
            case invalidProfile = "invalid_profile"
            case corruptState = "corrupt_state"
            case permissionDenied = "permission_denied"
            case swapFailed = "swap_failed"
            case stateWriteFailed = "state_write_failed"
            case restoreIncomplete = "restore_incomplete"
        }

        let kind: Kind

        /// A profile name that is neither built in nor a readable file.
        public static let unknownProfile = Code(kind: .unknownProfile)
        /// A profile file that cannot be read or decoded, or fails validation.
        public static let invalidProfile = Code(kind: .invalidProfile)
        /// The state file exists but cannot be decoded.
        public static let corruptState = Code(kind: .corruptState)
        /// The caller lacks the privilege a change needs.
        public static let permissionDenied = Code(kind: .permissionDenied)
        /// Creating, enabling or removing the swap file failed.
        public static let swapFailed = Code(kind: .swapFailed)
        /// The state file could not be written, so nothing was changed.
        public static let stateWriteFailed = Code(kind: .stateWriteFailed)
        /// An earlier preparation could not be fully restored, so a new one was not started.
        public static let restoreIncomplete = Code(kind: .restoreIncomplete)

        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// Whether the error comes from the caller's input (a profile or the state file) rather than the machine.
    public var isUsageError: Bool {
        [.unknownProfile, .invalidProfile, .corruptState].contains(code)
    }

}
