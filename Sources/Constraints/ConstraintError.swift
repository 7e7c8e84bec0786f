public import InferLabCore

/// An error from applying or removing a control.
///
/// The code wraps a private enum so new cases can be added without breaking callers.
public struct ConstraintError: InferLabError {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case invalidConfiguration, noCgroups, cgroupWrite, cgroupRemove, spawnFailed, system
        }
        fileprivate let value: Value
        fileprivate init(_ value: Value) { self.value = value }

        /// A configuration field has a bad value (the user's input).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Neither cgroup hierarchy offers the cpu or memory controller.
        public static let noCgroups = Code(.noCgroups)
        /// A cgroup control file could not be written.
        public static let cgroupWrite = Code(.cgroupWrite)
        /// A cgroup could not be removed.
        public static let cgroupRemove = Code(.cgroupRemove)
        /// The command could not be started.
        public static let spawnFailed = Code(.spawnFailed)
        /// A system call failed.
        public static let system = Code(.system)

        public var description: String { "\(value)" }
    }

    public var code: Code
    /// What went wrong and what to do about it.
    public var message: String
    /// The errno value, when a system call failed.
    public var errno: Int32?
    /// The underlying error, when there is one.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, errno: Int32? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
        self.cause = cause
    }

    /// Whether the error is about the user's input rather than the machine.
    public var isUsageError: Bool { code == .invalidConfiguration }

}
